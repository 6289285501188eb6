//! The checkpoint that runs beside the writer (see `WriterThread::start_checkpoint`): its own
//! thread and connection, and the read transaction that keeps it behind what was shipped.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// Runs a PASSIVE checkpoint on a thread of its own, then ends `pin`'s read transaction.
pub(super) fn spawn(
    path: PathBuf,
    pin: Option<Connection>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            if let Err(e) = checkpoint_beside(&path) {
                tracing::warn!(error = %e, db = %path.display(), "checkpoint failed");
            }
            if let Some(pin) = pin {
                let _ = pin.execute_batch("COMMIT");
            }
        })
}

/// A read-only connection inside a read transaction on the database as committed now.
pub(super) fn pin_snapshot(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // BEGIN is deferred: the first read takes the snapshot.
    c.execute_batch("BEGIN")?;
    c.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |_| Ok(()))?;
    Ok(c)
}

/// A pass that copied fewer frames than this was short enough: the writer copies what was
/// committed during it (see `WriterThread::copy_tail`), and that is what writes wait for.
const SHORT_PASS_FRAMES: i64 = 256;
/// Passes one checkpoint runs at most, however busy the writer is.
const MAX_PASSES: u32 = 8;

/// PASSIVE checkpoints through a connection of its own (never waits for the writer), pass
/// after pass while the writer commits faster than a pass ends, so that what the writer is
/// left to copy is short.
pub(super) fn checkpoint_beside(path: &Path) -> rusqlite::Result<()> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    // The copied pages reach the disk before the WAL may be reused.
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "wal_autocheckpoint", 0)?;
    let mut copied_before = 0;
    for _ in 0..MAX_PASSES {
        // (busy, frames in the WAL, frames copied so far); -1 when not in WAL mode.
        let copied: i64 = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(2))?;
        if copied - copied_before < SHORT_PASS_FRAMES {
            break;
        }
        copied_before = copied;
    }
    Ok(())
}
