//! SQL functions the tenant schema's audit triggers call: who is writing, which brand, and
//! the chain hash. Registered on every connection the application opens (and by tools that
//! open a brand file themselves, like the restore's erasure replay), so a trigger can never
//! run without them; a connection that lacks them cannot change audited tables at all.

use std::cell::RefCell;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use sha2::{Digest, Sha256};

thread_local! {
    /// The actor of the write running on this thread (the writer thread sets it per write).
    static ACTOR: RefCell<Option<String>> = const { RefCell::new(None) };
}

tokio::task_local! {
    /// The actor of the request (or CLI command) this task serves; filled in once the caller
    /// is known, read when a write is queued without an explicit actor.
    static TASK_ACTOR: RefCell<Option<String>>;
}

/// Runs `f` with a task-local actor slot, initially `actor`; see [`set_task_actor`].
pub async fn with_task_actor<F: std::future::Future>(actor: Option<String>, f: F) -> F::Output {
    TASK_ACTOR.scope(RefCell::new(actor), f).await
}

/// Records who this task acts for (no effect outside [`with_task_actor`]).
pub fn set_task_actor(actor: String) {
    let _ = TASK_ACTOR.try_with(|a| *a.borrow_mut() = Some(actor));
}

/// The actor of the current task, if one was set.
pub fn task_actor() -> Option<String> {
    TASK_ACTOR.try_with(|a| a.borrow().clone()).ok().flatten()
}

/// Who is recorded when nobody said: a system task of the application.
pub const DEFAULT_ACTOR: &str = "system";

/// Runs `f` with `actor` as what `audit_actor()` answers on this thread.
pub fn with_actor<T>(actor: Option<&str>, f: impl FnOnce() -> T) -> T {
    let previous = ACTOR.with(|a| a.replace(actor.map(str::to_owned)));
    let out = f();
    ACTOR.with(|a| *a.borrow_mut() = previous);
    out
}

fn current_actor() -> String {
    ACTOR.with(|a| {
        a.borrow()
            .clone()
            .unwrap_or_else(|| DEFAULT_ACTOR.to_owned())
    })
}

/// The chain hash of one audit row: SHA-256 (hex) over the previous row's hash and every
/// field, each length-prefixed so no two different rows serialise alike.
#[allow(clippy::too_many_arguments)]
pub fn audit_hash(
    prev: &str,
    en: i64,
    actor: &str,
    marca: &str,
    tabla: &str,
    fila_id: Option<i64>,
    accion: &str,
    cambios: &str,
) -> String {
    let mut h = Sha256::new();
    let fila = fila_id.map(|v| v.to_string()).unwrap_or_default();
    let en = en.to_string();
    for part in [prev, &en, actor, marca, tabla, &fila, accion, cambios] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Registers `audit_actor()`, `audit_brand()` and `audit_hash(...)` on `conn`; `brand` is
/// what `audit_brand()` answers (the brand's slug, the file's stem).
pub fn register(conn: &Connection, brand: &str) -> rusqlite::Result<()> {
    crate::crypto::sql::register(conn)?;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function("audit_actor", 0, flags, |_| Ok(current_actor()))?;
    let brand = brand.to_owned();
    conn.create_scalar_function("audit_brand", 0, flags, move |_| Ok(brand.clone()))?;
    conn.create_scalar_function(
        "audit_hash",
        8,
        flags | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(audit_hash(
                &ctx.get::<String>(0)?,
                ctx.get(1)?,
                &ctx.get::<String>(2)?,
                &ctx.get::<String>(3)?,
                &ctx.get::<String>(4)?,
                ctx.get(5)?,
                &ctx.get::<String>(6)?,
                &ctx.get::<String>(7)?,
            ))
        },
    )
}

/// The brand name a database file stands for: its stem (`tenants/gollos.db` → `gollos`).
pub fn brand_of(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
