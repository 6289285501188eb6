//! Opening connections with the pragmas every database uses, set in this one place.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionRole {
    /// The single connection that writes; it owns checkpoints.
    Writer,
    /// A pooled connection that may only read.
    Reader,
}

/// Opens `path` with WAL, full durability, foreign keys and a busy timeout.
pub fn open_connection(path: &Path, role: ConnectionRole) -> Result<Connection, AppError> {
    let flags = match role {
        ConnectionRole::Writer => {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        }
        ConnectionRole::Reader => {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        }
    };
    let conn = Connection::open_with_flags(path, flags)?;
    // Another process (the CLI while the server runs) may hold the write lock briefly.
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // In memory: note that SQLite then keeps a savepoint's sub-journal as a chunk list that
    // every statement ending inside the savepoint walks from the start, so a write job must
    // not run many thousands of statements (see `analytics::nightly::apply`). FILE avoids
    // the walk but spills every sub-journal over 64 KiB (most webhook batches) to a file.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -8000)?; // ~8 MB per connection: low-RAM budget
    conn.pragma_update(None, "mmap_size", 0)?;
    match role {
        ConnectionRole::Writer => {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // An acknowledged write must survive a power cut.
            conn.pragma_update(None, "synchronous", "FULL")?;
            // The writer checkpoints itself so the backup can ship frames first.
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            // Erased values must not linger in free pages (GDPR erasure).
            conn.pragma_update(None, "secure_delete", true)?;
        }
        ConnectionRole::Reader => {
            conn.pragma_update(None, "query_only", true)?;
        }
    }
    super::functions::register(&conn, &super::functions::brand_of(path))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}
