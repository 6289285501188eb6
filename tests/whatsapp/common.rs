//! Shared helpers for the WhatsApp integration tests: the real server (router, webhook
//! processor and outbox worker with the WhatsApp delivery) on 127.0.0.1, a fake Graph API that
//! records requests and answers scripted responses, signed webhook posting and brand setup.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autonomo::app::{AppState, router};
use autonomo::auth::{Access, tokens};
use autonomo::config::{CliOverrides, Config};
use autonomo::outbox::Service;
use autonomo::outbox::worker::Deliveries;
use autonomo::tenants::{BrandInput, Slug};
use autonomo::whatsapp::config::{NumberInput, set};
use autonomo::whatsapp::delivery::WhatsAppDelivery;
use autonomo::whatsapp::sign;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tokio::sync::watch;

pub const SECRET: &str = "8f3a1c9e2b7d4f60a5e1c3b9d7f2a4e6";
pub const VERIFY: &str = "gollos-verify-token";
pub const NUMBER: &str = "118093456721984";
pub const NUMBER_B: &str = "120394857610293";

pub fn fixtures() -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/whatsapp");
    if beside.is_dir() {
        beside
    } else {
        PathBuf::from("/work/shared/fixtures/whatsapp")
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// One recorded request to the fake Graph API.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub auth: String,
    pub body: Value,
    pub at: std::time::Instant,
}

/// A fake Graph API: answers queued (status, body) responses first, then `send.response.json`.
#[derive(Clone, Default)]
pub struct FakeGraph {
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    pub script: Arc<Mutex<VecDeque<(u16, Value)>>>,
    pub addr: Option<SocketAddr>,
}

fn strip_annotations(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| !k.starts_with('_'));
    }
    v
}

pub fn outbound(name: &str) -> Value {
    strip_annotations(serde_json::from_slice(&fixture(&format!("outbound/{name}"))).unwrap())
}

impl FakeGraph {
    pub async fn start() -> FakeGraph {
        let mut fake = FakeGraph::default();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        fake.addr = Some(listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr.unwrap())
    }

    pub fn push(&self, status: u16, body: Value) {
        self.script.lock().unwrap().push_back((status, body));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn handle(
    State(fake): State<FakeGraph>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, axum::Json<Value>) {
    fake.requests.lock().unwrap().push(Recorded {
        path: uri.path().to_owned(),
        auth: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        at: std::time::Instant::now(),
    });
    let next = fake.script.lock().unwrap().pop_front();
    let (status, body) = next.unwrap_or_else(|| (200, outbound("send.response.json")));
    let status = StatusCode::from_u16(status).unwrap();
    (status, axum::Json(body))
}

/// The real server: router + webhook processor + outbox worker, on 127.0.0.1.
pub struct Server {
    pub state: AppState,
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

pub struct Options {
    pub api_base: String,
    pub pair_interval_ms: u64,
    /// A Telegram Bot API base: staff alerts are delivered there when set.
    pub telegram_base: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            api_base: "http://127.0.0.1:9".into(),
            pair_interval_ms: 0,
            telegram_base: None,
        }
    }
}

impl Server {
    pub async fn start(dir: &Path, opts: Options) -> Server {
        let cli = CliOverrides {
            data_dir: Some(dir.to_path_buf()),
            listen: Some("127.0.0.1:0".into()),
        };
        let telegram_base = opts.telegram_base.clone();
        let env = move |k: &str| match k {
            "AUTONOMO_WHATSAPP_API_BASE" => Some(opts.api_base.clone()),
            "AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS" => Some(opts.pair_interval_ms.to_string()),
            _ => None,
        };
        let config = Config::load_from(&cli, env).unwrap();
        let state = AppState::open(config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = watch::channel(false);
        let app = router(state.clone());
        let mut s1 = stopped.clone();
        let mut tasks = vec![tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = s1.changed().await;
                })
                .await
                .unwrap();
        })];
        tasks.push(tokio::spawn(autonomo::whatsapp::ingest::run(
            state.registry.clone(),
            stopped.clone(),
        )));
        let delivery = WhatsAppDelivery::from_state(&state).unwrap();
        let mut deliveries = Deliveries::default().with(Service::Whatsapp, Arc::new(delivery));
        if let Some(base) = telegram_base {
            let client =
                autonomo::telegram::TelegramClient::new(&base, "123:TEST", Duration::from_secs(5))
                    .unwrap();
            deliveries = deliveries.with(
                Service::Telegram,
                Arc::new(autonomo::telegram::delivery::TelegramDelivery::new(client)),
            );
        }
        tasks.push(tokio::spawn(autonomo::outbox::worker::run(
            state.registry.clone(),
            deliveries,
            stopped,
        )));
        let token = tokens::create(
            state.registry.control(),
            None,
            Access::Admin,
            "tests".into(),
        )
        .await
        .unwrap();
        Server {
            state,
            base,
            http: reqwest::Client::new(),
            token,
            stop,
            tasks,
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.state.registry.close().await;
    }

    /// Creates brand `slug` with WhatsApp number `number` (same app secret) and a catalogue.
    pub async fn brand(&self, slug: &str, number: &str, currency: &str) {
        let s = Slug::parse(slug).unwrap();
        if self.state.registry.get(&s).await.is_err() {
            self.state
                .registry
                .create(BrandInput {
                    slug: slug.into(),
                    nombre: format!("Marca {slug}"),
                    moneda: currency.into(),
                    zona_horaria: "America/Lima".into(),
                    pais: "PE".into(),
                    idioma: "es".into(),
                })
                .await
                .unwrap();
        }
        let keyring = self.state.keyring.clone();
        let input = NumberInput {
            phone_number_id: number.into(),
            waba_id: Some("104856302947731".into()),
            verify_token: format!("{VERIFY}-{slug}"),
            app_secret: SECRET.into(),
            access_token: format!("EAAG-token-{slug}"),
            mps: Some(80),
        };
        self.state
            .registry
            .control()
            .write(move |c| set(c, &keyring, &s, &input, 1))
            .await
            .unwrap();
    }

    /// Runs SQL on a brand's writer.
    pub async fn exec(&self, slug: &str, sql: &str) {
        let sql = sql.to_owned();
        self.db(slug)
            .await
            .write(move |c| Ok(c.execute_batch(&sql)?))
            .await
            .unwrap();
    }

    pub async fn db(&self, slug: &str) -> Arc<autonomo::db::Database> {
        let t = self
            .state
            .registry
            .tenant(&Slug::parse(slug).unwrap())
            .await
            .unwrap();
        t.db().clone()
    }

    /// One integer from a brand's database.
    pub async fn count(&self, slug: &str, sql: &str) -> i64 {
        let sql = sql.to_owned();
        self.db(slug)
            .await
            .read(move |c| Ok(c.query_row(&sql, [], |r| r.get(0))?))
            .await
            .unwrap()
    }

    /// Rows of one column as JSON values.
    pub async fn column(&self, slug: &str, sql: &str) -> Vec<Value> {
        let sql = sql.to_owned();
        self.db(slug)
            .await
            .read(move |c| {
                let mut stmt = c.prepare(&sql)?;
                let rows = stmt.query_map([], |r| {
                    Ok(match r.get_ref(0)? {
                        rusqlite::types::ValueRef::Null => Value::Null,
                        rusqlite::types::ValueRef::Integer(i) => json!(i),
                        rusqlite::types::ValueRef::Real(f) => json!(f),
                        rusqlite::types::ValueRef::Text(t) => {
                            let s = String::from_utf8_lossy(t).into_owned();
                            if s.starts_with('{') || s.starts_with('[') {
                                serde_json::from_str(&s).unwrap_or(Value::String(s))
                            } else {
                                Value::String(s)
                            }
                        }
                        rusqlite::types::ValueRef::Blob(_) => Value::Null,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap()
    }

    pub async fn post_raw(&self, body: &[u8], signature: Option<&str>) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/api/webhooks/whatsapp", self.base))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(s) = signature {
            req = req.header("x-hub-signature-256", s);
        }
        req.send().await.unwrap()
    }

    /// Posts `body` signed with the app secret; asserts 200.
    pub async fn post_signed(&self, body: &[u8]) {
        let r = self
            .post_raw(body, Some(&sign(SECRET.as_bytes(), body)))
            .await;
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
    }

    /// Waits until every stored event of every brand is processed.
    pub async fn settle(&self) {
        for _ in 0..400 {
            let mut pending = 0;
            for t in self.state.registry.open_tenants() {
                pending += t
                    .db()
                    .read(|c| {
                        Ok(c.query_row(
                            "SELECT COUNT(*) FROM wa_eventos WHERE procesado_en IS NULL",
                            [],
                            |r| r.get::<_, i64>(0),
                        )?)
                    })
                    .await
                    .unwrap();
            }
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("webhook events were not processed in time");
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// A webhook body with one inbound message of `kind` (text/interactive…) from `wa_id`, now.
pub fn inbound(number: &str, wa_id: &str, name: &str, wamid: &str, message: Value) -> Vec<u8> {
    let ts = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs())
    .to_string();
    let mut m = message;
    m["from"] = json!(wa_id);
    m["id"] = json!(wamid);
    m["timestamp"] = json!(ts);
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "104856302947731", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "51999888777", "phone_number_id": number},
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [m]
        }}]}]
    }))
    .unwrap()
}

pub fn text(body: &str) -> Value {
    json!({"type": "text", "text": {"body": body}})
}

pub fn list_reply(id: &str) -> Value {
    json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": id, "title": "x"}}})
}

pub fn button_reply(id: &str) -> Value {
    json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": id, "title": "x"}}})
}

/// A status webhook for `wamid`.
pub fn status_body(
    number: &str,
    wamid: &str,
    status: &str,
    ts: i64,
    callback: Option<&str>,
    error: Option<i64>,
) -> Vec<u8> {
    let mut s = json!({"id": wamid, "status": status, "timestamp": ts.to_string(), "recipient_id": "51987654321"});
    if let Some(c) = callback {
        s["biz_opaque_callback_data"] = json!(c);
    }
    if let Some(code) = error {
        s["errors"] = json!([{"code": code, "title": "err", "error_data": {"details": format!("detalle {code}")}}]);
    }
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "104856302947731", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "51999888777", "phone_number_id": number},
            "statuses": [s]
        }}]}]
    }))
    .unwrap()
}

/// Seeds the Gollos catalogue used by the leaf parser's phrasings (prices in céntimos).
pub async fn seed_gollos(server: &Server, slug: &str) {
    let items = [
        ("BROASTER", "Pollo broaster", "Pollos", 2290),
        ("CUARTO", "1/4 Pollo a la brasa", "Pollos", 1590),
        ("MEDIO", "1/2 Pollo a la brasa", "Pollos", 2990),
        ("ENTERO", "Pollo a la brasa entero", "Pollos", 5490),
        ("FAMILIAR", "Combo familiar", "Combos", 7990),
        ("PERSONAL", "Combo personal", "Combos", 2490),
        ("INCA", "Inca Kola 1.5L", "Bebidas", 990),
        ("COCA", "Coca-Cola 1.5L", "Bebidas", 990),
        ("PAPAS", "Papas fritas", "Acompañamientos", 790),
        ("CHICHA", "Chicha morada 1L", "Bebidas", 1290),
        ("ALITAS", "Alitas BBQ x6", "Acompañamientos", 1890),
        ("ENSALADA", "Ensalada clásica", "Acompañamientos", 890),
        ("SALCHI", "Salchipapa", "Acompañamientos", 1190),
    ];
    let mut sql = String::new();
    for (sku, name, cat, price) in items {
        sql.push_str(&format!(
            "INSERT INTO productos (sku, nombre, categoria, precio, creado_en, actualizado_en) VALUES ('{sku}', '{name}', '{cat}', {price}, 1, 1);"
        ));
    }
    let synonyms = [
        ("BROASTER", "broaster"),
        ("BROASTER", "pollo frito"),
        ("CUARTO", "cuarto de pollo"),
        ("CUARTO", "1/4 de pollo con papas"),
        ("MEDIO", "medio pollo"),
        ("ENTERO", "pollo entero"),
        ("FAMILIAR", "familiar"),
        ("INCA", "gaseosa"),
        ("COCA", "coca"),
        ("COCA", "gaseosa"),
        ("PAPAS", "papitas"),
        ("PAPAS", "papas"),
        ("CHICHA", "chicha"),
        ("CHICHA", "jarra de chicha"),
        ("ALITAS", "alitas"),
        ("ENSALADA", "ensalada"),
    ];
    for (sku, s) in synonyms {
        sql.push_str(&format!(
            "INSERT INTO wa_sinonimos (sku, sinonimo) VALUES ('{sku}', '{s}');"
        ));
    }
    server.exec(slug, &sql).await;
}

/// The outbox payloads queued for customer `wa_id`, oldest first.
pub async fn queued(server: &Server, slug: &str, wa_id: &str) -> Vec<Value> {
    server
        .column(
            slug,
            &format!("SELECT pii_open(cuerpo) FROM outbox WHERE pii_open(destino) = '{wa_id}' ORDER BY id"),
        )
        .await
}
