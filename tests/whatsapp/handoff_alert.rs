//! A customer asking for a person raises the inbox flag and a Telegram alert to the brand's
//! Telegram recipients: queued with the flag, delivered through a 429, sent once even when
//! Meta repeats the webhook.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

const NUMBER: &str = "118093456721984";

#[derive(Clone, Default)]
struct FakeTelegram {
    calls: Arc<Mutex<Vec<Value>>>,
}

/// A Bot API that asks to wait once (429) and then accepts every message.
async fn send_message(
    State(fake): State<FakeTelegram>,
    axum::Json(body): axum::Json<Value>,
) -> (StatusCode, axum::Json<Value>) {
    let mut calls = fake.calls.lock().unwrap();
    calls.push(body);
    if calls.len() == 1 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"ok": false, "error_code": 429,
                "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}})),
        );
    }
    (
        StatusCode::OK,
        axum::Json(json!({"ok": true, "result": {"message_id": calls.len()}})),
    )
}

#[tokio::test]
async fn asking_for_a_person_alerts_staff_on_telegram_once() {
    let fake = FakeTelegram::default();
    let app = axum::Router::new()
        .route(
            "/bot123:TEST/sendMessage",
            axum::routing::post(send_message),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let telegram = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        Options {
            telegram_base: Some(telegram),
            ..Options::default()
        },
    )
    .await;
    s.brand("gollos", NUMBER, "PEN").await;
    s.exec(
        "gollos",
        "INSERT INTO reporte_destinatarios (canal, destino, creado_en) VALUES ('telegram', '777001', 1)",
    )
    .await;

    let body = inbound(
        NUMBER,
        "51987000111",
        "Rosa <Mendoza>",
        "wamid.persona.1",
        text("quiero hablar con una persona"),
    );
    for _ in 0..3 {
        // Meta may deliver the same webhook more than once.
        s.post_signed(&body).await;
    }
    s.settle().await;
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = fake.calls.lock().unwrap().clone();
        if delivered.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivered.len(), 2, "one 429, then the alert: {delivered:?}");
    assert_eq!(
        delivered[1], delivered[0],
        "the same alert is resent after retry_after"
    );
    assert_eq!(
        delivered[1]["chat_id"], 777001,
        "numeric chat ids are sent as numbers"
    );
    assert_eq!(delivered[1]["parse_mode"], "HTML");
    let html = delivered[1]["text"].as_str().unwrap();
    assert!(
        html.contains("Rosa &lt;Mendoza&gt;"),
        "name escaped: {html}"
    );
    assert!(html.contains("Marca gollos"), "{html}");
    // Nothing more goes out later: the alert was queued once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(fake.calls.lock().unwrap().len(), 2);
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM outbox WHERE servicio = 'telegram' AND estado = 'enviado'"
        )
        .await,
        1
    );
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM conversaciones WHERE necesita_humano = 1"
        )
        .await,
        1
    );
    s.stop().await;
}
