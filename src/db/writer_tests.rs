//! The writer's signal to long jobs that others wait behind them, and its checkpoints.

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::others_waiting;
use crate::db::Database;
use crate::db::test_support::with_brand;
use crate::error::AppError;

/// A write job that holds the writer thread until released, and reads `others_waiting()`
/// from inside it on request.
struct HeldWriter {
    /// `true`: look once more; `false`: end the job.
    go: mpsc::Sender<bool>,
    seen: tokio::sync::mpsc::UnboundedReceiver<bool>,
    job: tokio::task::JoinHandle<Result<(), AppError>>,
}

impl HeldWriter {
    async fn hold(db: &Arc<Database>) -> HeldWriter {
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go, go_rx) = mpsc::channel::<bool>();
        let (seen_tx, seen) = tokio::sync::mpsc::unbounded_channel();
        let job = {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |_| {
                    started_tx.send(()).unwrap();
                    while go_rx.recv().unwrap() {
                        seen_tx.send(others_waiting()).unwrap();
                    }
                    Ok(())
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        HeldWriter { go, seen, job }
    }

    async fn others_waiting(&mut self) -> bool {
        self.go.send(true).unwrap();
        self.seen.recv().await.unwrap()
    }

    async fn release(self) {
        self.go.send(false).unwrap();
        self.job.await.unwrap().unwrap();
    }
}

/// Waits until `n` commands are queued behind the held job.
async fn queued(db: &Database, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.writer_stats().queued < n {
        assert!(Instant::now() < deadline, "the write never queued");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn a_running_job_sees_writes_queued_behind_it_and_nothing_else() {
    assert!(!others_waiting(), "off the writer thread there is no queue");
    with_brand(|db| async move {
        let alone = db.write(|_| Ok(others_waiting())).await.unwrap();
        assert!(!alone, "nothing queued behind a lone write");

        let mut held = HeldWriter::hold(&db).await;
        assert!(!held.others_waiting().await, "nothing queued yet");
        let second = {
            let db = db.clone();
            tokio::spawn(async move { db.write(|_| Ok(())).await })
        };
        queued(&db, 1).await;
        assert!(held.others_waiting().await, "the queued write is seen");
        held.release().await;
        second.await.unwrap().unwrap();
    });
}

/// Outbox bookkeeping queued behind the WhatsApp processor must not make it stop after every
/// message (it then committed one message at a time); a write someone waits on still does.
#[test]
fn a_running_job_does_not_stop_for_background_writes() {
    with_brand(|db| async move {
        let mut held = HeldWriter::hold(&db).await;
        let background = {
            let db = db.clone();
            tokio::spawn(async move { db.write_in_background_as("system:test", |_| Ok(())).await })
        };
        queued(&db, 1).await;
        assert!(
            !held.others_waiting().await,
            "a background write is not waited on"
        );
        let waited_on = {
            let db = db.clone();
            tokio::spawn(async move { db.write(|_| Ok(())).await })
        };
        queued(&db, 2).await;
        assert!(held.others_waiting().await, "a write someone waits on is");
        held.release().await;
        background.await.unwrap().unwrap();
        waited_on.await.unwrap().unwrap();
        assert_eq!(db.writer_stats().queued, 0);
    });
}

/// Under writes that never pause for long (a webhook drain), the WAL must start over from its
/// beginning after checkpoints instead of growing: it grew past 1 GB in a drain before the
/// writer copied the checkpoint's tail itself.
#[test]
fn the_wal_starts_over_under_sustained_writes() {
    with_brand(|db| async move {
        db.write(|c| {
            c.execute_batch("CREATE TABLE relleno (v BLOB)")?;
            Ok(())
        })
        .await
        .unwrap();
        let wal = db.path().with_extension("db-wal");
        let writes = 12 * super::checkpoints::CHECKPOINT_EVERY_BATCHES as usize;
        let mut largest = 0;
        for _ in 0..writes {
            db.write(|c| {
                c.execute("INSERT INTO relleno VALUES (zeroblob(8000))", [])?;
                Ok(())
            })
            .await
            .unwrap();
            largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        }
        // Each write appends four frames: its row's two overflow pages, the table's leaf and
        // page 1 (whose header holds the file's size). Never started over, the WAL holds them
        // all; started over, about one checkpoint interval's worth (256 of the 3,072 writes).
        let appended = (writes * 4 * (4096 + 24)) as u64;
        assert!(
            largest < appended / 4,
            "the WAL reached {largest} bytes for {appended} bytes of frames"
        );
    });
}

/// What the background checkpoint relies on for the backup: a reader's snapshot caps how far
/// a checkpoint copies, so frames committed after it (not shipped yet) stay in the WAL.
#[test]
fn a_pinned_snapshot_caps_the_checkpoint_at_what_was_shipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let w = rusqlite::Connection::open(&path).unwrap();
    w.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
         CREATE TABLE t (v BLOB); INSERT INTO t VALUES (zeroblob(20000));",
    )
    .unwrap();
    let pin = super::beside::pin_snapshot(&path).unwrap();
    w.execute("INSERT INTO t VALUES (zeroblob(20000))", [])
        .unwrap();
    super::beside::checkpoint_beside(&path).unwrap();
    let frames = |c: &rusqlite::Connection| -> (i64, i64) {
        c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(1)?, r.get(2)?))
        })
        .unwrap()
    };
    let (log, copied) = frames(&w);
    assert!(
        copied > 0 && copied < log,
        "copied up to the pinned snapshot only: {copied} of {log} frames"
    );
    pin.execute_batch("COMMIT").unwrap();
    let (log, copied) = frames(&w);
    assert_eq!(copied, log, "unpinned, the rest is copied");
}

/// After enough batches the checkpoint runs beside the writer: the database file grows with
/// what the WAL held, while the writer goes on, and with a hook, the hook ships first.
#[test]
fn checkpoints_run_beside_the_writer_after_the_hook_ships() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Counting {
        calls: AtomicUsize,
        sizes: Mutex<Vec<u64>>,
    }
    impl super::CheckpointHook for Counting {
        fn before_checkpoint(
            &self,
            _: &rusqlite::Connection,
            db: &std::path::Path,
        ) -> anyhow::Result<()> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.sizes
                .lock()
                .unwrap()
                .push(std::fs::metadata(db)?.len());
            Ok(())
        }
    }
    with_brand(|db| async move {
        let hook = Arc::new(Counting::default());
        db.set_checkpoint_hook(hook.clone());
        db.write(|c| {
            c.execute_batch("CREATE TABLE relleno (v BLOB)")?;
            Ok(())
        })
        .await
        .unwrap();
        let before = std::fs::metadata(db.path()).unwrap().len();
        for _ in 0..super::checkpoints::CHECKPOINT_EVERY_BATCHES {
            db.write(|c| {
                c.execute("INSERT INTO relleno VALUES (zeroblob(8000))", [])?;
                Ok(())
            })
            .await
            .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::metadata(db.path()).unwrap().len() < before + 1_500_000 {
            assert!(Instant::now() < deadline, "no checkpoint reached the file");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(hook.calls.load(Ordering::SeqCst) >= 1, "shipped first");
        assert!(
            hook.sizes.lock().unwrap()[0] < before + 1_500_000,
            "the hook ran before the pages were copied"
        );
        // The writer still writes, and the rows are all there.
        let n = db
            .write(|c| Ok(c.query_row("SELECT COUNT(*) FROM relleno", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(n, i64::from(super::checkpoints::CHECKPOINT_EVERY_BATCHES));
    });
}
