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
    // Low-RAM budget: the writer keeps 8 MB of pages (a write batch touches many b-trees), a
    // reader 2 MB: the OS page cache holds the file anyway, and a brand's four readers at
    // 8 MB each held ≈ 12 MiB more at the peak under load for no measurable speed.
    let cache_kib: i64 = match role {
        ConnectionRole::Writer => 8000,
        ConnectionRole::Reader => 2000,
    };
    conn.pragma_update(None, "cache_size", -cache_kib)?;
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

#[cfg(test)]
mod tests {
    use crate::db::test_support::with_brand;

    fn cache_size(c: &rusqlite::Connection) -> Result<i64, crate::error::AppError> {
        Ok(c.query_row("PRAGMA cache_size", [], |r| r.get(0))?)
    }

    #[test]
    fn readers_keep_a_smaller_page_cache_than_the_writer() {
        with_brand(|db| async move {
            let writer = db.write(cache_size).await.unwrap();
            let reader = db.read(cache_size).await.unwrap();
            // Negative: KiB, not pages.
            assert_eq!((writer, reader), (-8000, -2000));
        });
    }
}
