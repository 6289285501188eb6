//! The real `autonomo` binary as the backup tests drive it: CLI commands, `serve` with backup
//! env pointing at moto, and a write workload through the HTTP API.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{BUCKET, free_port};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_autonomo"))
}

/// Backup env of an installation replicating to moto on `port` under `prefix`.
pub fn backup_env(port: u16, prefix: &str) -> Vec<(String, String)> {
    [
        (
            "AUTONOMO_BACKUP_S3_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        ),
        ("AUTONOMO_BACKUP_S3_BUCKET", BUCKET.to_string()),
        ("AUTONOMO_BACKUP_S3_PREFIX", prefix.to_string()),
        ("AUTONOMO_BACKUP_S3_REGION", "us-east-1".to_string()),
        ("AUTONOMO_BACKUP_INTERVAL", "1s".to_string()),
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
        ("RUST_LOG", "warn".to_string()),
        // These tests drive writes as fast as the server takes them (that is what they
        // measure), far past the per-token limit a real integration is held to.
        ("AUTONOMO_LIMITS_PER_TOKEN_PER_MINUTE", "0".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn command(data: &Path, env: &[(String, String)]) -> Command {
    let mut c = Command::new(bin());
    // Only what the test says: no AUTONOMO_* leaking in from the developer's shell.
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("--data-dir")
        .arg(data);
    c
}

/// Runs `autonomo --data-dir DATA args…`.
pub fn cli(data: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    command(data, env)
        .args(args)
        .output()
        .expect("run autonomo")
}

/// Like [`cli`], failing the test unless it succeeds; returns stdout.
pub fn cli_ok(data: &Path, env: &[(String, String)], args: &[&str]) -> String {
    let o = cli(data, env, args);
    assert!(
        o.status.success(),
        "autonomo {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Creates brands and returns an owner token (admin on every brand).
pub fn init_install(data: &Path, env: &[(String, String)], slugs: &[&str]) -> String {
    for s in slugs {
        cli_ok(
            data,
            env,
            &["tenant", "create", s, "--name", &format!("Marca {s}")],
        );
    }
    let out = cli_ok(
        data,
        env,
        &[
            "token",
            "create",
            "--all-tenants",
            "--scope",
            "admin",
            "--label",
            "test",
        ],
    );
    out.lines().next().unwrap().trim().to_string()
}

/// A running `autonomo serve`, killed (by its own pid) on drop.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub data: PathBuf,
}

impl Server {
    pub fn start(data: &Path, env: &[(String, String)]) -> Server {
        let port = free_port();
        let log = File::options()
            .create(true)
            .append(true)
            .open(data.join("server.log"))
            .unwrap();
        let child = command(data, env)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start autonomo serve");
        let s = Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            data: data.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "server did not start: {}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        s
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }

    /// SIGTERM and wait for the graceful stop (databases flushed, spool drained).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()
                .ok();
            let deadline = Instant::now() + Duration::from_secs(30);
            while c.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    c.kill().ok();
                    panic!("server did not stop on SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// HTTP client of one installation.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Api {
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            base: base.to_string(),
            token: token.to_string(),
        }
    }

    /// Sends a request; returns status and JSON body (Null when empty).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.try_call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Like [`Api::call`], but a dead server is an `Err` instead of a panic.
    pub async fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rq = self
            .http
            .request(m, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rq = rq.json(&b);
        }
        let r = rq.send().await?;
        let status = r.status().as_u16();
        let v = r.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, v))
    }

    pub async fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let (s, v) = self.call(method, path, Some(body)).await;
        assert!((200..300).contains(&s), "{method} {path}: {s} {v}");
        v
    }

    pub async fn health(&self) -> (u16, Value) {
        self.call("GET", "/healthz", None).await
    }
}

/// One round of realistic business writes on brand `slug`: customers, a product, an order that
/// moves through statuses, an interaction, and a deleted customer. Returns the write latencies.
pub async fn business_round(api: &Api, slug: &str, n: u64) -> Vec<Duration> {
    let mut lat = Vec::new();
    let mut timed = async |method: &str, path: String, body: Value| {
        let t = Instant::now();
        let v = api.ok(method, &path, body).await;
        lat.push(t.elapsed());
        v
    };
    let c = timed(
        "POST",
        format!("/api/marcas/{slug}/clientes"),
        json!({"nombre": format!("Cliente {slug} {n}"), "telefono": format!("+5198{:07}", n),
               "email": format!("c{n}@{slug}.example"), "notas": "x".repeat((n % 9 * 40) as usize)}),
    )
    .await;
    let cid = c["id"].as_str().unwrap().to_string();
    let p = timed(
        "POST",
        format!("/api/marcas/{slug}/productos"),
        json!({"sku": format!("SKU-{n}"), "nombre": format!("Producto {n}"), "precio": 1000 + n as i64,
               "stock": 500}),
    )
    .await;
    let pid = p["id"].as_str().unwrap().to_string();
    let o = timed(
        "POST",
        "/api/pedidos".to_string(),
        json!({"cliente_id": cid, "canal": "web", "items": [{"producto_id": pid, "cantidad": 2}]}),
    )
    .await;
    let oid = o["id"].as_str().unwrap().to_string();
    for estado in ["confirmado", "en_preparacion"] {
        timed(
            "PUT",
            format!("/api/pedidos/{oid}"),
            json!({"estado": estado}),
        )
        .await;
    }
    timed(
        "POST",
        "/api/interacciones".to_string(),
        json!({"cliente_id": cid, "canal": "whatsapp", "direccion": "entrante", "tipo": "mensaje",
               "cuerpo": format!("hola, pedido {n}")}),
    )
    .await;
    let gone = timed(
        "POST",
        format!("/api/marcas/{slug}/clientes"),
        json!({"nombre": format!("Temporal {n}"), "email": format!("t{n}@{slug}.example")}),
    )
    .await;
    let gid = gone["id"].as_str().unwrap().to_string();
    let t = Instant::now();
    let (s, v) = api
        .call("DELETE", &format!("/api/clientes/{gid}"), None)
        .await;
    assert_eq!(s, 204, "delete {gid}: {v}");
    lat.push(t.elapsed());
    lat
}

/// Waits until every database's changes are in S3 and stay put (the server is idle): nothing
/// spooled and the same shipped TXIDs over two seconds — longer than the analytics segment
/// updater's 1 s tick, which writes once more after the last order. Returns
/// `name → last_shipped_txid`.
pub async fn wait_replicated(api: &Api, timeout: Duration) -> Vec<(String, u64)> {
    let deadline = Instant::now() + timeout;
    // The writer offers fresh commits to the backup on its 1 s idle tick.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut prev: Option<Vec<(String, u64)>> = None;
    let mut stable = 0;
    loop {
        let (status, h) = api.health().await;
        let dbs = h["backup"]["databases"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let idle = !dbs.is_empty()
            && dbs
                .iter()
                .all(|d| d["spool_bytes"] == 0 && d["last_shipped_txid"].as_u64().unwrap_or(0) > 0);
        let txids: Vec<(String, u64)> = dbs
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().unwrap_or("").to_string(),
                    d["last_shipped_txid"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        if idle && status == 200 && prev.as_ref() == Some(&txids) {
            stable += 1;
            if stable >= 4 {
                return txids;
            }
        } else {
            stable = 0;
        }
        prev = idle.then_some(txids);
        assert!(
            Instant::now() < deadline,
            "not replicated in time: {status} {h}"
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
}
