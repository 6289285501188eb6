//! Process restarts: the chain continues with a snapshot at the next TXID, both with the old
//! spool (same machine) and with none at all (new machine restored from the bucket).

use crate::common;

use std::time::Duration;

use autonomo::backup::restore::{self, RestoreOptions, RestoreTarget};
use autonomo::backup::{Replica, ReplicaOptions, S3Client};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_and_a_new_machine_continue_the_chain() {
    let tools = Tools::from_env();
    let moto = Moto::start(&tools, free_port());
    let cfg = s3_config(moto.port);
    let client = S3Client::new(cfg.clone()).unwrap();
    common::create_bucket(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("control.db");
    let path = cfg.control_path();
    let opts = ReplicaOptions {
        poll_interval: Duration::from_millis(200),
        ..ReplicaOptions::default()
    };
    let spool = dir.path().join("spool");
    let mut round = 0;
    let mut last = 0;
    // Three "processes": two on the same spool, then one on a fresh spool (new machine).
    for spool_dir in [spool.clone(), spool.clone(), dir.path().join("fresh-spool")] {
        let replica = Replica::open("control", &path, &spool_dir, opts.clone()).unwrap();
        let conn = open_writer(&db);
        // The first hook may run before the uploader has looked at the bucket.
        workload_round(&conn, round);
        round += 1;
        ship_and_checkpoint(&replica, &conn, &db, Some("PASSIVE"));
        let up = replica.spawn_uploader(client.clone());
        for _ in 0..3 {
            workload_round(&conn, round);
            round += 1;
            ship_and_checkpoint(&replica, &conn, &db, None);
        }
        // The writer's idle tick keeps calling the hook, so an owed snapshot gets taken.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            ship_and_checkpoint(&replica, &conn, &db, None);
            let s = replica.status();
            let done = s.spool_files == 0
                && !s.snapshot_pending
                && s.last_shipped_txid >= s.last_spooled_txid;
            if done && s.last_error.is_none() && s.last_shipped_txid > last {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "not shipped: {s:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let s = replica.status();
        assert!(s.last_shipped_txid > last, "TXIDs go on: {s:?}");
        last = s.last_shipped_txid;
        up.abort();
        drop(conn);
    }
    let files = autonomo::backup::retention::list_replica(&client, &path)
        .await
        .unwrap();
    assert!(
        files.iter().filter(|f| f.level == 9).count() >= 3,
        "{files:?}"
    );
    let live = dump(&db);
    for v in ["0.5.17", "0.5.5"] {
        let o = dir.path().join(format!("ls-{v}.db"));
        litestream_restore(&tools, v, moto.port, &path, &o, &[]);
        assert_same(&live, &o, &format!("litestream {v}"));
    }
    let ours = dir.path().join("ours.db");
    let opts = RestoreOptions {
        target: RestoreTarget::Latest,
        force: false,
    };
    assert_eq!(
        restore::restore(&client, &path, &ours, opts)
            .await
            .unwrap()
            .txid,
        last
    );
    assert_same(&live, &ours, "our restore");
}
