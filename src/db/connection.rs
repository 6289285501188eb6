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
            // Temporary storage in files, not memory, for the writer: every write runs in
            // a savepoint (see `writer`), and with in-memory temp storage SQLite keeps the
            // savepoint's sub-journal as a linked list of 1 KB chunks that it walks from the
            // start each time a statement inside the savepoint ends. A write of many
            // statements over many pages (the nightly RFM rows, 100k customers) was
            // quadratic: minutes at 1M orders. A file-backed sub-journal is truncated in O(1)
            // and also keeps large writes out of RAM.
            conn.pragma_update(None, "temp_store", "FILE")?;
        }
        ConnectionRole::Reader => {
            conn.pragma_update(None, "query_only", true)?;
            conn.pragma_update(None, "temp_store", "MEMORY")?;
        }
    }
    super::functions::register(&conn, &super::functions::brand_of(path))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> i64 {
        conn.pragma_query_value(None, name, |r| r.get(0)).unwrap()
    }

    #[test]
    fn writer_keeps_temporary_storage_in_files_and_readers_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("marca.db");
        let writer = open_connection(&path, ConnectionRole::Writer).unwrap();
        // 1 = FILE: the savepoint sub-journal must not be an in-memory chunk list (quadratic
        // truncation on every statement of a large write; see `open_connection`).
        assert_eq!(pragma(&writer, "temp_store"), 1);
        assert_eq!(pragma(&writer, "secure_delete"), 1);
        let reader = open_connection(&path, ConnectionRole::Reader).unwrap();
        assert_eq!(pragma(&reader, "temp_store"), 2);
        assert_eq!(pragma(&reader, "query_only"), 1);
    }
}
