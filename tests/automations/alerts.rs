//! System alerts through the real server: a disk below the configured free space and a
//! burst of badly signed webhook requests reach the brand's report recipients on Telegram,
//! once each; when the burst stops a "resolved" message follows. An S3 endpoint refusing
//! every upload and an outgoing message nobody can deliver raise theirs too.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestEnv;

#[derive(Clone, Default)]
struct Sent(Arc<Mutex<Vec<Value>>>);

async fn bot(State(sent): State<Sent>, axum::Json(body): axum::Json<Value>) -> axum::Json<Value> {
    let mut list = sent.0.lock().unwrap();
    list.push(body.clone());
    axum::Json(
        json!({"ok": true, "result": {"message_id": list.len(), "chat": {"id": body["chat_id"]}}}),
    )
}

impl Sent {
    fn texts(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["text"].as_str().unwrap_or("").to_string())
            .collect()
    }

    async fn wait_for(&self, what: &str, needle: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(t) = self
                .texts()
                .into_iter()
                .find(|t| needle.iter().all(|n| t.contains(n)))
            {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} message in 30 s; sent: {:?}",
                self.texts()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_disk_and_bad_signatures_alert_the_recipients_and_resolve() {
    let sent = Sent::default();
    let app = axum::Router::new()
        .fallback(axum::routing::post(bot))
        .with_state(sent.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    env.cli_ok(&[
        "report",
        "recipients",
        "--tenant",
        "gollos",
        "--telegram-chat",
        "777",
    ]);
    let token_file = env.data.parent().unwrap().join("bot.token");
    std::fs::write(&token_file, "42:SECRETO\n").unwrap();
    let server = env.start_with(&[
        (
            "AUTONOMO_TELEGRAM_BOT_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
        ("AUTONOMO_TELEGRAM_API_BASE", &base),
        ("AUTONOMO_ALERTS_INTERVAL_SECS", "1"),
        ("AUTONOMO_ALERTS_SIGNATURE_FAILURES", "3"),
        // No disk has a petabyte free: the disk alert is raised at the first check.
        ("AUTONOMO_ALERTS_DISK_MIN_FREE_MB", "1000000000"),
    ]);

    let disk = sent.wait_for("low-disk", &["Alerta", "poco disco"]).await;
    assert!(disk.contains("Disk is low"), "bilingual: {disk}");

    let api = server.api(None);
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"metadata": {"phone_number_id": "999"}}}]}]});
    for _ in 0..10 {
        let r = api
            .with_headers(
                Method::POST,
                "/api/webhooks/whatsapp",
                &[("x-hub-signature-256", "sha256=00")],
                Some(&body),
            )
            .await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    let raised = sent.wait_for("signature", &["Alerta", "firma"]).await;
    assert!(raised.contains("badly signed"), "{raised}");
    let resolved = sent.wait_for("resolved", &["Resuelto", "firma"]).await;
    assert!(resolved.contains("Resolved"), "{resolved}");

    // Still low on disk a few checks later, but announced once (repeats are hours apart).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let texts = sent.texts();
    assert_eq!(
        texts.iter().filter(|t| t.contains("poco disco")).count(),
        1,
        "{texts:?}"
    );
    let chats: Vec<Value> = sent
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["chat_id"].clone())
        .collect();
    assert!(
        chats.iter().all(|c| c == "777" || c == 777),
        "only the brand's recipient: {chats:?}"
    );
}

/// The two alert paths that need an outside failure: S3 refusing every upload (nothing
/// listens on the endpoint) and an outgoing message nobody can deliver (e-mail is not
/// configured, so the outbox keeps it pending). Both reach the brand's Telegram recipient.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_backup_and_stuck_outbox_alert_the_recipients() {
    let sent = Sent::default();
    let app = axum::Router::new()
        .fallback(axum::routing::post(bot))
        .with_state(sent.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // A port that was free a moment ago: connections to it are refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);

    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    env.cli_ok(&[
        "report",
        "recipients",
        "--tenant",
        "gollos",
        "--telegram-chat",
        "777",
    ]);
    // One message for a channel this installation has no sender for, queued through the
    // library as the domains do.
    {
        let registry = autonomo::tenants::Registry::open(&env.data, 1).unwrap();
        let tenant = registry
            .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
            .await
            .unwrap();
        tenant
            .db()
            .write(|c| {
                autonomo::outbox::enqueue(
                    c,
                    &autonomo::outbox::OutboundMessage {
                        service: autonomo::outbox::Service::Email,
                        destination: "dueno@gollos.pe".into(),
                        payload: json!({ "asunto": "hola" }),
                        key: None,
                        customer_id: None,
                        not_before: None,
                    },
                    autonomo::time::now_ms(),
                )
            })
            .await
            .unwrap();
    }
    let token_file = env.data.parent().unwrap().join("bot.token");
    std::fs::write(&token_file, "42:SECRETO\n").unwrap();
    let endpoint = format!("http://127.0.0.1:{dead_port}");
    let _server = env.start_with(&[
        (
            "AUTONOMO_TELEGRAM_BOT_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
        ("AUTONOMO_TELEGRAM_API_BASE", &base),
        ("AUTONOMO_ALERTS_INTERVAL_SECS", "1"),
        // Any pending message counts as stuck at once.
        ("AUTONOMO_ALERTS_OUTBOX_STUCK_MINUTES", "0"),
        ("AUTONOMO_BACKUP_S3_ENDPOINT", &endpoint),
        ("AUTONOMO_BACKUP_S3_BUCKET", "copias"),
        ("AUTONOMO_BACKUP_S3_REGION", "us-east-1"),
        ("AUTONOMO_BACKUP_INTERVAL", "1s"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ]);

    let stuck = sent
        .wait_for("stuck outbox", &["Alerta", "mensajes salientes esperan"])
        .await;
    assert!(
        stuck.contains("outgoing messages waiting"),
        "bilingual: {stuck}"
    );
    assert!(stuck.contains("Gollos Chicken"), "{stuck}");
    let backup = sent
        .wait_for("failing backup", &["Alerta", "copia a S3", "gollos"])
        .await;
    assert!(backup.contains("S3 backup of"), "bilingual: {backup}");
    let chats: Vec<Value> = sent
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["chat_id"].clone())
        .collect();
    assert!(
        chats.iter().all(|c| c == "777" || c == 777),
        "only the brand's recipient: {chats:?}"
    );
}
