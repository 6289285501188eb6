//! The client against a fake Bot API on 127.0.0.1.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;

use super::*;

#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<(String, String)>>,
    throttle_first: Mutex<bool>,
}

async fn fake_server(fake: Arc<Fake>) -> String {
    async fn handle(
        State(fake): State<Arc<Fake>>,
        Path((token, method)): Path<(String, String)>,
        body: String,
    ) -> (StatusCode, String) {
        fake.calls
            .lock()
            .unwrap()
            .push((format!("{token}/{method}"), body.clone()));
        let mut throttle = fake.throttle_first.lock().unwrap();
        if *throttle {
            *throttle = false;
            return (StatusCode::TOO_MANY_REQUESTS, r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#.into());
        }
        if body.contains("blocked-chat") {
            return (StatusCode::FORBIDDEN, r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#.into());
        }
        (
            StatusCode::OK,
            r#"{"ok":true,"result":{"message_id":77,"chat":{"id":-100123}}}"#.into(),
        )
    }
    let app = axum::Router::new()
        .route("/{token}/{method}", post(handle))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn sends_html_messages_and_honours_retry_after() {
    let fake = Arc::new(Fake::default());
    *fake.throttle_first.lock().unwrap() = true;
    let base = fake_server(fake.clone()).await;
    let client = TelegramClient::new(&base, "123:ABC", Duration::from_secs(5)).unwrap();
    assert_eq!(
        client.send_message("-1001234567890", "<b>hola</b>").await,
        Err(TelegramError::RetryAfter(3))
    );
    assert_eq!(
        client.send_message("-1001234567890", "<b>hola</b>").await,
        Ok(77)
    );
    let calls = fake.calls.lock().unwrap();
    assert_eq!(calls[1].0, "bot123:ABC/sendMessage");
    let body: serde_json::Value = serde_json::from_str(&calls[1].1).unwrap();
    assert_eq!(
        body["chat_id"], -1001234567890i64,
        "numeric ids go as numbers"
    );
    assert_eq!(body["parse_mode"], "HTML");
}

#[tokio::test]
async fn uploads_documents_and_reports_forbidden_chats() {
    let fake = Arc::new(Fake::default());
    let base = fake_server(fake.clone()).await;
    let client = TelegramClient::new(&base, "t", Duration::from_secs(5)).unwrap();
    let file = Upload {
        filename: "reporte.csv".into(),
        mime: "text/csv".into(),
        bytes: b"a;b\n1;2\n".to_vec(),
    };
    assert_eq!(
        client.send_file("42", "document", "Reporte", file).await,
        Ok(77)
    );
    let body = fake.calls.lock().unwrap()[0].1.clone();
    assert!(
        body.contains("filename=\"reporte.csv\"") && body.contains("a;b"),
        "{body}"
    );
    let err = client.send_message("blocked-chat", "x").await.unwrap_err();
    assert!(matches!(err, TelegramError::Forbidden(_)) && !err.is_retryable());
}

#[tokio::test]
async fn an_unreachable_api_is_transient() {
    let client = TelegramClient::new("http://127.0.0.1:9", "t", Duration::from_secs(2)).unwrap();
    assert!(
        client
            .send_message("1", "x")
            .await
            .unwrap_err()
            .is_retryable()
    );
}

#[test]
fn escaping_and_splitting() {
    assert_eq!(escape_html("a<b & c>"), "a&lt;b &amp; c&gt;");
    let long = "línea\n".repeat(2000);
    let parts = split_text(&long);
    assert!(parts.len() >= 3);
    assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT_CHARS));
    assert_eq!(parts.concat(), long);
}
