//! End-to-end: a writer like the db layer's ships WAL frames through our hook, the uploader
//! pushes them to a moto S3, and the real `litestream restore` 0.5.17 and 0.5.5 and our own
//! restore rebuild exactly the live tables (latest and point in time).

use crate::common;

use std::time::Duration;

use autonomo::backup::restore::{self, RestoreOptions, RestoreTarget};
use autonomo::backup::{Replica, ReplicaOptions, S3Client};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_and_our_restore_match_the_live_database() {
    let tools = Tools::from_env();
    let moto = Moto::start(&tools, free_port());
    let cfg = s3_config(moto.port);
    let client = S3Client::new(cfg.clone()).unwrap();
    common::create_bucket(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gollos.db");
    let path = cfg.tenant_path("gollos");
    let replica = Replica::open(
        "tenants/gollos",
        &path,
        &dir.path().join("spool"),
        ReplicaOptions::default(),
    )
    .unwrap();
    let uploader = replica.spawn_uploader(client.clone());
    let conn = open_writer(&db);

    // A reader holding an old snapshot keeps one checkpoint from restarting the WAL, so both
    // "same WAL continues" and "WAL restarted with new salts" are exercised.
    let reader = rusqlite::Connection::open(&db).unwrap();
    let modes = [
        None,
        Some("PASSIVE"),
        None,
        Some("TRUNCATE"),
        Some("PASSIVE"),
        Some("RESTART"),
        None,
    ];
    let mut mid = None;
    for round in 0..12u64 {
        workload_round(&conn, round);
        if round == 4 {
            reader
                .execute_batch("BEGIN; SELECT count(*) FROM contacts;")
                .unwrap();
        }
        ship_and_checkpoint(&replica, &conn, &db, modes[round as usize % modes.len()]);
        if round == 5 {
            reader.execute_batch("COMMIT").unwrap();
        }
        if round == 8 {
            // Point-in-time reference: the state right after this TXID, and a time after it.
            wait_shipped(&replica, Duration::from_secs(30)).await;
            let txid = replica.status().last_spooled_txid;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let at = chrono::Utc::now();
            tokio::time::sleep(Duration::from_millis(50)).await;
            mid = Some((txid, at, dump(&db)));
        }
    }
    ship_and_checkpoint(&replica, &conn, &db, Some("PASSIVE"));
    wait_shipped(&replica, Duration::from_secs(30)).await;
    let status = replica.status();
    assert!(status.last_error.is_none(), "{status:?}");
    assert!(status.healthy());
    let live = dump(&db);
    // One snapshot (first hook of the process), then one L0 per tick: no fallback snapshots.
    let files = autonomo::backup::retention::list_replica(&client, &path)
        .await
        .unwrap();
    let levels: Vec<u8> = files.iter().map(|f| f.level).collect();
    assert_eq!(levels.iter().filter(|l| **l == 9).count(), 1, "{files:?}");
    assert_eq!(levels.iter().filter(|l| **l == 0).count(), 11, "{files:?}");

    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for v in ["0.5.17", "0.5.5"] {
        let o = out.join(format!("ls-{v}.db"));
        litestream_restore(&tools, v, moto.port, &path, &o, &[]);
        assert_same(&live, &o, &format!("litestream {v}"));
    }
    let ours = out.join("ours.db");
    let opts = RestoreOptions {
        target: RestoreTarget::Latest,
        force: false,
    };
    let rep = restore::restore(&client, &path, &ours, opts).await.unwrap();
    assert_eq!(rep.txid, status.last_shipped_txid);
    assert_same(&live, &ours, "our restore");
    assert!(
        restore::restore(&client, &path, &ours, opts).await.is_err(),
        "refuses to overwrite"
    );

    let (txid, at, want) = mid.unwrap();
    let by_txid = out.join("pitr-txid.db");
    let opts = RestoreOptions {
        target: RestoreTarget::Txid(txid),
        force: false,
    };
    restore::restore(&client, &path, &by_txid, opts)
        .await
        .unwrap();
    assert_same(&want, &by_txid, "our restore --txid");
    let by_time = out.join("pitr-time.db");
    let opts = RestoreOptions {
        target: RestoreTarget::Timestamp(at),
        force: false,
    };
    assert_eq!(
        restore::restore(&client, &path, &by_time, opts)
            .await
            .unwrap()
            .txid,
        txid
    );
    assert_same(&want, &by_time, "our restore --timestamp");
    let ls_txid = out.join("ls-pitr.db");
    litestream_restore(
        &tools,
        "0.5.17",
        moto.port,
        &path,
        &ls_txid,
        &["-txid", &format!("{txid:016x}")],
    );
    assert_same(&want, &ls_txid, "litestream 0.5.17 -txid");

    uploader.abort();
    drop(moto);
}
