//! The Autónomo workloads over HTTP: signed WhatsApp webhooks end to end, order creation,
//! customer search and page, the dashboard, and the record operations shared with the peer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::runner::{self, Call, Measured, expect};

pub const SECRET: &str = "bench-app-secret-8f3a1c9e2b7d4f60";
pub const NUMBER: &str = "118093456721984";
pub const BRAND: &str = "gollos";

/// What the workloads need to know about the filled brand.
#[derive(Clone)]
pub struct Target {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub customers: u64,
    pub skus: Arc<Vec<String>>,
    pub terms: Arc<Vec<String>>,
    pub pid: u32,
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("hmac key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One inbound text message from `wa_id`, shaped like Meta's webhook.
fn inbound(wa_id: &str, wamid: &str, text: &str) -> Vec<u8> {
    let ts = chrono::Utc::now().timestamp().to_string();
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "104856302947731", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "51999888777", "phone_number_id": NUMBER},
            "contacts": [{"profile": {"name": "Cliente Bench"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": ts, "type": "text",
                "text": {"body": text}}]
        }}]}]
    }))
    .expect("json")
}

/// A cheap deterministic spread over `0..m` (no rand state shared across tasks).
pub fn spread(i: usize, m: u64) -> u64 {
    (i as u64).wrapping_mul(2_654_435_761).wrapping_add(12_345) % m.max(1)
}

impl Target {
    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        rb.bearer_auth(&self.token)
    }

    /// Reads SKUs and search terms from the brand through the API.
    pub async fn discover(&mut self) {
        let url = format!("{}/api/marcas/{BRAND}/productos?limite=100", self.base);
        let products: Value = self
            .auth(self.http.get(url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let skus = products["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["activo"].as_bool().unwrap_or(true))
            .filter_map(|p| p["sku"].as_str().map(str::to_owned))
            .collect::<Vec<_>>();
        assert!(!skus.is_empty(), "the brand has no products: {products}");
        let url = format!("{}/api/marcas/{BRAND}/clientes?limite=100", self.base);
        let customers: Value = self
            .auth(self.http.get(url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut terms: Vec<String> = Vec::new();
        for c in customers["items"].as_array().into_iter().flatten() {
            let name = c["nombre"].as_str().unwrap_or("");
            let mut words = name.split_whitespace();
            // First names match many rows (the worst case), surnames fewer, prefixes in between.
            if let Some(first) = words.next() {
                terms.push(first.to_lowercase());
                terms.push(first.chars().take(3).collect::<String>().to_lowercase());
            }
            if let Some(last) = words.next() {
                terms.push(last.to_lowercase());
            }
        }
        terms.sort();
        terms.dedup();
        assert!(!terms.is_empty(), "no customers to search for");
        self.skus = Arc::new(skus);
        self.terms = Arc::new(terms);
    }

    /// Signed webhooks: the 200 ack latency, and the time until every event is processed
    /// (customer upserted, interaction stored, auto-reply queued), read from /metrics.
    pub async fn webhooks(
        &self,
        n: usize,
        concurrency: usize,
        metrics_token: &str,
    ) -> (Measured, Option<f64>) {
        let run_id = chrono::Utc::now().timestamp_millis();
        let start = Instant::now();
        let t = self.clone();
        let m = runner::run("webhook ingest (ack)", n, concurrency, self.pid, move |i| {
            let body = inbound(
                &format!("5199{:07}", spread(i, 20_000)),
                &format!("wamid.bench.{run_id}.{i}"),
                "2 pollos broaster y una inca kola",
            );
            let rb = t
                .http
                .post(format!("{}/api/webhooks/whatsapp", t.base))
                .header("x-hub-signature-256", sign(&body))
                .header("content-type", "application/json")
                .body(body);
            Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
        })
        .await;
        let drained = self
            .wait_drained(metrics_token, Duration::from_secs(600))
            .await;
        let e2e = drained.map(|_| (n - m.errors) as f64 / start.elapsed().as_secs_f64());
        (m, e2e)
    }

    /// Waits until no stored webhook event is left unprocessed.
    async fn wait_drained(&self, token: &str, limit: Duration) -> Option<()> {
        let start = Instant::now();
        while start.elapsed() < limit {
            let text = self
                .http
                .get(format!("{}/metrics", self.base))
                .bearer_auth(token)
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let pending = text
                .lines()
                .find(|l| l.starts_with("autonomo_whatsapp_events_pending{") && l.contains(BRAND))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<f64>().ok());
            match pending {
                None => return None,
                Some(p) if p <= 0.0 => return Some(()),
                Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        None
    }

    pub async fn create_orders(&self, n: usize, concurrency: usize) -> Measured {
        let t = self.clone();
        runner::run("order creation (API)", n, concurrency, self.pid, move |i| {
            let customer = 1 + spread(i, t.customers);
            let sku = &t.skus[spread(i * 7 + 3, t.skus.len() as u64) as usize];
            let body = json!({
                "cliente_id": format!("cli_{BRAND}_{customer}"),
                "canal": "web",
                "items": [{"sku": sku, "cantidad": 1 + (i % 3) as i64}],
                "notas": "bench"
            });
            let rb = t
                .auth(t.http.post(format!("{}/api/pedidos", t.base)))
                .json(&body);
            Box::pin(async move { expect(rb.send().await, &[201]).await }) as Call
        })
        .await
    }

    pub async fn search(&self, n: usize, concurrency: usize) -> Measured {
        let t = self.clone();
        runner::run(
            "customer search (q=, 20)",
            n,
            concurrency,
            self.pid,
            move |i| {
                let term = &t.terms[spread(i, t.terms.len() as u64) as usize];
                let rb = t.auth(t.http.get(format!(
                    "{}/api/marcas/{BRAND}/clientes?q={term}&limite=20",
                    t.base
                )));
                Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
            },
        )
        .await
    }

    pub async fn customer_page(&self, n: usize, concurrency: usize) -> Measured {
        let t = self.clone();
        runner::run(
            "customer page (GET id)",
            n,
            concurrency,
            self.pid,
            move |i| {
                let id = 1 + spread(i, t.customers);
                let rb = t.auth(
                    t.http
                        .get(format!("{}/api/clientes/cli_{BRAND}_{id}", t.base)),
                );
                Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
            },
        )
        .await
    }

    /// `None` when the endpoint does not exist in this build.
    pub async fn dashboard(&self, n: usize, concurrency: usize) -> Option<Measured> {
        let url = format!("{}/api/marcas/{BRAND}/metricas/dashboard", self.base);
        let probe = self.auth(self.http.get(&url)).send().await.ok()?;
        if probe.status().as_u16() == 404 || probe.status().as_u16() == 405 {
            return None;
        }
        let t = self.clone();
        Some(
            runner::run("dashboard (30 days)", n, concurrency, self.pid, move |_| {
                let rb = t.auth(t.http.get(&url));
                Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
            })
            .await,
        )
    }

    /// Record operations mirrored on the peer: create a customer row.
    pub async fn create_customers(&self, n: usize, concurrency: usize) -> Measured {
        let t = self.clone();
        let run_id = chrono::Utc::now().timestamp_millis() % 100_000;
        runner::run(
            "record: create customer",
            n,
            concurrency,
            self.pid,
            move |i| {
                let body = json!({
                    "nombre": format!("Registro Bench {i}"),
                    "email": format!("bench{run_id}.{i}@example.com"),
                    "canal_adquisicion": "web"
                });
                let rb = t
                    .auth(
                        t.http
                            .post(format!("{}/api/marcas/{BRAND}/clientes", t.base)),
                    )
                    .json(&body);
                Box::pin(async move { expect(rb.send().await, &[201]).await }) as Call
            },
        )
        .await
    }

    /// Record operations mirrored on the peer: list a page of 25 rows.
    pub async fn list_page(&self, n: usize, concurrency: usize) -> Measured {
        let t = self.clone();
        runner::run(
            "record: list 25 rows",
            n,
            concurrency,
            self.pid,
            move |_| {
                let rb = t.auth(
                    t.http
                        .get(format!("{}/api/marcas/{BRAND}/clientes?limite=25", t.base)),
                );
                Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
            },
        )
        .await
    }
}
