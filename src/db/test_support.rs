//! Unit-test scaffolding shared by the domain modules: a fresh brand database in a temporary
//! directory, driven from a current-thread runtime, so each test states only its own data.

use std::future::Future;
use std::sync::Arc;

use rusqlite::Connection;

use super::{Database, Schema};
use crate::error::AppError;

/// Runs `check` on a fresh, migrated brand database. The directory holds a key file, so the
/// database's `pii_seal`/`pii_bi` functions work as in a real data directory.
pub fn with_brand<F: Future<Output = ()>>(check: impl FnOnce(Arc<Database>) -> F) {
    let dir = tempfile::tempdir().unwrap();
    crate::crypto::Keyring::load(dir.path()).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let db = Database::open(&dir.path().join("t.db"), Schema::Tenant, 1).unwrap();
            check(db).await
        });
}

/// Runs `f` as one write on a fresh brand database (see [`with_brand`]) and returns its result;
/// an error from `f` fails the test with its message.
pub fn in_brand_write<T: Send + 'static>(
    f: impl FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
) -> T {
    let mut out = None;
    let slot = &mut out;
    with_brand(|db| async move {
        *slot = Some(db.write(f).await.unwrap());
    });
    out.expect("the write ran")
}
