//! Caching reads of a database that other processes may change (the control database, which
//! the CLI edits while the server runs).
//!
//! `PRAGMA data_version` on a dedicated connection changes whenever any other connection —
//! our own writer or another process — commits to the file. It is answered from the WAL index
//! in shared memory, so checking it costs microseconds, much less than a pooled read. A cache
//! keyed by that version is therefore never stale: the first request after any commit sees a
//! new version and drops everything.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::error::AppError;

/// A connection used only to ask whether the file changed.
pub struct ChangeWatch {
    conn: Mutex<Connection>,
}

impl ChangeWatch {
    /// A bare read-only connection: none of the usual pragmas, because `cache_size` (and any
    /// statement naming a table) makes SQLite parse the whole schema into the connection, a
    /// brand's triggers included, and `PRAGMA data_version` needs none of it. No busy
    /// timeout either: the check runs on an async worker, and a file that is busy (a WAL
    /// being recovered) answers "unknown", which callers treat as changed.
    pub fn open(path: &Path) -> Result<ChangeWatch, AppError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::ZERO)?;
        Ok(ChangeWatch {
            conn: Mutex::new(conn),
        })
    }

    /// The current data version; `None` when it cannot be read (callers then skip caches).
    pub fn version(&self) -> Option<i64> {
        let conn = self.conn.lock().ok()?;
        conn.query_row("PRAGMA data_version", [], |r| r.get(0)).ok()
    }
}

/// Entries valid for one data version; a bounded map, cleared when the version moves.
pub struct VersionedCache<K, V> {
    inner: Mutex<(Option<i64>, HashMap<K, V>)>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> VersionedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        VersionedCache {
            inner: Mutex::new((None, HashMap::new())),
            capacity,
        }
    }

    /// The entry for `key` cached at `version`, if any.
    pub fn get(&self, version: Option<i64>, key: &K) -> Option<V> {
        let version = version?;
        let mut inner = self.inner.lock().ok()?;
        if inner.0 != Some(version) {
            inner.0 = Some(version);
            inner.1.clear();
            return None;
        }
        inner.1.get(key).cloned()
    }

    /// Caches `value`, read AFTER `version` was taken: a commit in between only makes the
    /// entry newer than its version, and the next version check drops it anyway.
    pub fn insert(&self, version: Option<i64>, key: K, value: V) {
        let Some(version) = version else { return };
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.0 != Some(version) {
            inner.0 = Some(version);
            inner.1.clear();
        }
        if inner.1.len() >= self.capacity {
            inner.1.clear();
        }
        inner.1.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::connection::{ConnectionRole, open_connection};

    #[test]
    fn version_moves_on_commits_from_other_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let writer = open_connection(&path, ConnectionRole::Writer).unwrap();
        writer.execute_batch("CREATE TABLE t (x)").unwrap();
        let watch = ChangeWatch::open(&path).unwrap();
        let v1 = watch.version().unwrap();
        assert_eq!(watch.version(), Some(v1), "no commit, same version");
        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let v2 = watch.version().unwrap();
        assert_ne!(v1, v2, "a commit elsewhere moves the version");

        let cache = VersionedCache::new(2);
        cache.insert(Some(v2), "a", 1);
        assert_eq!(cache.get(Some(v2), &"a"), Some(1));
        writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
        assert_eq!(
            cache.get(watch.version(), &"a"),
            None,
            "stale entry dropped"
        );
        assert_eq!(cache.get(None, &"a"), None, "unknown version never hits");
    }

    /// `read_unchanged` runs its read again only after a commit, from this process's writer
    /// or from another connection (the CLI), and a different query is never answered with
    /// another's result.
    #[test]
    fn unchanged_files_are_answered_without_a_read() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        const COUNT: &str = "SELECT COUNT(*) FROM analitica_estado WHERE clave LIKE 'prueba%'";
        crate::db::test_support::with_brand(|db| async move {
            let runs = Arc::new(AtomicUsize::new(0));
            let count = |db: Arc<crate::db::Database>, runs: Arc<AtomicUsize>| async move {
                db.read_unchanged("customers", move |c| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok(c.query_row(COUNT, [], |r| r.get::<_, i64>(0))?)
                })
                .await
                .unwrap()
            };
            assert_eq!(count(db.clone(), runs.clone()).await, 0);
            let reads = db.reads();
            assert_eq!(count(db.clone(), runs.clone()).await, 0);
            assert_eq!(runs.load(Ordering::SeqCst), 1, "second answer kept");
            assert_eq!(db.reads(), reads, "and no read ran for it");
            let other: String = db
                .read_unchanged("a text", |_| Ok("texto".to_owned()))
                .await
                .unwrap();
            assert_eq!(other, "texto", "another query runs its own read");

            db.write(|c| {
                c.execute("INSERT INTO analitica_estado VALUES ('prueba1', 'x')", [])?;
                Ok(())
            })
            .await
            .unwrap();
            assert_eq!(count(db.clone(), runs.clone()).await, 1, "our commit seen");

            let elsewhere = open_connection(db.path(), ConnectionRole::Writer).unwrap();
            elsewhere
                .execute("INSERT INTO analitica_estado VALUES ('prueba2', 'x')", [])
                .unwrap();
            assert_eq!(
                count(db.clone(), runs.clone()).await,
                2,
                "another's commit seen"
            );
            assert_eq!(runs.load(Ordering::SeqCst), 3);
        });
    }
}
