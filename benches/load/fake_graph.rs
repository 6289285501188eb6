//! A stand-in for Meta's Graph API so the outbox can deliver the auto-replies locally:
//! every send is accepted with a fresh message id, as Meta answers.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use serde_json::{Value, json};

static SENT: AtomicU64 = AtomicU64::new(0);

/// Starts on 127.0.0.1 and returns its base URL.
pub async fn start() -> String {
    let app = axum::Router::new().fallback(accept);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind fake graph");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

pub fn sent() -> u64 {
    SENT.load(Ordering::Relaxed)
}

async fn accept(body: axum::body::Bytes) -> Json<Value> {
    let n = SENT.fetch_add(1, Ordering::Relaxed);
    let to = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["to"].as_str().map(str::to_owned))
        .unwrap_or_default();
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": format!("wamid.fake.{n}")}]
    }))
}
