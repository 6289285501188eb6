//! The Graph client against a fake Graph API on 127.0.0.1 that records requests and answers with
//! the outbound fixtures.

use super::*;
use crate::whatsapp::outbound::tests::{
    bsuid_message, buttons_message, expected, list_message, marketing_template,
    positional_template, text_message,
};
use crate::whatsapp::test_support::fixture_json;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    uri: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Bytes,
}

#[derive(Clone)]
struct Reply {
    status: u16,
    body: Vec<u8>,
    delay: Duration,
}

#[derive(Clone, Default)]
struct FakeGraph {
    requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl FakeGraph {
    /// Queues an answer; when the queue is empty the server answers `send.response.json`.
    fn then(&self, status: u16, body: impl Into<Vec<u8>>) -> &Self {
        self.then_after(status, body, Duration::ZERO)
    }
    fn then_after(&self, status: u16, body: impl Into<Vec<u8>>, delay: Duration) -> &Self {
        let reply = Reply {
            status,
            body: body.into(),
            delay,
        };
        self.script.lock().expect("lock").push_back(reply);
        self
    }
    /// Queues an outbound fixture with its `_http_status`.
    fn then_fixture(&self, name: &str) -> &Self {
        let v = fixture_json(&format!("outbound/{name}"));
        let status = v["_http_status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(200);
        self.then(status, serde_json::to_vec(&v).expect("json"))
    }
    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }

    async fn start(&self) -> String {
        let state = self.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    state.requests.lock().expect("lock").push(Recorded {
                        method,
                        uri: uri.to_string(),
                        authorization: header("authorization"),
                        content_type: header("content-type"),
                        body,
                    });
                    let next = state.script.lock().expect("lock").pop_front();
                    let reply = next.unwrap_or_else(|| Reply {
                        status: 200,
                        body: serde_json::to_vec(&fixture_json("outbound/send.response.json"))
                            .expect("json"),
                        delay: Duration::ZERO,
                    });
                    tokio::time::sleep(reply.delay).await;
                    (
                        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK),
                        reply.body,
                    )
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }
}

fn sender() -> Sender {
    Sender {
        phone_number_id: "118093456721984".into(),
        access_token: "EAAG-test-token".into(),
    }
}

fn client(base: &str) -> GraphClient {
    GraphClient::new(GraphConfig {
        base_url: format!("{base}/"),
        timeout: Duration::from_millis(800),
        connect_timeout: Duration::from_millis(500),
        ..GraphConfig::default()
    })
    .expect("client")
}

#[tokio::test]
async fn sends_every_kind_with_the_fixture_bodies_and_bearer_token() {
    let fake = FakeGraph::default();
    let base = fake.start().await;
    let graph = client(&base);
    let cases = [
        (text_message(), "send_text.request.json"),
        (buttons_message(), "send_reply_buttons.request.json"),
        (list_message(), "send_list.request.json"),
        (marketing_template(), "send_template_marketing.request.json"),
        (
            positional_template(),
            "send_template_positional.request.json",
        ),
    ];
    for (message, _) in &cases {
        let r = graph.send(&sender(), message).await.expect("accepted");
        assert_eq!(
            r.message_id(),
            Some("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkE4MUYwQzMzQjJEOTRFNzFDNQA=")
        );
    }
    fake.then_fixture("send_to_bsuid.response.json");
    let r = graph
        .send(&sender(), &bsuid_message())
        .await
        .expect("bsuid");
    assert_eq!(
        r.contacts[0].user_id.as_deref(),
        Some("BR.9038475610293847")
    );

    let requests = fake.requests();
    assert_eq!(requests.len(), 6);
    for (req, (_, fixture)) in requests.iter().zip(&cases) {
        assert_eq!(req.method, Method::POST);
        assert_eq!(req.uri, "/v24.0/118093456721984/messages");
        assert_eq!(req.authorization.as_deref(), Some("Bearer EAAG-test-token"));
        assert_eq!(req.content_type.as_deref(), Some("application/json"));
        let body: serde_json::Value = serde_json::from_slice(&req.body).expect("json body");
        assert_eq!(body, expected(fixture), "{fixture}");
    }
    let bsuid: serde_json::Value = serde_json::from_slice(&requests[5].body).expect("json");
    assert_eq!(bsuid["recipient"], "BR.9038475610293847");
}

#[tokio::test]
async fn error_fixtures_are_classified() {
    let fake = FakeGraph::default();
    let graph = client(&fake.start().await);
    let cases = [
        (
            "error_130429_throughput.response.json",
            400,
            130429,
            ErrorClass::Retryable(RetryScope::Number),
        ),
        (
            "error_131056_pair_rate.response.json",
            400,
            131056,
            ErrorClass::Retryable(RetryScope::Recipient),
        ),
        (
            "error_100_invalid_param.response.json",
            400,
            100,
            ErrorClass::Permanent(PermanentReason::InvalidRequest),
        ),
        (
            "error_132001_template_missing.response.json",
            404,
            132001,
            ErrorClass::Permanent(PermanentReason::Template),
        ),
        (
            "error_190_token_expired.response.json",
            401,
            190,
            ErrorClass::Auth,
        ),
    ];
    for (fixture, status, code, class) in cases {
        fake.then_fixture(fixture);
        let err = graph
            .send(&sender(), &text_message())
            .await
            .expect_err(fixture);
        assert_eq!(
            (err.http_status, err.code, err.class),
            (Some(status), Some(code), class),
            "{fixture}"
        );
        assert_eq!(err.fbtrace_id.as_deref(), Some("AbCdEf0123456789_-xYz"));
    }
    fake.then_fixture("error_100_invalid_param.response.json");
    let err = graph
        .send(&sender(), &text_message())
        .await
        .expect_err("100");
    assert!(
        err.details
            .as_deref()
            .is_some_and(|d| d.contains("['title']"))
    );
    assert_eq!(
        err.to_string(),
        "WhatsApp rechazó el mensaje por un parámetro inválido (código 100)"
    );
    assert!(!err.is_retryable() && err.backoff(0).is_none());
}

#[tokio::test]
async fn server_errors_timeouts_and_refusals_are_retryable() {
    let fake = FakeGraph::default();
    let graph = client(&fake.start().await);
    fake.then(503, "<html>Service Unavailable</html>");
    let err = graph
        .send(&sender(), &text_message())
        .await
        .expect_err("503");
    assert_eq!(
        (err.class, err.http_status),
        (ErrorClass::Retryable(RetryScope::Transient), Some(503))
    );

    fake.then_after(200, "{}", Duration::from_secs(3));
    let err = graph
        .send(&sender(), &text_message())
        .await
        .expect_err("timeout");
    assert_eq!(err.class, ErrorClass::Retryable(RetryScope::Transient));
    assert!(err.message.contains("tiempo de espera"), "{}", err.message);

    // A port nobody listens on: bind, note the port, drop the listener.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let err = client(&format!("http://127.0.0.1:{port}"))
        .send(&sender(), &text_message())
        .await
        .expect_err("refused");
    assert_eq!(err.class, ErrorClass::Retryable(RetryScope::Transient));
}

#[tokio::test]
async fn an_unreadable_success_is_not_retried() {
    let fake = FakeGraph::default();
    let graph = client(&fake.start().await);
    fake.then(200, "not json");
    let err = graph
        .send(&sender(), &text_message())
        .await
        .expect_err("garbage");
    assert_eq!(
        err.class,
        ErrorClass::Permanent(PermanentReason::UnexpectedResponse)
    );
}

#[tokio::test]
async fn mark_read_and_media_download() {
    let fake = FakeGraph::default();
    let base = fake.start().await;
    let graph = client(&base);
    fake.then_fixture("mark_read.response.json");
    let wamid = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBOUM0RjFFMkI3RDYwQThDM0Y1AA==";
    graph
        .mark_read(&sender(), &MarkRead::new(wamid))
        .await
        .expect("read");
    let media_body = serde_json::json!({
        "url": format!("{base}/whatsapp_business/attachments/?mid=1249836075123458"),
        "mime_type": "image/jpeg", "sha256": "x", "file_size": "3", "id": "1249836075123458",
        "messaging_product": "whatsapp"
    });
    fake.then(200, media_body.to_string());
    let info = graph
        .media_url(&sender(), "1249836075123458")
        .await
        .expect("media url");
    fake.then(200, "abc");
    let bytes = graph
        .download_media(&sender(), &info.url, 10)
        .await
        .expect("download");
    assert_eq!(bytes, b"abc");
    fake.then(200, "abcdef");
    assert!(graph.download_media(&sender(), &info.url, 5).await.is_err());
    assert!(media_sha256_matches(
        b"abc",
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    ));

    let reqs = fake.requests();
    let read: serde_json::Value = serde_json::from_slice(&reqs[0].body).expect("json");
    assert_eq!(read, expected("mark_read.request.json"));
    assert_eq!(reqs[1].method, Method::GET);
    assert_eq!(
        reqs[1].uri,
        "/v24.0/1249836075123458?phone_number_id=118093456721984"
    );
    assert_eq!(
        reqs[2].authorization.as_deref(),
        Some("Bearer EAAG-test-token"),
        "download needs the token too"
    );
}

#[tokio::test]
async fn ids_that_could_escape_the_path_are_refused_before_any_request() {
    let fake = FakeGraph::default();
    let graph = client(&fake.start().await);
    let evil = Sender {
        phone_number_id: "../me/accounts".into(),
        access_token: "t".into(),
    };
    let err = graph.send(&evil, &text_message()).await.expect_err("path");
    assert_eq!(
        err.class,
        ErrorClass::Permanent(PermanentReason::InvalidRequest)
    );
    assert!(graph.media_url(&sender(), "1?x=y").await.is_err());
    assert!(fake.requests().is_empty());
    assert!(
        !format!("{:?}", sender()).contains("EAAG"),
        "Debug hides the token"
    );
}

#[test]
fn backoff_follows_the_scope() {
    let pair = ErrorClass::Retryable(RetryScope::Recipient);
    let secs = |c: ErrorClass, a| c.backoff(a).map(|d| d.as_secs());
    assert_eq!(
        [0, 1, 2, 3].map(|a| secs(pair, a)),
        [Some(1), Some(4), Some(16), Some(64)]
    );
    assert_eq!(secs(pair, 40), Some(3600));
    let number = ErrorClass::Retryable(RetryScope::Number);
    assert_eq!(
        [0, 3, 10].map(|a| secs(number, a)),
        [Some(1), Some(8), Some(60)]
    );
    let transient = ErrorClass::Retryable(RetryScope::Transient);
    assert_eq!(
        [0, 1, 20].map(|a| secs(transient, a)),
        [Some(2), Some(4), Some(600)]
    );
    assert_eq!(secs(ErrorClass::Auth, 0), None);
    // Async failures from status webhooks use the same table.
    assert_eq!(
        ErrorClass::from_code(Some(131047), None),
        ErrorClass::Permanent(PermanentReason::OutsideWindow)
    );
    assert_eq!(
        ErrorClass::from_code(Some(131026), None),
        ErrorClass::Permanent(PermanentReason::Undeliverable)
    );
    assert_eq!(
        ErrorClass::from_code(Some(131050), None),
        ErrorClass::Permanent(PermanentReason::OptedOut)
    );
    assert_eq!(
        ErrorClass::from_code(Some(131000), Some(500)),
        ErrorClass::Retryable(RetryScope::Transient)
    );
    assert_eq!(
        ErrorClass::from_code(None, Some(502)),
        ErrorClass::Retryable(RetryScope::Transient)
    );
    assert_eq!(ErrorClass::from_code(None, Some(401)), ErrorClass::Auth);
    assert_eq!(
        ErrorClass::from_code(Some(999_999), Some(400)),
        ErrorClass::Permanent(PermanentReason::Other)
    );
}
