//! S3 trouble never reaches writers: an outage (store unreachable, data kept) is caught up in
//! order; a restarted, emptied store plus an overflowing spool is healed by a fresh snapshot.
//! Both end with real `litestream restore` 0.5.17 and our restore matching the live tables.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use autonomo::backup::restore::{self, RestoreOptions, RestoreTarget};
use autonomo::backup::{Replica, ReplicaOptions, S3Client};
use common::*;
use tokio::net::{TcpListener, TcpStream};

/// A TCP forwarder to the store: switching it off cuts every connection and refuses new
/// ones, so S3 is unreachable without losing its data. It keeps its port all along: a port
/// released mid-test can be taken by a parallel test's server, and the replica would then
/// upload to another store.
struct Proxy {
    up: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    async fn start(listen: u16, target: u16) -> Proxy {
        let l = TcpListener::bind(("127.0.0.1", listen)).await.unwrap();
        let (up, mut on) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    accepted = l.accept() => {
                        let Ok((mut a, _)) = accepted else { return };
                        if !*on.borrow() {
                            continue; // dropped: the client sees the connection closed
                        }
                        conns.spawn(async move {
                            if let Ok(mut b) = TcpStream::connect(("127.0.0.1", target)).await {
                                let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
                            }
                        });
                    }
                    changed = on.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        if !*on.borrow() {
                            conns.abort_all();
                        }
                    }
                }
            }
        });
        Proxy { up }
    }

    fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }
}

fn fast_options() -> ReplicaOptions {
    ReplicaOptions {
        poll_interval: Duration::from_millis(200),
        max_backoff: Duration::from_millis(500),
        ..ReplicaOptions::default()
    }
}

async fn check_restores(
    tools: &Tools,
    client: &S3Client,
    port: u16,
    path: &str,
    db: &Path,
    dir: &Path,
) {
    let live = dump(db);
    let ls = dir.join("ls.db");
    litestream_restore(tools, "0.5.17", port, path, &ls, &[]);
    assert_same(&live, &ls, "litestream 0.5.17");
    let ours = dir.join("ours.db");
    let opts = RestoreOptions {
        target: RestoreTarget::Latest,
        force: false,
    };
    restore::restore(client, path, &ours, opts).await.unwrap();
    assert_same(&live, &ours, "our restore");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_is_caught_up_in_order() {
    let tools = Tools::from_env();
    let moto = Moto::start(&tools, free_port());
    let pport = free_port();
    let px = Proxy::start(pport, moto.port).await;
    let cfg = s3_config(pport);
    let client = S3Client::new(cfg.clone()).unwrap();
    common::create_bucket(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("goio.db");
    let path = cfg.tenant_path("goio");
    let replica = Replica::open(
        "tenants/goio",
        &path,
        &dir.path().join("spool"),
        fast_options(),
    )
    .unwrap();
    let up = replica.spawn_uploader(client.clone());
    let conn = open_writer(&db);
    for round in 0..3 {
        workload_round(&conn, round);
        ship_and_checkpoint(&replica, &conn, &db, Some("PASSIVE"));
    }
    wait_shipped(&replica, Duration::from_secs(30)).await;

    px.set_up(false);
    for round in 3..10 {
        let t = Instant::now();
        workload_round(&conn, round);
        ship_and_checkpoint(&replica, &conn, &db, Some("TRUNCATE"));
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "a write round took {:?} with S3 down",
            t.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let s = replica.status();
    assert!(s.spool_files >= 7 && s.spool_bytes > 0, "{s:?}");
    assert!(s.last_error.is_some() && !s.healthy(), "{s:?}");
    assert!(s.lag_seconds > 0.0, "{s:?}");

    px.set_up(true);
    wait_shipped(&replica, Duration::from_secs(60)).await;
    let files = autonomo::backup::retention::list_replica(&client, &path)
        .await
        .unwrap();
    assert_eq!(
        files.iter().filter(|f| f.level == 9).count(),
        1,
        "caught up without a new snapshot"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(replica.status().healthy(), "{:?}", replica.status());
    check_restores(&tools, &client, moto.port, &path, &db, dir.path()).await;
    up.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emptied_store_and_full_spool_heal_with_a_snapshot() {
    let tools = Tools::from_env();
    let port = free_port();
    let moto = Moto::start(&tools, port);
    let cfg = s3_config(port);
    let client = S3Client::new(cfg.clone()).unwrap();
    common::create_bucket(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("eco.db");
    let path = cfg.tenant_path("eco");
    let opts = ReplicaOptions {
        max_spool_bytes: 40_000,
        ..fast_options()
    };
    let replica = Replica::open("tenants/eco", &path, &dir.path().join("spool"), opts).unwrap();
    let up = replica.spawn_uploader(client.clone());
    let conn = open_writer(&db);
    workload_round(&conn, 0);
    ship_and_checkpoint(&replica, &conn, &db, Some("PASSIVE"));
    wait_shipped(&replica, Duration::from_secs(30)).await;

    // moto keeps everything in memory: stopping it loses the bucket, like a wiped store.
    moto.stop();
    for round in 1..12 {
        workload_round(&conn, round);
        ship_and_checkpoint(&replica, &conn, &db, Some("PASSIVE"));
    }
    let s = replica.status();
    assert!(s.spool_overflow && !s.healthy(), "{s:?}");
    assert!(
        s.spool_bytes <= 40_000 + 64_000,
        "spool stays bounded: {s:?}"
    );

    let moto = Moto::start(&tools, port);
    common::create_bucket(&client).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // The writer's idle tick: the owed snapshot is taken once S3 answers again.
        ship_and_checkpoint(&replica, &conn, &db, None);
        let s = replica.status();
        if !s.spool_overflow && s.spool_files == 0 && s.last_shipped_txid == s.last_spooled_txid {
            break;
        }
        assert!(Instant::now() < deadline, "did not heal: {s:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    check_restores(&tools, &client, moto.port, &path, &db, dir.path()).await;
    up.abort();
}
