//! When the writer ships its WAL to the backup hook and checkpoints it: in the background
//! beside the writer, then the last frames on the writer so the WAL starts over.

use super::beside;
use super::{WriterThread, msg};
use crate::error::AppError;

/// The error a [`super::CheckpointHook`] returns to decline checkpoints by design (a
/// command-line process leaves them to the running server): the writer notes it at debug
/// level, since nothing is wrong, where any other refusal is a warning.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckpointDeclined(pub &'static str);

/// Checkpoint after this many committed batches, which bounds the WAL (and what a crash
/// must replay) without a checkpoint on every commit. The checkpoint runs on its own thread
/// and connection (see [`WriterThread::start_checkpoint`]), so writes go on meanwhile.
pub(super) const CHECKPOINT_EVERY_BATCHES: u32 = 256;
/// Under sustained writes, checkpoint at least this often (once this many batches are in):
/// a webhook drain commits dozens of batches a second of 50–120 pages each, and 256 batches
/// let the WAL grow by hundreds of megabytes between checkpoints.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
const CHECKPOINT_MIN_BATCHES: u32 = 8;

impl WriterThread {
    /// Checkpoints after enough batches (in the background), or now when `force` (closing).
    pub(super) fn maybe_checkpoint(&mut self, force: bool) {
        self.batches_since_checkpoint += 1;
        if force {
            self.wait_for_checkpoint();
            self.checkpoint();
            return;
        }
        match &self.checkpointing {
            Some(running) if !running.is_finished() => return,
            Some(_) => {
                self.wait_for_checkpoint();
                self.tail_to_copy = true;
            }
            None => {}
        }
        if self.tail_to_copy && self.counters.waited_on() == 0 && self.last_batch_waited_on <= 1 {
            self.copy_tail();
        } else if self.checkpoint_due() {
            self.start_checkpoint();
        }
    }

    fn checkpoint_due(&self) -> bool {
        self.batches_since_checkpoint >= CHECKPOINT_EVERY_BATCHES
            || (self.batches_since_checkpoint >= CHECKPOINT_MIN_BATCHES
                && self.last_checkpoint.elapsed() >= CHECKPOINT_INTERVAL)
    }

    /// Copies, here on the writer, what was committed while the background checkpoint ran.
    /// SQLite starts the WAL over from its beginning only in a write transaction that begins
    /// with every frame copied, which under constant writes never happened by itself: the WAL
    /// grew past 1 GB during a webhook drain, and extending the file (ext4 allocating and
    /// zeroing blocks) took a fifth of the writer's time. Only the last moments' frames are
    /// left to copy, and only when no write anyone waits on is queued and the last batch was
    /// not a burst, so acks rarely wait for it. One try per background checkpoint: a backup
    /// hook that refuses is not asked again after every batch.
    fn copy_tail(&mut self) {
        self.tail_to_copy = false;
        self.checkpoint();
    }

    /// Joins the background checkpoint, if one ran.
    pub(super) fn wait_for_checkpoint(&mut self) {
        if let Some(h) = self.checkpointing.take() {
            let _ = h.join();
        }
    }

    /// Starts a PASSIVE checkpoint on its own thread and connection. Copying the WAL's pages
    /// into the database file and its fsync took the writer tens of milliseconds every 256
    /// batches at 1M orders, and every write waited meanwhile; in WAL mode a checkpoint from
    /// another connection runs beside the writer.
    ///
    /// With a backup hook, the hook ships the WAL here first, and a read transaction opened
    /// right after (on this thread, so it sees exactly what was shipped) stays open until the
    /// checkpoint ends: SQLite never copies frames past an active reader's snapshot, and never
    /// restarts the WAL under one, so frames committed meanwhile stay in the WAL until the hook
    /// has shipped them.
    fn start_checkpoint(&mut self) {
        let pin = match self.ship_now() {
            Err(e) => {
                self.postponed(&e);
                return;
            }
            Ok(false) => None,
            Ok(true) => match beside::pin_snapshot(&self.path) {
                Ok(pin) => Some(pin),
                Err(e) => {
                    tracing::warn!(error = %e, db = %self.path.display(), "checkpoint postponed");
                    return;
                }
            },
        };
        self.batches_since_checkpoint = 0;
        self.last_checkpoint = std::time::Instant::now();
        self.tail_to_copy = false;
        match beside::spawn(self.path.clone(), pin) {
            Ok(h) => self.checkpointing = Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "no checkpoint thread; checkpointing on the writer");
                self.checkpoint();
            }
        }
    }

    fn postponed(&self, e: &anyhow::Error) {
        if e.is::<CheckpointDeclined>() {
            tracing::debug!(reason = %e, db = %self.path.display(), "checkpoint left to another process");
        } else {
            tracing::warn!(error = %e, db = %self.path.display(), "checkpoint postponed by hook");
        }
    }

    /// Offers the committed WAL frames to the hook (the backup), without checkpointing.
    pub(super) fn ship(&mut self) {
        if !self.unshipped {
            return;
        }
        if let Err(e) = self.ship_now() {
            tracing::warn!(error = %e, db = %self.path.display(), "backup hook failed");
        }
    }

    /// Lets the hook (the backup) ship the committed WAL frames now, as every checkpoint must
    /// first; `Ok(false)` when no hook is installed.
    fn ship_now(&mut self) -> anyhow::Result<bool> {
        self.last_ship = std::time::Instant::now();
        let hook = self.hook.lock().ok().and_then(|h| h.clone());
        if let Some(hook) = &hook {
            hook.before_checkpoint(&self.conn, &self.path)?;
        }
        self.unshipped = false;
        Ok(hook.is_some())
    }

    pub(super) fn truncate(&mut self) -> Result<(), AppError> {
        self.ship_now()
            .map_err(|e| AppError::Internal(format!("backup hook: {e}")))?;
        let (busy, _, _): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        if busy != 0 {
            return Err(AppError::Unavailable(msg(
                "La base de datos está ocupada; el borrado se completará en el próximo punto de control.",
                "The database is busy; the erasure completes at the next checkpoint.",
            )));
        }
        self.batches_since_checkpoint = 0;
        Ok(())
    }

    /// Lets the hook ship what the WAL holds, then folds the WAL into the database.
    fn checkpoint(&mut self) {
        if let Err(e) = self.ship_now() {
            self.postponed(&e);
            return;
        }
        match self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        {
            Ok(()) => self.batches_since_checkpoint = 0,
            Err(e) => tracing::warn!(error = %e, db = %self.path.display(), "checkpoint failed"),
        }
    }
}
