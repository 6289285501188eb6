//! A small pool of read-only connections used from blocking threads.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::connection::{ConnectionRole, open_connection};
use crate::error::AppError;

/// A reader left unused this long is closed when another is returned, so a brand keeps one
/// reader (with its schema and page cache, ≈ 1–8 MiB) once a burst of reads is over instead
/// of every connection the burst opened.
const IDLE_CLOSE: Duration = Duration::from_secs(30);

pub struct ReadPool {
    path: PathBuf,
    /// Idle connections with when each was returned, most recent last (reads take the most
    /// recent, so the others age and get closed).
    idle: Arc<Mutex<Vec<(Connection, Instant)>>>,
    permits: Arc<Semaphore>,
    /// Reads run so far, each on a blocking thread (`/metrics`; tests of idle loops).
    count: AtomicU64,
}

impl ReadPool {
    /// Connections are opened lazily, so an idle brand costs no file handles beyond the writer.
    pub fn open(path: &Path, size: usize) -> Result<ReadPool, AppError> {
        Ok(ReadPool {
            path: path.to_path_buf(),
            idle: Arc::default(),
            permits: Arc::new(Semaphore::new(size.max(1))),
            count: AtomicU64::new(0),
        })
    }

    /// How many reads have run.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        let idle = self.idle.clone();
        let path = self.path.clone();
        self.count.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = match idle.lock().ok().and_then(|mut v| v.pop()) {
                Some((conn, _)) => conn,
                None => open_connection(&path, ConnectionRole::Reader)?,
            };
            let result = catch_unwind(AssertUnwindSafe(|| f(&conn)))
                .unwrap_or_else(|_| Err(AppError::internal("read panicked")));
            let stale = match idle.lock() {
                Ok(mut v) => {
                    let now = Instant::now();
                    let keep = v
                        .iter()
                        .position(|(_, at)| now.duration_since(*at) < IDLE_CLOSE)
                        .unwrap_or(v.len());
                    let stale: Vec<_> = v.drain(..keep).collect();
                    v.push((conn, now));
                    stale
                }
                Err(_) => Vec::new(),
            };
            // Closed outside the lock.
            drop(stale);
            result
        })
        .await?
    }
}
