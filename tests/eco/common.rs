//! Setup shared by the Eco tests: the eco brand with WhatsApp configured, another brand for
//! isolation checks, and helpers to wait for what the fake Graph API received.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_graph::{self, FakeGraph, NUMBER, SECRET};
use crate::support::{Api, Server, TestEnv};

pub struct Eco {
    /// Held so the data directory lives as long as the server.
    _env: TestEnv,
    pub fake: FakeGraph,
    pub server: Server,
    pub admin: String,
    pub other: String,
}

impl Eco {
    pub async fn start() -> Eco {
        let fake = FakeGraph::start().await;
        let env = TestEnv::new();
        env.create_brand("eco", "Eco Eterno", "PE", "America/Lima", "PEN");
        env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
        let dir = env.data.parent().unwrap().to_path_buf();
        std::fs::write(dir.join("s"), SECRET).unwrap();
        std::fs::write(dir.join("a"), "EAAG-test").unwrap();
        env.cli_ok(&[
            "whatsapp",
            "set",
            "--tenant",
            "eco",
            "--phone-number-id",
            NUMBER,
            "--verify-token",
            "v",
            "--app-secret-file",
            dir.join("s").to_str().unwrap(),
            "--access-token-file",
            dir.join("a").to_str().unwrap(),
        ]);
        let admin = env.token(None, "admin");
        let other = env.token(Some("gollos"), "admin");
        let server = env.start_with(&[
            ("AUTONOMO_WHATSAPP_API_BASE", fake.base.as_str()),
            ("AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS", "0"),
        ]);
        Eco {
            _env: env,
            fake,
            server,
            admin,
            other,
        }
    }

    pub fn api(&self) -> Api {
        self.server.api(Some(&self.admin))
    }

    pub async fn product(&self, sku: &str, price: i64, attrs: Value) -> String {
        let p = self
            .api()
            .post(
                "/api/marcas/eco/productos",
                &json!({"sku": sku, "nombre": sku, "categoria": "Hogar", "precio": price,
                        "stock": 100, "atributos": attrs}),
            )
            .await
            .ok(201);
        p["id"].as_str().unwrap().to_owned()
    }

    pub async fn customer(&self, name: &str, wa: &str) -> String {
        let c = self
            .api()
            .post(
                "/api/marcas/eco/clientes",
                &json!({"nombre": name, "telefono": format!("+{wa}")}),
            )
            .await
            .ok(201);
        c["id"].as_str().unwrap().to_owned()
    }

    pub async fn inbound(&self, wa: &str, id: &str, message: Value) {
        fake_graph::post_signed(&self.server.base, fake_graph::inbound(wa, id, message)).await;
    }

    /// The last message the fake received for `wa` once `pred` holds.
    pub async fn sent_to(&self, wa: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self
                .fake
                .sent()
                .into_iter()
                .rev()
                .find(|s| s.to == wa && pred(&s.body))
            {
                return m.body;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
