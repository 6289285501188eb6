//! The tamper-evident audit trail of each brand (table `auditoria`, tenant migration V7).
//!
//! Changes are recorded by triggers in the same transaction as the change, with the actor
//! the writer was given ([`crate::db::Database::write_as`], `TenantCtx::write`); denied
//! attempts and data-access events are recorded here with [`record`]. Rows are append-only
//! and hash-chained; [`verify`] walks the chain.

pub mod command;
pub mod pages;

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::db::functions::audit_hash;
use crate::error::AppError;

/// One row of the trail.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub en: i64,
    pub actor: String,
    pub marca: String,
    pub tabla: String,
    pub fila_id: Option<i64>,
    pub accion: String,
    pub cambios: String,
}

/// Appends an event that no table trigger sees (a denied attempt, an export, an erasure
/// request) to the trail, in the caller's transaction, with the current write's actor.
pub fn record(
    conn: &Connection,
    tabla: &str,
    fila_id: Option<i64>,
    accion: &str,
    detalle: &serde_json::Value,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![tabla, fila_id, accion, detalle.to_string()])?;
    Ok(())
}

/// What the audit screen filters on; empty fields match everything.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    pub actor: Option<String>,
    pub tabla: Option<String>,
    pub accion: Option<String>,
    pub fila_id: Option<i64>,
    /// Only rows with an id below this one (paging, newest first).
    pub antes_de: Option<i64>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Newest first, at most `limit` rows matching `f`.
pub fn list(conn: &Connection, f: &Filter, limit: i64) -> Result<Vec<Entry>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, en, actor, marca, tabla, fila_id, accion, cambios FROM auditoria
         WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR tabla = ?2)
           AND (?3 IS NULL OR accion = ?3) AND (?4 IS NULL OR fila_id = ?4)
           AND (?5 IS NULL OR id < ?5)
         ORDER BY id DESC LIMIT ?6",
    )?;
    let rows = stmt.query_map(
        params![
            non_empty(&f.actor),
            non_empty(&f.tabla),
            non_empty(&f.accion),
            f.fila_id,
            f.antes_de,
            limit
        ],
        |r| {
            Ok(Entry {
                id: r.get(0)?,
                en: r.get(1)?,
                actor: r.get(2)?,
                marca: r.get(3)?,
                tabla: r.get(4)?,
                fila_id: r.get(5)?,
                accion: r.get(6)?,
                cambios: r.get(7)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The outcome of walking one brand's chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verification {
    pub rows: u64,
    /// The first row that breaks the chain and why; `None` when intact.
    pub broken: Option<(i64, String)>,
    /// The hash of the last row: keep it elsewhere to also detect a cut-off tail.
    pub head: String,
}

/// Recomputes every row's hash in id order. An edited row fails its own hash; a deleted or
/// reordered row fails the link (`hash_prev`) of the row after it.
pub fn verify(conn: &Connection) -> Result<Verification, AppError> {
    let mut stmt = conn.prepare(
        "SELECT id, en, actor, marca, tabla, fila_id, accion, cambios, hash_prev, hash
         FROM auditoria ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = String::new();
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        n += 1;
        let id: i64 = r.get(0)?;
        let hash_prev: String = r.get(8)?;
        let hash: String = r.get(9)?;
        if hash_prev != prev {
            return Ok(Verification {
                rows: n,
                broken: Some((id, broken_link_message())),
                head: prev,
            });
        }
        let expected = audit_hash(
            &prev,
            r.get(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
            &r.get::<_, String>(4)?,
            r.get(5)?,
            &r.get::<_, String>(6)?,
            &r.get::<_, String>(7)?,
        );
        if expected != hash {
            return Ok(Verification {
                rows: n,
                broken: Some((
                    id,
                    "el contenido de la fila fue modificado / the row's content was modified"
                        .into(),
                )),
                head: prev,
            });
        }
        prev = hash;
    }
    Ok(Verification {
        rows: n,
        broken: None,
        head: prev,
    })
}

fn broken_link_message() -> String {
    "la cadena se rompe aquí: falta, sobra o se movió una fila anterior / \
     the chain breaks here: an earlier row was deleted, inserted or moved"
        .into()
}

#[cfg(test)]
mod tests;
