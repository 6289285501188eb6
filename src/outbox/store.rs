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

/// Claims, for each `(service, limit)`, up to `limit` of that service's due messages: marks
/// them `enviando` with a lease until `now + lease_ms` and counts the attempt. Expired leases
/// are claimable again. Returned in id order.
pub fn claim_due(
    conn: &Connection,
    now: i64,
    lease_ms: i64,
    limits: &[(Service, u32)],
) -> Result<Vec<Claimed>, AppError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE outbox SET estado = 'enviando', intentos = intentos + 1, proximo_intento_en = ?2
         WHERE id IN (SELECT id FROM outbox WHERE servicio = ?4 AND estado IN ('pendiente', 'enviando')
                      AND proximo_intento_en <= ?1 ORDER BY proximo_intento_en, id LIMIT ?3)
         RETURNING id, pii_open(destino), pii_open(cuerpo), intentos, cliente_id",
    )?;
    let mut claimed = Vec::new();
    for &(service, limit) in limits.iter().filter(|(_, limit)| *limit > 0) {
        let rows = stmt.query_map(params![now, now + lease_ms, limit, service.as_str()], |r| {
            let payload: String = r.get(2)?;
            Ok(Claimed {
                id: r.get(0)?,
                service,
                destination: r.get(1)?,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                attempts: r.get(3)?,
                customer_id: r.get(4)?,
            })
        })?;
        for row in rows {
            claimed.push(row?);
        }
    }
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// The services with a message due at `now`.
pub fn due_services(conn: &Connection, now: i64) -> Result<Vec<Service>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE servicio = ?1 AND estado IN ('pendiente', 'enviando') AND proximo_intento_en <= ?2)",
    )?;
    let mut due = Vec::new();
    for service in Service::ALL {
        if stmt.query_row(params![service.as_str(), now], |r| r.get::<_, bool>(0))? {
            due.push(service);
        }
    }
    Ok(due)
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
