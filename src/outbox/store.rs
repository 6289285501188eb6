//! SQL for the outbox.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Claimed, OutboundMessage, Service};
use crate::error::AppError;

pub fn insert(conn: &Connection, m: &OutboundMessage, now: i64) -> Result<i64, AppError> {
    if let Some(key) = &m.key {
        let existing: Option<i64> = conn
            .prepare_cached("SELECT id FROM outbox WHERE clave = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
    }
    conn.prepare_cached(
        "INSERT INTO outbox (servicio, destino, cuerpo, clave, proximo_intento_en, cliente_id, creado_en)
         VALUES (?1, pii_seal(?2), pii_seal(?3), ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        m.service.as_str(),
        m.destination,
        m.payload.to_string(),
        m.key,
        m.not_before.unwrap_or(now),
        m.customer_id,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Claims up to `limit` due messages: marks them `enviando` with a lease until
/// `now + lease_ms` and counts the attempt. Expired leases are claimable again.
pub fn claim_due(
    conn: &Connection,
    now: i64,
    lease_ms: i64,
    limit: u32,
) -> Result<Vec<Claimed>, AppError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE outbox SET estado = 'enviando', intentos = intentos + 1, proximo_intento_en = ?2
         WHERE id IN (SELECT id FROM outbox WHERE estado IN ('pendiente', 'enviando')
                      AND proximo_intento_en <= ?1 ORDER BY proximo_intento_en, id LIMIT ?3)
         RETURNING id, servicio, pii_open(destino), pii_open(cuerpo), intentos, cliente_id",
    )?;
    let rows = stmt.query_map(params![now, now + lease_ms, limit], |r| {
        let service: String = r.get(1)?;
        let payload: String = r.get(3)?;
        Ok((
            r.get::<_, i64>(0)?,
            service,
            r.get::<_, String>(2)?,
            payload,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<i64>>(5)?,
        ))
    })?;
    let mut claimed = Vec::new();
    for row in rows {
        let (id, service, destination, payload, attempts, customer_id) = row?;
        let Some(service) = Service::parse(&service) else {
            continue;
        };
        claimed.push(Claimed {
            id,
            service,
            destination,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            attempts,
            customer_id,
        });
    }
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

pub fn mark_sent(
    conn: &Connection,
    id: i64,
    external_id: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE outbox SET estado = 'enviado', external_id = ?2, enviado_en = ?3, ultimo_error = NULL
         WHERE id = ?1 AND estado IN ('pendiente', 'enviando')",
    )?
    .execute(params![id, external_id, now])?;
    Ok(())
}

pub fn mark_failed(conn: &Connection, id: i64, error: &str) -> Result<(), AppError> {
    conn.prepare_cached("UPDATE outbox SET estado = 'fallido', ultimo_error = pii_seal(?2) WHERE id = ?1 AND estado = 'enviando'")?
        .execute(params![id, error])?;
    Ok(())
}

/// Puts a message back in the queue for `at`; `count_attempt = false` undoes the claim's count
/// (a deferral for rate limits is not a failed attempt).
pub fn reschedule(
    conn: &Connection,
    id: i64,
    at: i64,
    error: Option<&str>,
    count_attempt: bool,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE outbox SET estado = 'pendiente', proximo_intento_en = ?2,
            ultimo_error = COALESCE(pii_seal(?3), ultimo_error),
            intentos = CASE WHEN ?4 THEN intentos ELSE intentos - 1 END
         WHERE id = ?1 AND estado = 'enviando'",
    )?
    .execute(params![id, at, error, count_attempt])?;
    Ok(())
}

/// Counts by state, for health and metrics.
pub fn depth(conn: &Connection) -> Result<(i64, i64, i64), AppError> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(estado = 'pendiente'), 0), COALESCE(SUM(estado = 'enviando'), 0), COALESCE(SUM(estado = 'fallido'), 0) FROM outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}
