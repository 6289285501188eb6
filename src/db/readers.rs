//! A small pool of read-only connections used from blocking threads.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::connection::{ConnectionRole, open_connection};
use crate::error::AppError;

pub struct ReadPool {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
}

impl ReadPool {
    /// Connections are opened lazily, so an idle brand costs no file handles beyond the writer.
    pub fn open(path: &Path, size: usize) -> Result<ReadPool, AppError> {
        Ok(ReadPool {
            path: path.to_path_buf(),
            idle: Arc::default(),
            permits: Arc::new(Semaphore::new(size.max(1))),
        })
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
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = match idle.lock().ok().and_then(|mut v| v.pop()) {
                Some(conn) => conn,
                None => open_connection(&path, ConnectionRole::Reader)?,
            };
            let result = catch_unwind(AssertUnwindSafe(|| f(&conn)))
                .unwrap_or_else(|_| Err(AppError::internal("read panicked")));
            if let Ok(mut v) = idle.lock() {
                v.push(conn);
            }
            result
        })
        .await?
    }
}
