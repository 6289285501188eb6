//! A fake WhatsApp Graph API on 127.0.0.1 that gives every accepted send its own wamid, fails
//! chosen recipients with a permanent error, and records what it was asked; plus signed
//! webhook bodies for statuses and inbound messages.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub const SECRET: &str = "5b1d9e0c7a2f4e83b6c1d0a9f8e7d6c5";
pub const NUMBER: &str = "118093456721984";

/// One accepted or refused send.
#[derive(Debug, Clone)]
pub struct Sent {
    pub to: String,
    pub body: Value,
    /// The wamid we answered, `None` when refused.
    pub wamid: Option<String>,
    pub callback: String,
}

#[derive(Clone, Default)]
pub struct FakeGraph {
    pub sent: Arc<Mutex<Vec<Sent>>>,
    /// Recipients answered with error 131026 (undeliverable).
    pub refuse: Arc<Mutex<HashSet<String>>>,
    pub base: String,
}

impl FakeGraph {
    pub async fn start() -> FakeGraph {
        let mut fake = FakeGraph::default();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        fake.base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

async fn handle(State(fake): State<FakeGraph>, body: Bytes) -> (StatusCode, axum::Json<Value>) {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let to = body["to"].as_str().unwrap_or("").to_owned();
    let callback = body["biz_opaque_callback_data"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let refused = fake.refuse.lock().unwrap().contains(&to);
    let mut sent = fake.sent.lock().unwrap();
    let wamid = (!refused).then(|| format!("wamid.fake.{}", sent.len()));
    sent.push(Sent {
        to: to.clone(),
        body,
        wamid: wamid.clone(),
        callback,
    });
    match wamid {
        Some(id) => (
            StatusCode::OK,
            axum::Json(json!({"messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": id, "message_status": "accepted"}]})),
        ),
        None => (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"error": {"message": "Message undeliverable", "type": "OAuthException",
                "code": 131026, "error_data": {"messaging_product": "whatsapp", "details": "Message undeliverable."},
                "fbtrace_id": "Afake"}}),
            ),
        ),
    }
}

fn envelope(value: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "104856302947731", "changes": [{"field": "messages", "value": value}]}]
    }))
    .unwrap()
}

/// One webhook body carrying many statuses: (wamid, callback, status, error code).
pub fn statuses(items: &[(String, String, &str, Option<i64>)]) -> Vec<u8> {
    let ts = (crate::fake_graph::now_s()).to_string();
    let list: Vec<Value> = items
        .iter()
        .map(|(wamid, cb, status, err)| {
            let mut s = json!({"id": wamid, "status": status, "timestamp": ts,
                "recipient_id": "51900000000", "biz_opaque_callback_data": cb});
            if let Some(code) = err {
                s["errors"] = json!([{"code": code, "title": "Marketing limit",
                    "error_data": {"details": "Per-user marketing message limit reached."}}]);
            }
            s
        })
        .collect();
    envelope(json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "51999888777", "phone_number_id": NUMBER},
        "statuses": list}))
}

pub fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A webhook body with one inbound message from `wa_id`.
pub fn inbound(wa_id: &str, wamid: &str, message: Value) -> Vec<u8> {
    let mut m = message;
    m["from"] = json!(wa_id);
    m["id"] = json!(wamid);
    m["timestamp"] = json!(now_s().to_string());
    envelope(json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "51999888777", "phone_number_id": NUMBER},
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": wa_id}],
        "messages": [m]}))
}

pub fn text(body: &str) -> Value {
    json!({"type": "text", "text": {"body": body}})
}

pub fn button_reply(id: &str) -> Value {
    json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": id, "title": id}}})
}

/// A tap on a template's quick-reply button (e.g. the marketing opt-out button).
pub fn template_button(payload: &str, text: &str) -> Value {
    json!({"type": "button", "button": {"payload": payload, "text": text},
        "context": {"from": NUMBER, "id": "wamid.fake.0"}})
}

pub fn list_reply(id: &str) -> Value {
    json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": id, "title": id}}})
}

/// Posts a signed webhook body; asserts 200.
pub async fn post_signed(base: &str, body: Vec<u8>) {
    let sig = autonomo::whatsapp::sign(SECRET.as_bytes(), &body);
    let r = reqwest::Client::new()
        .post(format!("{base}/api/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
}

/// Connects `slug`'s WhatsApp number to the fake Graph API's secret and number through the
/// CLI, as an owner would (`autonomo whatsapp set`), with `extra` flags appended.
pub fn connect_whatsapp(env: &crate::support::TestEnv, slug: &str, extra: &[&str]) {
    let dir = env.data.parent().expect("data dir parent").to_path_buf();
    let secret = dir.join(format!("{slug}-app-secret"));
    let access = dir.join(format!("{slug}-access-token"));
    std::fs::write(&secret, SECRET).expect("write app secret");
    std::fs::write(&access, "EAAG-test").expect("write access token");
    let mut args = vec![
        "whatsapp",
        "set",
        "--tenant",
        slug,
        "--phone-number-id",
        NUMBER,
        "--verify-token",
        "v",
        "--app-secret-file",
        secret.to_str().expect("utf-8 path"),
        "--access-token-file",
        access.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    env.cli_ok(&args);
}
