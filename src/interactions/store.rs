//! SQL for interactions.

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use super::{Interaction, NewInteraction};
use crate::api::page::Cursor;
use crate::error::AppError;

/// The body is sealed at rest (`pii_seal`/`pii_open`, see `crypto::sql`).
const COLUMNS: &str = "id, cliente_id, canal, direccion, tipo, pii_open(cuerpo), external_id, pedido_id, \
    metadatos, creado_en";

fn from_row(row: &Row) -> rusqlite::Result<Interaction> {
    let metadata: String = row.get(8)?;
    Ok(Interaction {
        id: row.get(0)?,
        customer_id: row.get(1)?,
        channel: row.get(2)?,
        direction: row.get(3)?,
        kind: row.get(4)?,
        body: row.get(5)?,
        external_id: row.get(6)?,
        order_id: row.get(7)?,
        metadata: serde_json::from_str(&metadata).unwrap_or_else(|_| serde_json::json!({})),
        created_at: row.get(9)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Interaction>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM interacciones WHERE id = ?1"
    ))?;
    Ok(stmt.query_row([id], from_row).optional()?)
}

/// Stores an interaction; with an external id already stored, returns the stored one and
/// `false` (a replay), so callers can be idempotent without a second lookup.
pub fn insert(conn: &Connection, new: &NewInteraction) -> Result<(Interaction, bool), AppError> {
    let (id, fresh) = insert_returning_id(conn, new)?;
    let stored = get(conn, id)?.ok_or_else(|| AppError::internal("interaction vanished"))?;
    Ok((stored, fresh))
}

/// [`insert`] without reading the row back: the WhatsApp processor stores two interactions
/// per message and needs only their ids (the read-back is a seek and a decrypt each).
pub fn insert_returning_id(
    conn: &Connection,
    new: &NewInteraction,
) -> Result<(i64, bool), AppError> {
    if let Some(ext) = &new.external_id {
        let existing: Option<i64> = conn
            .prepare_cached("SELECT id FROM interacciones WHERE external_id = ?1")?
            .query_row([ext], |r| r.get(0))
            .optional()?;
        if let Some(id) = existing {
            return Ok((id, false));
        }
    }
    let customer_exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM clientes WHERE id = ?1)")?
        .query_row([new.customer_id], |r| r.get(0))?;
    if !customer_exists {
        return Err(AppError::NotFound("cliente"));
    }
    if let Some(order_id) = new.order_id {
        let belongs: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM pedidos WHERE id = ?1)")?
            .query_row([order_id], |r| r.get(0))?;
        if !belongs {
            return Err(AppError::NotFound("pedido"));
        }
    }
    conn.prepare_cached(
        "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, external_id, pedido_id, metadatos, creado_en)
         VALUES (?1, ?2, ?3, ?4, pii_seal(?5), ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        new.customer_id, new.channel, new.direction, new.kind, new.body, new.external_id,
        new.order_id, new.metadata.to_string(), new.at
    ])?;
    Ok((conn.last_insert_rowid(), true))
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub customer_id: Option<i64>,
    pub search: Option<String>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Lists interactions newest first.
pub fn list(
    conn: &Connection,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<Interaction>, Option<Cursor>), AppError> {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(c) = filter.customer_id {
        clauses.push("cliente_id = ?");
        args.push(Box::new(c));
    }
    if let Some(q) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        // Bodies are sealed, so there is no full-text index: the rows the other filters leave
        // are opened and matched (substring, ignoring case and accents).
        clauses.push("instr(pii_fold(pii_open(cuerpo)), ?) > 0");
        args.push(Box::new(crate::crypto::sql::fold(q)));
    }
    if let Some(c) = &filter.channel {
        clauses.push("canal = ?");
        args.push(Box::new(c.clone()));
    }
    if let Some(k) = &filter.kind {
        clauses.push("tipo = ?");
        args.push(Box::new(k.clone()));
    }
    if let Some(v) = filter.from {
        clauses.push("creado_en >= ?");
        args.push(Box::new(v));
    }
    if let Some(v) = filter.to {
        clauses.push("creado_en < ?");
        args.push(Box::new(v));
    }
    if let Some(c) = cursor {
        clauses.push("(creado_en, id) < (?, ?)");
        args.push(Box::new(c.key.as_i64().unwrap_or(i64::MAX)));
        args.push(Box::new(c.id));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM interacciones {where_sql} ORDER BY creado_en DESC, id DESC LIMIT {}",
        limit + 1
    );
    let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
    let mut rows: Vec<Interaction> = conn
        .prepare_cached(&sql)?
        .query_map(params.as_slice(), from_row)?
        .collect::<Result<_, _>>()?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|i| Cursor {
            key: i.created_at.into(),
            id: i.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}
