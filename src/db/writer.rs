//! The single writer of a database: a dedicated thread fed by a channel.
//!
//! Group commit: the thread takes every write waiting in the queue (up to [`MAX_BATCH`]),
//! runs each inside its own savepoint of one transaction, commits once, and only then
//! answers the callers. Concurrent writers therefore share one fsync while every
//! acknowledged write is durable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{AppError, msg};

/// Most writes committed together; bounds the latency a batch adds to its first caller.
const MAX_BATCH: usize = 512;
/// How long the writer waits idle before offering fresh commits to the hook; this is the
/// backup interval (Litestream's default is 1 s too).
const SHIP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
/// After this long without work the writer hands its page cache back (`PRAGMA
/// shrink_memory`), once: an idle brand should not keep megabytes of pages it read.
const IDLE_SHRINK: std::time::Duration = std::time::Duration::from_secs(30);

/// Called on the writer thread before each checkpoint (the checkpoint only runs if it returns
/// `Ok`), on an idle tick after writes, and before the connection closes. The backup shipper
/// uses it to copy committed WAL frames before they are folded away.
pub trait CheckpointHook: Send + Sync {
    fn before_checkpoint(&self, conn: &Connection, db_path: &std::path::Path)
    -> anyhow::Result<()>;
}

thread_local! {
    /// On a writer thread, its counters: lets a long job see that others are waiting.
    static OWN_COUNTERS: std::cell::RefCell<Option<Arc<Counters>>> = const { std::cell::RefCell::new(None) };
}

/// Whether commands someone waits on are queued behind the job now running on this writer
/// thread (a webhook's ack, a staff edit…, not [`Writer::write_in_background_as`] writes);
/// `false` anywhere else. Background jobs that can stop half-way and be resumed (the WhatsApp
/// processor) check it to hand the writer over early, since everything queued waits for the
/// whole batch and its commit.
pub fn others_waiting() -> bool {
    OWN_COUNTERS.with(|c| c.borrow().as_ref().is_some_and(|c| c.waited_on() > 0))
}

/// Counters for metrics and benchmarks.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct WriterStats {
    pub batches: u64,
    pub writes: u64,
    pub queued: u64,
}

/// A queued write: `run` executes it inside the batch, `finish` answers the caller once the
/// batch's fate (commit or failure) is known.
trait WriteRequest: Send {
    /// Runs the write; `false` means it failed and its savepoint must be rolled back.
    fn run(&mut self, conn: &Connection) -> bool;
    fn finish(self: Box<Self>, commit: Result<(), AppError>);
    fn in_background(&self) -> bool;
}

struct PendingWrite<T, F> {
    work: Option<F>,
    /// Recorded by the audit triggers as who made the change (`None`: the system).
    actor: Option<String>,
    in_background: bool,
    result: Option<Result<T, AppError>>,
    reply: oneshot::Sender<Result<T, AppError>>,
}

impl<T, F> WriteRequest for PendingWrite<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, AppError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let actor = self.actor.as_deref();
        let result = super::functions::with_actor(actor, || {
            catch_unwind(AssertUnwindSafe(|| work(conn)))
                .unwrap_or_else(|_| Err(AppError::internal("write panicked")))
        });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), AppError>) {
        let answer = match (commit, self.result) {
            (Err(e), _) => Err(e),
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(AppError::internal("write did not run")),
        };
        let _ = self.reply.send(answer);
    }

    fn in_background(&self) -> bool {
        self.in_background
    }
}

type WriteJob = Box<dyn WriteRequest>;
type MaintainJob = Box<dyn FnOnce(&mut Connection) + Send>;

enum Command {
    Write(WriteJob),
    Maintain(MaintainJob),
    /// Ship, then fold the whole WAL into the file and truncate it (GDPR erasure).
    Truncate(oneshot::Sender<Result<(), AppError>>),
    Close(oneshot::Sender<()>),
}

impl Command {
    fn in_background(&self) -> bool {
        matches!(self, Command::Write(job) if job.in_background())
    }
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    writes: AtomicU64,
    /// Commands sent and not yet taken by the writer thread.
    queued: AtomicU64,
    /// Of those, background writes (counted in `queued` too, added first and taken last, so
    /// a background write never looks waited on).
    queued_in_background: AtomicU64,
}

impl Counters {
    fn waited_on(&self) -> u64 {
        let queued = self.queued.load(Ordering::Relaxed);
        queued.saturating_sub(self.queued_in_background.load(Ordering::Relaxed))
    }

    fn queued_one(&self, in_background: bool) {
        if in_background {
            self.queued_in_background.fetch_add(1, Ordering::Relaxed);
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    /// A command left the queue: the writer thread took it, or it was never sent.
    fn taken_one(&self, in_background: bool) {
        self.queued.fetch_sub(1, Ordering::Relaxed);
        if in_background {
            self.queued_in_background.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

pub struct Writer {
    sender: Mutex<Option<mpsc::Sender<Command>>>,
    hook: Arc<Mutex<Option<Arc<dyn CheckpointHook>>>>,
    counters: Arc<Counters>,
}

fn closed() -> AppError {
    AppError::Unavailable(msg(
        "La base de datos se está cerrando.",
        "The database is shutting down.",
    ))
}

impl Writer {
    pub fn start(conn: Connection, path: PathBuf) -> Result<Writer, AppError> {
        let (sender, receiver) = mpsc::channel();
        let hook: Arc<Mutex<Option<Arc<dyn CheckpointHook>>>> = Arc::default();
        let counters = Arc::new(Counters::default());
        let thread_state = WriterThread {
            conn,
            path,
            hook: hook.clone(),
            counters: counters.clone(),
            batches_since_checkpoint: 0,
            last_checkpoint: std::time::Instant::now(),
            tail_to_copy: false,
            last_batch_waited_on: 0,
            unshipped: false,
            last_ship: std::time::Instant::now(),
            last_work: std::time::Instant::now(),
            shrunk: false,
            checkpointing: None,
        };
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || thread_state.run(receiver))
            .map_err(AppError::internal)?;
        Ok(Writer {
            sender: Mutex::new(Some(sender)),
            hook,
            counters,
        })
    }

    fn send(&self, command: Command) -> Result<(), AppError> {
        let guard = self.sender.lock().map_err(|_| closed())?;
        let sender = guard.as_ref().ok_or_else(closed)?;
        let in_background = command.in_background();
        self.counters.queued_one(in_background);
        sender.send(command).map_err(|_| {
            self.counters.taken_one(in_background);
            closed()
        })
    }

    pub async fn write_as<T, F>(&self, actor: Option<String>, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.queue_write(actor, false, f).await
    }

    /// Like [`Writer::write_as`], for a write no one waits on (outbox bookkeeping): a running
    /// job that hands the writer over to queued writes ([`others_waiting`]) does not stop for
    /// it. The WhatsApp processor stopped after every message for the outbox worker's claim of
    /// the reply it had just queued, so a drain committed one message at a time.
    pub async fn write_in_background_as<T, F>(
        &self,
        actor: Option<String>,
        f: F,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.queue_write(actor, true, f).await
    }

    async fn queue_write<T, F>(
        &self,
        actor: Option<String>,
        in_background: bool,
        f: F,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel::<Result<T, AppError>>();
        let job: WriteJob = Box::new(PendingWrite {
            work: Some(f),
            actor,
            in_background,
            result: None,
            reply,
        });
        self.send(Command::Write(job))?;
        rx.await.map_err(|_| closed())?
    }

    pub async fn maintain<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: MaintainJob = Box::new(move |conn| {
            let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(AppError::internal("maintenance panicked")));
            let _ = tx.send(result);
        });
        self.send(Command::Maintain(job))?;
        rx.await.map_err(|_| closed())?
    }

    /// Lets the backup ship what the WAL holds, then checkpoints it fully and truncates it to
    /// zero bytes, so old page images (erased values) no longer sit in the `-wal` file.
    pub async fn truncate_wal(&self) -> Result<(), AppError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Truncate(tx))?;
        rx.await.map_err(|_| closed())?
    }

    pub fn set_checkpoint_hook(&self, hook: Arc<dyn CheckpointHook>) {
        if let Ok(mut slot) = self.hook.lock() {
            *slot = Some(hook);
        }
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            writes: self.counters.writes.load(Ordering::Relaxed),
            queued: self.counters.queued.load(Ordering::Relaxed),
        }
    }

    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.send(Command::Close(tx)).is_ok() {
            let _ = rx.await;
        }
        if let Ok(mut guard) = self.sender.lock() {
            guard.take();
        }
    }
}

struct WriterThread {
    conn: Connection,
    path: PathBuf,
    hook: Arc<Mutex<Option<Arc<dyn CheckpointHook>>>>,
    counters: Arc<Counters>,
    batches_since_checkpoint: u32,
    /// When the last checkpoint started.
    last_checkpoint: std::time::Instant,
    /// A background checkpoint ended and the frames committed while it ran are not copied
    /// yet (see [`WriterThread::copy_tail`]).
    tail_to_copy: bool,
    /// Writes someone waited on in the last batch: two or more mean callers write at once (a
    /// burst of webhooks), and more are likely to arrive while the writer copies frames.
    last_batch_waited_on: usize,
    /// Commits happened since the hook last saw the WAL.
    unshipped: bool,
    last_ship: std::time::Instant,
    /// When the last command ran, and whether the cache was released since.
    last_work: std::time::Instant,
    shrunk: bool,
    /// The checkpoint running on its own thread, if any.
    checkpointing: Option<std::thread::JoinHandle<()>>,
}

impl WriterThread {
    fn run(mut self, receiver: mpsc::Receiver<Command>) {
        OWN_COUNTERS.with(|c| *c.borrow_mut() = Some(self.counters.clone()));
        let mut pending: Option<Command> = None;
        let mut closed: Option<oneshot::Sender<()>> = None;
        loop {
            let first = match pending.take() {
                Some(c) => c,
                None => match receiver.recv_timeout(SHIP_INTERVAL) {
                    Ok(c) => c,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        self.ship();
                        self.shrink_when_idle();
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                },
            };
            self.counters.taken_one(first.in_background());
            self.last_work = std::time::Instant::now();
            self.shrunk = false;
            match first {
                Command::Write(job) => {
                    let mut batch = vec![job];
                    while batch.len() < MAX_BATCH {
                        match receiver.try_recv() {
                            Ok(Command::Write(job)) => {
                                self.counters.taken_one(job.in_background());
                                batch.push(job);
                            }
                            Ok(other) => {
                                pending = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.commit_batch(batch);
                    self.unshipped = true;
                    self.maybe_checkpoint(false);
                    // Under constant load the queue never idles: ship on time anyway.
                    if self.last_ship.elapsed() >= SHIP_INTERVAL {
                        self.ship();
                    }
                }
                Command::Maintain(job) => job(&mut self.conn),
                Command::Truncate(done) => {
                    self.wait_for_checkpoint();
                    let _ = done.send(self.truncate());
                }
                Command::Close(done) => {
                    self.maybe_checkpoint(true);
                    closed = Some(done);
                    break;
                }
            }
        }
        // The connection is closed before the caller hears of it: the last connection's
        // close folds the WAL in and removes the `-wal` and `-shm` files, and a CLI command
        // that exits right after `close()` must not cut that short.
        self.wait_for_checkpoint();
        drop(self);
        if let Some(done) = closed {
            let _ = done.send(());
        }
    }

    fn commit_batch(&mut self, mut batch: Vec<WriteJob>) {
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        self.last_batch_waited_on = batch.iter().filter(|job| !job.in_background()).count();
        self.counters
            .writes
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        let outcome = self.run_in_transaction(&mut batch);
        for job in batch {
            job.finish(match &outcome {
                Ok(()) => Ok(()),
                Err(e) => Err(same_meaning(e)),
            });
        }
    }

    /// Runs every job in its own savepoint of one transaction and commits.
    fn run_in_transaction(&mut self, batch: &mut [WriteJob]) -> Result<(), AppError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        for job in batch.iter_mut() {
            // Cached statements: SAVEPOINT and RELEASE run for every job, so they are not
            // parsed again each time.
            let conn = &self.conn;
            let exec = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
            let step = exec("SAVEPOINT w").and_then(|_| {
                if job.run(conn) {
                    exec("RELEASE w").map(drop)
                } else {
                    conn.execute_batch("ROLLBACK TO w; RELEASE w")
                }
            });
            if let Err(e) = step {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
        Ok(())
    }

    /// Releases the connection's page cache once it has been idle for [`IDLE_SHRINK`].
    fn shrink_when_idle(&mut self) {
        if self.shrunk || self.unshipped || self.last_work.elapsed() < IDLE_SHRINK {
            return;
        }
        self.shrunk = true;
        if let Err(e) = self.conn.execute_batch("PRAGMA shrink_memory") {
            tracing::debug!(error = %e, db = %self.path.display(), "shrink_memory failed");
        }
    }
}

/// Errors are not `Clone` (they wrap library errors); a batch failure is reported to each
/// caller with the same meaning.
fn same_meaning(e: &AppError) -> AppError {
    match e {
        AppError::StorageFull => AppError::StorageFull,
        AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
        other => AppError::Internal(other.to_string()),
    }
}

#[path = "checkpoint_beside.rs"]
mod beside;

#[path = "writer_checkpoints.rs"]
mod checkpoints;
pub use checkpoints::CheckpointDeclined;

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
