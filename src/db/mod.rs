//! SQLite plumbing only: connection pragmas, one writer thread with group commit, a small
//! pool of readers, and the embedded migrations. No domain knowledge lives here.
//!
//! Every database (the control database and each brand's) is a [`Database`]: writes are
//! closures sent to the writer thread, which runs all queued writes in one transaction (each
//! in its own savepoint, so one failing write does not undo the others) and answers them only
//! after the commit is on disk (`synchronous=FULL`). Reads run on blocking threads with a
//! pooled read-only connection, so SQLite never blocks the async executor.

mod connection;
pub mod functions;
pub mod migrations;
mod readers;
#[cfg(test)]
pub mod test_support;
pub mod versioned;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use connection::{ConnectionRole, open_connection};
pub use writer::{CheckpointDeclined, CheckpointHook, WriterStats, others_waiting};

use crate::error::AppError;
use readers::ReadPool;
use writer::Writer;

/// Which schema a database carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    Control,
    Tenant,
}

/// A migrated SQLite database with its writer and readers.
pub struct Database {
    path: PathBuf,
    writer: Writer,
    readers: ReadPool,
    /// Opened on first use: only databases whose reads are cached need it.
    watch: std::sync::OnceLock<Option<versioned::ChangeWatch>>,
    /// Answers of [`Database::read_unchanged`], by query, as of the current data version.
    unchanged: versioned::VersionedCache<&'static str, Arc<dyn std::any::Any + Send + Sync>>,
}

impl Database {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path, schema: Schema, readers: usize) -> Result<Arc<Database>, AppError> {
        Self::open_checked(path, schema, readers, |_| Ok(()))
    }

    /// Like [`Database::open`], running `check` on the writer's connection before anything
    /// is migrated: an error leaves the file as it was.
    pub fn open_checked(
        path: &Path,
        schema: Schema,
        readers: usize,
        check: impl FnOnce(&rusqlite::Connection) -> Result<(), AppError>,
    ) -> Result<Arc<Database>, AppError> {
        let mut conn = open_connection(path, ConnectionRole::Writer)?;
        check(&conn)?;
        migrations::run(&mut conn, schema)?;
        let writer = Writer::start(conn, path.to_path_buf())?;
        let readers = ReadPool::open(path, readers)?;
        Ok(Arc::new(Database {
            path: path.to_path_buf(),
            writer,
            readers,
            watch: std::sync::OnceLock::new(),
            unchanged: versioned::VersionedCache::new(16),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` inside the writer's current batch transaction; returns once committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, AppError> + Send + 'static,
    {
        // Inside a request or CLI command the actor is the caller; otherwise "system".
        self.writer.write_as(functions::task_actor(), f).await
    }

    /// Like [`Database::write`], recording `actor` in the audit trail of what `f` changes.
    pub async fn write_as<T, F>(&self, actor: impl Into<String>, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.writer.write_as(Some(actor.into()), f).await
    }

    /// Like [`Database::write_as`], for bookkeeping no one waits on (see
    /// [`Writer::write_in_background_as`]).
    pub async fn write_in_background_as<T, F>(
        &self,
        actor: impl Into<String>,
        f: F,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.writer
            .write_in_background_as(Some(actor.into()), f)
            .await
    }

    /// Runs `f` on the writer thread outside any transaction (checkpoints, VACUUM, backups).
    pub async fn maintain<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.writer.maintain(f).await
    }

    /// Runs `f` with a read-only connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.readers.read(f).await
    }

    /// Like [`Database::read`], but answers what `f` returned last time if nothing was
    /// committed to the file since, by any connection or process (see [`versioned`]); `query`
    /// names what `f` reads, arguments included. For what background loops ask every tick (the
    /// list of brands, "is anything due?"): an idle server then runs no read at all, so it
    /// wakes no blocking thread and tokio lets the start's threads (each with its stack and
    /// allocator heap) expire. The version check's connection never loads the schema (see
    /// [`versioned::ChangeWatch::open`]), so it costs an open brand almost nothing.
    pub async fn read_unchanged<T, F>(&self, query: &'static str, f: F) -> Result<T, AppError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, AppError> + Send + 'static,
    {
        let version = self.data_version();
        if let Some(hit) = self.unchanged.get(version, &query)
            && let Some(answer) = hit.downcast_ref::<T>()
        {
            return Ok(answer.clone());
        }
        let answer = self.readers.read(f).await?;
        self.unchanged
            .insert(version, query, Arc::new(answer.clone()));
        Ok(answer)
    }

    /// Ships the WAL to the backup, checkpoints it fully and truncates it (see the writer).
    pub async fn truncate_wal(&self) -> Result<(), AppError> {
        self.writer.truncate_wal().await
    }

    /// Installs the hook called before every checkpoint (the backup shipper).
    pub fn set_checkpoint_hook(&self, hook: Arc<dyn CheckpointHook>) {
        self.writer.set_checkpoint_hook(hook);
    }

    /// `PRAGMA data_version` of the file (see [`versioned`]): moves on every commit by any
    /// connection or process. `None` if it cannot be read, so callers must not cache then.
    pub fn data_version(&self) -> Option<i64> {
        self.watch
            .get_or_init(|| versioned::ChangeWatch::open(&self.path).ok())
            .as_ref()?
            .version()
    }

    pub fn writer_stats(&self) -> WriterStats {
        self.writer.stats()
    }

    /// How many reads have run on the reader pool (cached answers are not reads).
    pub fn reads(&self) -> u64 {
        self.readers.count()
    }

    /// Commits what is queued and stops the writer; later writes fail.
    pub async fn close(&self) {
        self.writer.close().await;
    }
}
