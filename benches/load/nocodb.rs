//! The peer: NocoDB 0.301.3 on SQLite (what the seed design put in front of staff), started on
//! 127.0.0.1 by `scripts/nocodb-peer.sh` and driven through its REST API with the same record
//! operations as Autónomo: create customer rows, create order rows, list a page, search.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::runner::{self, Call, Measured, expect};
use crate::server::{Server, free_port, peak_mib, tree_rss_mib};

#[derive(Debug, Clone, Serialize, Default)]
pub struct Peer {
    pub name: String,
    pub error: Option<String>,
    pub start_ms: f64,
    pub idle_rss_mib: f64,
    pub peak_rss_mib: f64,
    pub ops: Vec<Measured>,
}

pub async fn measure(
    http: &reqwest::Client,
    work: &Path,
    n: usize,
    concurrency: usize,
) -> Option<Peer> {
    let script = std::env::current_dir().ok()?.join("scripts/nocodb-peer.sh");
    let installed = std::process::Command::new("bash")
        .arg(&script)
        .arg("installed")
        .status();
    if !installed.map(|s| s.success()).unwrap_or(false) {
        return Some(Peer {
            name: "NocoDB 0.301.3".into(),
            error: Some("not installed: run `scripts/nocodb-peer.sh install` first".into()),
            ..Peer::default()
        });
    }
    let data = work.join("nocodb-data");
    let _ = std::fs::remove_dir_all(&data);
    let port = free_port();
    let log = std::fs::File::create(work.join("nocodb.log")).ok()?;
    let started = std::time::Instant::now();
    let child = std::process::Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(&data)
        .arg(port.to_string())
        .stdout(log.try_clone().ok()?)
        .stderr(log)
        .spawn()
        .ok()?;
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        started,
    };
    let mut peer = Peer {
        name: "NocoDB 0.301.3 (SQLite)".into(),
        ..Peer::default()
    };
    peer.start_ms = server
        .wait_ready(http, "/api/v1/health", Duration::from_secs(180))
        .await
        .as_secs_f64()
        * 1000.0;
    // Idle as Autónomo's is read: the same time after the start.
    tokio::time::sleep(crate::IDLE_SETTLED).await;
    peer.idle_rss_mib = tree_rss_mib(server.pid());
    eprintln!(
        "NocoDB ready in {:.0} ms, idle RSS {:.0} MiB",
        peer.start_ms, peer.idle_rss_mib
    );
    match run_ops(http, &server.base, n, concurrency, server.pid(), &mut peer).await {
        Ok(()) => {}
        Err(e) => peer.error = Some(e),
    }
    // node is exec'd by the script, so its VmHWM is the peak of the whole server.
    peer.peak_rss_mib = peak_mib(server.pid()).max(peer.idle_rss_mib);
    server.stop();
    Some(peer)
}

async fn call(rb: reqwest::RequestBuilder) -> Result<Value, String> {
    let r = rb.send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let body: Value = r.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    Ok(body)
}

async fn run_ops(
    http: &reqwest::Client,
    base: &str,
    n: usize,
    c: usize,
    pid: u32,
    peer: &mut Peer,
) -> Result<(), String> {
    let signin = call(
        http.post(format!("{base}/api/v1/auth/user/signin"))
            .json(&json!({"email": "admin@example.com", "password": "Bench-Passw0rd!"})),
    )
    .await?;
    let auth = signin["token"]
        .as_str()
        .ok_or("signin without token")?
        .to_owned();
    let token = call(
        http.post(format!("{base}/api/v1/tokens"))
            .header("xc-auth", &auth)
            .json(&json!({"description": "bench"})),
    )
    .await?;
    let token = token["token"].as_str().ok_or("no api token")?.to_owned();
    let b = call(
        http.post(format!("{base}/api/v2/meta/bases"))
            .header("xc-token", &token)
            .json(&json!({"title": "bench"})),
    )
    .await?;
    let base_id = b["id"].as_str().ok_or("no base id")?.to_owned();
    let table = |name: &str, cols: Value| {
        http.post(format!("{base}/api/v2/meta/bases/{base_id}/tables"))
            .header("xc-token", &token)
            .json(&json!({"table_name": name, "title": name, "columns": cols}))
    };
    let customers = call(table(
        "clientes",
        json!([
            {"column_name": "id", "title": "Id", "uidt": "ID"},
            {"column_name": "nombre", "title": "nombre", "uidt": "SingleLineText"},
            {"column_name": "email", "title": "email", "uidt": "Email"},
            {"column_name": "canal", "title": "canal", "uidt": "SingleLineText"}
        ]),
    ))
    .await?["id"]
        .as_str()
        .ok_or("no table id")?
        .to_owned();
    let orders = call(table(
        "pedidos",
        json!([
            {"column_name": "id", "title": "Id", "uidt": "ID"},
            {"column_name": "cliente", "title": "cliente", "uidt": "Number"},
            {"column_name": "sku", "title": "sku", "uidt": "SingleLineText"},
            {"column_name": "cantidad", "title": "cantidad", "uidt": "Number"},
            {"column_name": "canal", "title": "canal", "uidt": "SingleLineText"}
        ]),
    ))
    .await?["id"]
        .as_str()
        .ok_or("no table id")?
        .to_owned();
    let records = |t: &str| format!("{base}/api/v2/tables/{t}/records");
    let (h, tk, url) = (http.clone(), token.clone(), records(&customers));
    let m = runner::run("record: create customer", n, c, pid, move |i| {
        let rb = h.post(&url).header("xc-token", &tk)
            .json(&json!({"nombre": format!("Registro Bench {i}"), "email": format!("bench{i}@example.com"), "canal": "web"}));
        Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
    }).await;
    eprintln!("nocodb {}", m.line());
    peer.ops.push(m);
    let (h, tk, url) = (http.clone(), token.clone(), records(&orders));
    let m = runner::run("order creation (API)", n, c, pid, move |i| {
        let rb = h.post(&url).header("xc-token", &tk)
            .json(&json!({"cliente": 1 + i % 100, "sku": "BROASTER", "cantidad": 1 + i % 3, "canal": "web"}));
        Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
    }).await;
    eprintln!("nocodb {}", m.line());
    peer.ops.push(m);
    let (h, tk, url) = (http.clone(), token.clone(), records(&customers));
    let m = runner::run("record: list 25 rows", n, c, pid, move |_| {
        let rb = h.get(format!("{url}?limit=25")).header("xc-token", &tk);
        Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
    })
    .await;
    eprintln!("nocodb {}", m.line());
    peer.ops.push(m);
    let (h, tk, url) = (http.clone(), token.clone(), records(&customers));
    let m = runner::run("customer search (q=, 20)", n, c, pid, move |i| {
        let rb = h
            .get(format!(
                "{url}?limit=20&where=(nombre,like,Registro Bench {}%25)",
                i % 50
            ))
            .header("xc-token", &tk);
        Box::pin(async move { expect(rb.send().await, &[200]).await }) as Call
    })
    .await;
    eprintln!("nocodb {}", m.line());
    peer.ops.push(m);
    Ok(())
}
