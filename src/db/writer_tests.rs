//! The writer's signal to long jobs that others wait behind them.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::others_waiting;
use crate::db::test_support::with_brand;

#[test]
fn a_running_job_sees_writes_queued_behind_it_and_nothing_else() {
    assert!(!others_waiting(), "off the writer thread there is no queue");
    with_brand(|db| async move {
        let alone = db.write(|_| Ok(others_waiting())).await.unwrap();
        assert!(!alone, "nothing queued behind a lone write");

        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let long = {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |_| {
                    started_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                    Ok(others_waiting())
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        // The long job runs; a second write now queues behind it.
        let queued = {
            let db = db.clone();
            tokio::spawn(async move { db.write(|_| Ok(())).await })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while db.writer_stats().queued == 0 {
            assert!(Instant::now() < deadline, "the second write never queued");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        go_tx.send(()).unwrap();
        assert!(long.await.unwrap().unwrap(), "the queued write is seen");
        queued.await.unwrap().unwrap();
    });
}
