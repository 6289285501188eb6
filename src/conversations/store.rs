//! SQL for the inbox.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Conversation;
use crate::error::AppError;

fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

/// A customer wrote: the conversation (re)opens, gains an unread message and its summary.
pub fn touch_incoming(
    conn: &Connection,
    customer_id: i64,
    summary: &str,
    now: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO conversaciones (cliente_id, no_leidos, ultimo_mensaje_en, ultimo_resumen, actualizado_en)
         VALUES (?1, 1, ?2, pii_seal(?3), ?2)
         ON CONFLICT (cliente_id) DO UPDATE SET estado = 'abierta', no_leidos = no_leidos + 1,
            ultimo_mensaje_en = MAX(ultimo_mensaje_en, excluded.ultimo_mensaje_en),
            ultimo_resumen = excluded.ultimo_resumen, actualizado_en = excluded.actualizado_en",
    )?
    .execute(params![customer_id, now, short(summary)])?;
    Ok(())
}

/// We wrote (bot or staff): the thread moves up without unread count.
pub fn touch_outgoing(
    conn: &Connection,
    customer_id: i64,
    summary: &str,
    now: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO conversaciones (cliente_id, ultimo_mensaje_en, ultimo_resumen, actualizado_en)
         VALUES (?1, ?2, pii_seal(?3), ?2)
         ON CONFLICT (cliente_id) DO UPDATE SET ultimo_mensaje_en = MAX(ultimo_mensaje_en, excluded.ultimo_mensaje_en),
            ultimo_resumen = excluded.ultimo_resumen, actualizado_en = excluded.actualizado_en",
    )?
    .execute(params![customer_id, now, short(summary)])?;
    Ok(())
}

/// Flags the conversation for staff; returns true when it was not flagged before (alert once).
pub fn flag_human(
    conn: &Connection,
    customer_id: i64,
    reason: &str,
    now: i64,
) -> Result<bool, AppError> {
    let before: Option<bool> = conn
        .query_row(
            "SELECT necesita_humano FROM conversaciones WHERE cliente_id = ?1",
            [customer_id],
            |r| r.get(0),
        )
        .optional()?;
    conn.prepare_cached(
        "INSERT INTO conversaciones (cliente_id, necesita_humano, motivo_humano, ultimo_mensaje_en, actualizado_en)
         VALUES (?1, 1, pii_seal(?2), ?3, ?3)
         ON CONFLICT (cliente_id) DO UPDATE SET necesita_humano = 1, motivo_humano = excluded.motivo_humano,
            estado = 'abierta', actualizado_en = excluded.actualizado_en",
    )?
    .execute(params![customer_id, reason, now])?;
    Ok(before != Some(true))
}

pub fn needs_human(conn: &Connection, customer_id: i64) -> Result<bool, AppError> {
    Ok(conn
        .query_row(
            "SELECT necesita_humano FROM conversaciones WHERE cliente_id = ?1",
            [customer_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

const COLUMNS: &str =
    "c.cliente_id, k.nombre, c.estado, c.necesita_humano, pii_open(c.motivo_humano), c.asignado_a,
    c.no_leidos, c.ultimo_mensaje_en, pii_open(c.ultimo_resumen), pii_open(w.wa_id), w.ultimo_entrante_en";

fn from_row(r: &Row) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        customer_id: r.get(0)?,
        customer_name: r.get(1)?,
        status: r.get(2)?,
        needs_human: r.get(3)?,
        human_reason: r.get(4)?,
        assigned_to: r.get(5)?,
        unread: r.get(6)?,
        last_message_at: r.get(7)?,
        last_summary: r.get(8)?,
        wa_id: r.get(9)?,
        last_inbound_at: r.get(10)?,
    })
}

pub fn get(conn: &Connection, customer_id: i64) -> Result<Option<Conversation>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM conversaciones c JOIN clientes k ON k.id = c.cliente_id
             LEFT JOIN wa_contactos w ON w.cliente_id = c.cliente_id WHERE c.cliente_id = ?1"
        ))?
        .query_row([customer_id], from_row)
        .optional()?)
}

/// Inbox filters; all optional.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub unread: bool,
    pub needs_human: bool,
    pub assigned_to: Option<String>,
    pub status: Option<String>,
}

/// Most recent first; `after` = (last_message_at, customer_id) of the previous page's end.
pub fn list(
    conn: &Connection,
    f: &Filter,
    after: Option<(i64, i64)>,
    limit: u32,
) -> Result<Vec<Conversation>, AppError> {
    let (at, id) = after.unwrap_or((i64::MAX, i64::MAX));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM conversaciones c JOIN clientes k ON k.id = c.cliente_id
         LEFT JOIN wa_contactos w ON w.cliente_id = c.cliente_id
         WHERE (c.ultimo_mensaje_en, c.cliente_id) < (?1, ?2)
           AND (?3 = 0 OR c.no_leidos > 0) AND (?4 = 0 OR c.necesita_humano = 1)
           AND (?5 IS NULL OR c.asignado_a = ?5) AND (?6 IS NULL OR c.estado = ?6)
         ORDER BY c.ultimo_mensaje_en DESC, c.cliente_id DESC LIMIT ?7"
    ))?;
    let rows = stmt.query_map(
        params![
            at,
            id,
            f.unread,
            f.needs_human,
            f.assigned_to,
            f.status,
            limit
        ],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Staff changes: assignment, status, the human flag, marking read.
#[derive(Debug, Default, Clone)]
pub struct Patch {
    pub assigned_to: Option<Option<String>>,
    pub status: Option<String>,
    pub needs_human: Option<bool>,
    pub read: bool,
}

pub fn update(conn: &Connection, customer_id: i64, p: &Patch, now: i64) -> Result<(), AppError> {
    if get(conn, customer_id)?.is_none() {
        return Err(AppError::NotFound("conversación"));
    }
    if let Some(a) = &p.assigned_to {
        conn.execute(
            "UPDATE conversaciones SET asignado_a = ?2 WHERE cliente_id = ?1",
            params![customer_id, a],
        )?;
    }
    if let Some(s) = &p.status {
        conn.execute(
            "UPDATE conversaciones SET estado = ?2 WHERE cliente_id = ?1",
            params![customer_id, s],
        )?;
    }
    if let Some(h) = p.needs_human {
        conn.execute(
            "UPDATE conversaciones SET necesita_humano = ?2, motivo_humano = CASE WHEN ?2 THEN motivo_humano END WHERE cliente_id = ?1",
            params![customer_id, h],
        )?;
        if !h {
            // Back to the bot with a clean slate.
            conn.execute(
                "UPDATE wa_bot SET fallos = 0 WHERE cliente_id = ?1",
                [customer_id],
            )?;
        }
    }
    if p.read {
        conn.execute(
            "UPDATE conversaciones SET no_leidos = 0 WHERE cliente_id = ?1",
            [customer_id],
        )?;
    }
    conn.execute(
        "UPDATE conversaciones SET actualizado_en = ?2 WHERE cliente_id = ?1",
        params![customer_id, now],
    )?;
    Ok(())
}

/// Conversations waiting for a person, for badges.
pub fn needs_human_count(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM conversaciones WHERE necesita_humano = 1 AND estado = 'abierta'",
        [],
        |r| r.get(0),
    )?)
}
