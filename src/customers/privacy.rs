//! GDPR for one customer: the export of everything stored about them (right of access and
//! portability) and the erasure (right to be forgotten) with everything it must reach.
//!
//! The export is generic on purpose: every table with a `cliente_id` column (and the rows
//! hanging from that customer's orders) is included, so a table added later is exported
//! without anyone remembering to list it here.

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde_json::{Map, Value, json};

use crate::error::AppError;

/// Tables never exported: indexes and plumbing that only repeat what the export has.
fn skipped(table: &str) -> bool {
    table.starts_with("sqlite_")
        || table.contains("_fts")
        || matches!(table, "changes" | "auditoria" | "refinery_schema_history")
}

fn value(v: ValueRef<'_>, ring: &crate::crypto::Keyring) -> Result<Value, AppError> {
    // Sealed fields (phone, e-mail, notes, bodies…) are exported as the person wrote them.
    if let ValueRef::Text(t) | ValueRef::Blob(t) = v
        && t.starts_with(b"enc1:")
    {
        let plain = ring.open_bytes(t)?;
        return value(ValueRef::Text(&plain), ring);
    }
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => {
            let text = String::from_utf8_lossy(t);
            // JSON columns (tags, metadata, payloads) stay structured in the export.
            match text.chars().next() {
                Some('{') | Some('[') => {
                    serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned()))
                }
                _ => Value::String(text.into_owned()),
            }
        }
        ValueRef::Blob(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
    })
}

fn rows(conn: &Connection, sql: &str, id: i64) -> Result<Vec<Value>, AppError> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let ring = crate::crypto::Keyring::for_connection(conn)?;
    let mut q = stmt.query([id])?;
    while let Some(r) = q.next()? {
        let mut m = Map::new();
        for (i, n) in names.iter().enumerate() {
            m.insert(n.clone(), value(r.get_ref(i)?, &ring)?);
        }
        out.push(Value::Object(m));
    }
    Ok(out)
}

fn tables_with(conn: &Connection, column: &str) -> Result<Vec<String>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
         WHERE m.type = 'table' AND c.name = ?1 ORDER BY m.name",
    )?;
    let names = stmt
        .query_map([column], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names.into_iter().filter(|t| !skipped(t)).collect())
}

/// Everything about customer `id` as one JSON object (table → rows); `None` if no such row.
pub fn export(conn: &Connection, id: i64) -> Result<Option<Value>, AppError> {
    let customer = rows(conn, "SELECT * FROM clientes WHERE id = ?1", id)?;
    let Some(customer) = customer.into_iter().next() else {
        return Ok(None);
    };
    let mut out = Map::new();
    out.insert("clientes".into(), customer);
    let by_customer = tables_with(conn, "cliente_id")?;
    for t in &by_customer {
        let sql = format!("SELECT * FROM \"{t}\" WHERE cliente_id = ?1");
        out.insert(t.clone(), Value::Array(rows(conn, &sql, id)?));
    }
    for t in tables_with(conn, "pedido_id")? {
        if by_customer.contains(&t) {
            continue;
        }
        let sql = format!(
            "SELECT * FROM \"{t}\" WHERE pedido_id IN (SELECT id FROM pedidos WHERE cliente_id = ?1)"
        );
        out.insert(t, Value::Array(rows(conn, &sql, id)?));
    }
    // The history of changes to this person's record (personal values masked there).
    out.insert(
        "auditoria".into(),
        Value::Array(rows(
            conn,
            "SELECT id, en, actor, accion, cambios FROM auditoria
             WHERE tabla = 'clientes' AND fila_id = ?1 ORDER BY id",
            id,
        )?),
    );
    Ok(Some(Value::Object(out)))
}

/// Erases customer `id` in the brand database: personal data everywhere it lives
/// ([`super::anonymize`]), the mirror told through the change feed, and the audit trail told
/// what happened. Orders stay, with the anonymous customer, for accounting.
pub fn forget(conn: &Connection, id: i64) -> Result<bool, AppError> {
    if !super::anonymize(conn, id)? {
        return Ok(false);
    }
    crate::mirror::erase_customer(conn, id)?;
    crate::audit::record(conn, "clientes", Some(id), "olvidar", &json!({}))?;
    Ok(true)
}
