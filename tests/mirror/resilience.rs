//! The mirror never gets in the CRM's way and never loses or repeats a change: the real
//! binary with Postgres refusing connections under write load, and `kill -9` mid-batch.

use crate::support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_autonomo");

fn autonomo(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "autonomo {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn pg_addr(pg: &Pg) -> std::net::SocketAddr {
    let cfg: tokio_postgres::Config = pg.url.parse().unwrap();
    let host = match &cfg.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        #[allow(unreachable_patterns)]
        _ => panic!("the resilience tests need Postgres over TCP"),
    };
    tokio::net::lookup_host((host.as_str(), pg.port()))
        .await
        .unwrap()
        .next()
        .unwrap()
}

async fn health(http: &reqwest::Client, base: &str) -> serde_json::Value {
    http.get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refusing_connections_does_not_touch_crm_writes() {
    let pg = Pg::start().await;
    let proxy = Proxy::start(pg_addr(&pg).await).await;
    let dir = tempfile::tempdir().unwrap();
    autonomo(
        dir.path(),
        &["tenant", "create", "gollos", "--name", "Gollos"],
    );
    let token = autonomo(
        dir.path(),
        &["token", "create", "--tenant", "gollos", "--scope", "write"],
    );
    let token = token.trim().to_string();
    let port = free_port();
    let _server = Running(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("AUTONOMO_MIRROR_POSTGRES_URL", pg.url_via(proxy.addr))
            .env("AUTONOMO_MIRROR_SITE", "lima")
            .env("AUTONOMO_MIRROR_INTERVAL_MS", "200")
            .env("AUTONOMO_MIRROR_INCLUDE_PERSONAL_DATA", "true")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let write = |i: u64| {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        async move {
            let t = Instant::now();
            let resp = http
                .post(format!("{base}/api/marcas/gollos/clientes"))
                .bearer_auth(&token)
                .json(&serde_json::json!({
                    "nombre": format!("Cliente {i}"),
                    "telefono": format!("+5198{i:07}"),
                    "notas": "sin ají",
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
            t.elapsed()
        }
    };
    for i in 0..20 {
        write(i).await;
    }
    let converged = |wait: Duration| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let t = Instant::now();
            loop {
                let h = health(&http, &base).await;
                if h["mirror"]["status"] == "ok"
                    && h["mirror"]["lag_changes"] == 0
                    && h["mirror"]["brands"][0]["cursor"].is_i64()
                {
                    return h;
                }
                assert!(t.elapsed() < wait, "mirror did not converge: {h}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    converged(Duration::from_secs(30)).await;

    // Postgres goes away: connections refused, open ones cut. The CRM keeps writing at speed.
    proxy.stop();
    let mut slowest = Duration::ZERO;
    for round in 0..10u64 {
        let batch: Vec<_> = (0..10)
            .map(|k| tokio::spawn(write(1000 + round * 10 + k)))
            .collect();
        for w in batch {
            slowest = slowest.max(w.await.unwrap());
        }
    }
    assert!(
        slowest < Duration::from_secs(2),
        "a write waited {slowest:?} while Postgres was down"
    );
    // The lag keeps being measured while Postgres is away.
    let t = Instant::now();
    let h = loop {
        let h = health(&http, &base).await;
        if h["mirror"]["lag_changes"].as_u64().unwrap() >= 100
            || t.elapsed() > Duration::from_secs(10)
        {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(h["status"], "ok", "the CRM itself stays healthy: {h}");
    assert_eq!(h["mirror"]["status"], "error", "{h}");
    assert!(h["mirror"]["lag_changes"].as_u64().unwrap() >= 100, "{h}");
    assert!(h["mirror"]["last_error"].is_string(), "{h}");

    // Postgres is back: the mirror catches up by itself (backoff is at most a minute; here
    // it has only failed a few times, so seconds).
    proxy.resume().await;
    converged(Duration::from_secs(60)).await;
    let client = pg.client().await;
    let conn = open_brand(dir.path(), "gollos");
    assert_mirrored(&client, &conn, "lima", "gollos", 2, None).await;
    let n: i64 = client
        .query_one("SELECT count(*) FROM autonomo.clientes", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 120);
}

/// Waits until the `mirror sync` process is inside a batch (its transaction has written),
/// then kills it with SIGKILL. Returns false when the batch finished before it was caught.
async fn kill_mid_batch(pg: &Pg, child: &mut Child, watcher: &tokio_postgres::Client) -> bool {
    let db: String = watcher
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        let busy = watcher
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'autonomo-mirror'
                   AND backend_xid IS NOT NULL AND query LIKE '%jsonb_to_recordset%'",
                &[&db],
            )
            .await
            .unwrap();
        if busy.is_some() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return true;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("mirror sync exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = pg;
    false
}

fn follow(dir: &std::path::Path, pg: &Pg) -> Child {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(["mirror", "sync", "--follow", "--postgres", &pg.url])
        .env("AUTONOMO_MIRROR_SITE", "lima")
        .env("AUTONOMO_MIRROR_INTERVAL_MS", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn cursor(client: &tokio_postgres::Client) -> Option<i64> {
    client
        .query_opt(
            "SELECT seq FROM autonomo.sincronizacion WHERE site = 'lima' AND marca = 'gollos'",
            &[],
        )
        .await
        .unwrap()
        .and_then(|r| r.get(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_batch_loses_nothing_and_repeats_nothing() {
    let pg = Pg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path()).await;
    seed(&registry, "gollos", 4000, 1_704_067_200_000).await;
    registry.close().await;
    drop(registry);
    // The site comes from autonomo.toml for the one-shot commands below.
    std::fs::write(
        dir.path().join("autonomo.toml"),
        "[mirror]\nsite = \"lima\"\n",
    )
    .unwrap();
    let watcher = pg.client().await;
    autonomo(dir.path(), &["mirror", "init", "--postgres", &pg.url]);

    // 1. Killed during the first full copy: nothing of it is visible, no cursor.
    let mut child = follow(dir.path(), &pg);
    assert!(
        kill_mid_batch(&pg, &mut child, &watcher).await,
        "never saw the full copy in flight"
    );
    assert_eq!(cursor(&watcher).await, None);
    let n: i64 = watcher
        .query_one("SELECT count(*) FROM autonomo.clientes", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "a killed full copy left rows behind");

    // 2. Killed during incremental batches while the CRM keeps writing.
    let registry = autonomo::tenants::Registry::open(dir.path(), 2).unwrap();
    let tenant = registry.tenant(&slug("gollos")).await.unwrap();
    let mut caught = 0;
    for round in 0..4u64 {
        let spawned: std::time::SystemTime =
            watcher.query_one("SELECT now()", &[]).await.unwrap().get(0);
        let mut child = follow(dir.path(), &pg);
        // Let it catch up and finish its first pass, so the next batch is exactly ours.
        let t = Instant::now();
        loop {
            let synced: Option<std::time::SystemTime> = watcher
                .query_one(
                    "SELECT max(sincronizado_en) FROM autonomo.sincronizacion WHERE site = 'lima'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            let head: i64 = tenant
                .db()
                .read(|c| {
                    Ok(
                        c.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                            r.get(0)
                        })?,
                    )
                })
                .await
                .unwrap();
            if cursor(&watcher).await == Some(head) && synced.is_some_and(|s| s > spawned) {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "follow did not catch up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let before = cursor(&watcher).await;
        tenant
            .db()
            .write(move |c| {
                c.execute(
                    "UPDATE clientes SET notas = 'ronda ' || ?1 || ' ' || id",
                    [round],
                )?;
                Ok(())
            })
            .await
            .unwrap();
        random_changes(&registry, "gollos", round + 1, 30).await;
        if kill_mid_batch(&pg, &mut child, &watcher).await {
            let after = cursor(&watcher).await;
            let applied: i64 = watcher
                .query_one(
                    "SELECT count(*) FROM autonomo.clientes WHERE notas LIKE $1",
                    &[&format!("ronda {round} %")],
                )
                .await
                .unwrap()
                .get(0);
            if after == before {
                assert_eq!(applied, 0, "a killed batch was partly applied");
                caught += 1;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    eprintln!("kills inside an incremental batch: {caught}/4");
    assert!(caught >= 1, "no kill landed inside a batch");

    // 3. A last run brings everything over exactly once.
    autonomo(dir.path(), &["mirror", "sync", "--postgres", &pg.url]);
    let conn = open_brand(dir.path(), "gollos");
    let key = read_key(dir.path());
    assert_mirrored(&watcher, &conn, "lima", "gollos", 2, Some(&key)).await;
    let head: i64 = conn
        .query_row("SELECT max(seq) FROM changes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cursor(&watcher).await, Some(head));
    registry.close().await;
}
