//! Follow-up reminders (recordatorios): staff create them on a customer, rules create them
//! by themselves (a delivered order whose survey got no answer, a conversation that needs a
//! person and has waited 15 minutes), and they show in the UI when due.

pub mod api;
pub mod pages;

use rusqlite::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// A needs-human conversation waits this long before it becomes a reminder.
pub const HUMAN_WAIT_MS: i64 = 15 * 60 * 1000;
/// A survey unanswered this long becomes a reminder to call.
pub const SURVEY_WAIT_MS: i64 = 24 * 3600 * 1000;
/// Customer messages this much older than their latest one start no wait for a person.
const WAIT_LOOKBACK_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reminder {
    pub id: i64,
    pub cliente_id: i64,
    pub cliente_nombre: String,
    pub texto: String,
    pub vence_en: i64,
    /// manual | encuesta_baja | encuesta_sin_respuesta | humano_sin_respuesta
    pub origen: String,
    pub creado_por: String,
    pub hecho_en: Option<i64>,
    pub creado_en: i64,
}

/// A reminder to store; a repeated `key` stores nothing (rules fire once).
pub struct NewReminder<'a> {
    pub customer: i64,
    pub text: &'a str,
    pub due: i64,
    pub origin: &'a str,
    pub key: Option<String>,
    pub by: &'a str,
}

pub fn insert(c: &Connection, r: &NewReminder, now: i64) -> Result<Option<i64>, AppError> {
    let n = c
        .prepare_cached(
            "INSERT INTO recordatorios (cliente_id, texto, vence_en, origen, clave, creado_por, creado_en)
             VALUES (?1, pii_seal(?2), ?3, ?4, ?5, ?6, ?7) ON CONFLICT (clave) DO NOTHING",
        )?
        .execute(params![r.customer, r.text, r.due, r.origin, r.key, r.by, now])?;
    Ok((n > 0).then(|| c.last_insert_rowid()))
}

/// Open reminders (due ones first); `due_by` keeps only those due by then; `customer` one customer's.
pub fn list(
    c: &Connection,
    due_by: Option<i64>,
    customer: Option<i64>,
    include_done: bool,
) -> Result<Vec<Reminder>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT r.id, r.cliente_id, cl.nombre, pii_open(r.texto), r.vence_en, r.origen, r.creado_por, r.hecho_en, r.creado_en
         FROM recordatorios r JOIN clientes cl ON cl.id = r.cliente_id
         WHERE (?1 IS NULL OR r.vence_en <= ?1) AND (?2 IS NULL OR r.cliente_id = ?2)
           AND (?3 OR r.hecho_en IS NULL)
         ORDER BY r.hecho_en IS NOT NULL, r.vence_en, r.id LIMIT 500",
    )?;
    let rows = stmt.query_map(params![due_by, customer, include_done], |r| {
        Ok(Reminder {
            id: r.get(0)?,
            cliente_id: r.get(1)?,
            cliente_nombre: r.get(2)?,
            texto: r.get(3)?,
            vence_en: r.get(4)?,
            origen: r.get(5)?,
            creado_por: r.get(6)?,
            hecho_en: r.get(7)?,
            creado_en: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Marks a reminder done; false when there is no such open reminder.
pub fn done(c: &Connection, id: i64, now: i64) -> Result<bool, AppError> {
    Ok(c.prepare_cached(
        "UPDATE recordatorios SET hecho_en = ?2 WHERE id = ?1 AND hecho_en IS NULL",
    )?
    .execute(params![id, now])?
        > 0)
}

/// The rules: creates the reminders that are due by `now`; returns how many were created.
pub fn run_rules(c: &Connection, now: i64) -> Result<i64, AppError> {
    let mut created = 0;
    // Each rule's reminder key is made here, once, in SQL: the same key skips what already has
    // its reminder (rather than the insert's conflict, which would seal the text first, for
    // each of a busy brand's thousands of them, every 5 minutes on the writer) and is stored.
    let unanswered: Vec<(i64, i64, String)> = {
        let mut stmt = c.prepare_cached(
            "SELECT s.pedido_id, s.cliente_id, s.clave
             FROM (SELECT pedido_id, cliente_id, 'encuesta_sin_respuesta:' || pedido_id AS clave
                   FROM encuestas
                   WHERE estado = 'enviada' AND enviada_en <= ?1 AND enviada_en >= ?2) s
             WHERE NOT EXISTS (SELECT 1 FROM recordatorios r WHERE r.clave = s.clave)",
        )?;
        let rows = stmt.query_map(
            params![now - SURVEY_WAIT_MS, now - 7 * SURVEY_WAIT_MS],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        rows.collect::<Result<_, _>>()?
    };
    for (order, customer, key) in unanswered {
        let text =
            format!("Pedido #{order} entregado sin respuesta a la encuesta: llamar al cliente.");
        created += i64::from(
            insert(
                c,
                &NewReminder {
                    customer,
                    text: &text,
                    due: now,
                    origin: "encuesta_sin_respuesta",
                    key: Some(key),
                    by: "system",
                },
                now,
            )?
            .is_some(),
        );
    }
    // A conversation waits from the customer's first WhatsApp message after the last reply a
    // person sent (staff replies are queued with `staff:` / `staff-ui:` keys; the bot is quiet
    // while a person is needed, and its handoff notice is not an answer). Messages more than
    // a day older than the customer's latest one start no wait (an old order chat is not the
    // question now). The wait's start is stable, so its reminder is created once; a staff
    // reply ends it and the customer's next message starts a new one.
    let waiting: Vec<(i64, Option<String>, String)> = {
        let mut stmt = c.prepare_cached(
            "WITH flagged AS (
                 SELECT cv.cliente_id, cv.motivo_humano,
                        (SELECT MAX(o.creado_en) FROM outbox o WHERE o.cliente_id = cv.cliente_id
                            AND (o.clave LIKE 'staff:%' OR o.clave LIKE 'staff-ui:%')) AS answered,
                        (SELECT MAX(i.creado_en) FROM interacciones i WHERE i.cliente_id = cv.cliente_id
                            AND i.canal = 'whatsapp' AND i.direccion = 'entrante'
                            AND i.tipo IN ('mensaje', 'llamada')) AS latest
                 FROM conversaciones cv WHERE cv.necesita_humano = 1 AND cv.estado = 'abierta'),
             waits AS (
                 SELECT f.cliente_id, f.motivo_humano,
                        (SELECT MIN(i.creado_en) FROM interacciones i WHERE i.cliente_id = f.cliente_id
                            AND i.canal = 'whatsapp' AND i.direccion = 'entrante'
                            AND i.tipo IN ('mensaje', 'llamada')
                            AND i.creado_en > COALESCE(f.answered, -1)
                            AND i.creado_en >= f.latest - ?2) AS since
                 FROM flagged f WHERE f.latest IS NOT NULL)
             SELECT w.cliente_id, pii_open(w.motivo_humano), w.clave
             FROM (SELECT *, 'humano:' || cliente_id || ':' || since AS clave FROM waits
                   WHERE since IS NOT NULL AND since <= ?1) w
             WHERE NOT EXISTS (SELECT 1 FROM recordatorios r WHERE r.clave = w.clave)",
        )?;
        let rows = stmt.query_map(params![now - HUMAN_WAIT_MS, WAIT_LOOKBACK_MS], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for (customer, why, key) in waiting {
        let text = format!(
            "Conversación sin respuesta hace más de 15 min{}",
            why.map(|w| format!(": {w}")).unwrap_or_default()
        );
        created += i64::from(
            insert(
                c,
                &NewReminder {
                    customer,
                    text: &text,
                    due: now,
                    origin: "humano_sin_respuesta",
                    key: Some(key),
                    by: "system",
                },
                now,
            )?
            .is_some(),
        );
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenants::{BrandInput, Registry, Slug};

    #[tokio::test]
    async fn rules_fire_once_for_unanswered_surveys_and_waiting_conversations() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path(), 2).unwrap();
        registry
            .create(BrandInput {
                slug: "gollos".into(),
                nombre: "Gollos".into(),
                moneda: "PEN".into(),
                zona_horaria: "America/Lima".into(),
                pais: "PE".into(),
                idioma: "es".into(),
            })
            .await
            .unwrap();
        let t = registry
            .tenant(&Slug::parse("gollos").unwrap())
            .await
            .unwrap();
        let now = 1_000_000_000_000i64;
        let min = 60_000i64;
        let created = t
            .db()
            .write(move |c| {
                c.execute_batch(&format!(
                    "INSERT INTO clientes (id, nombre, canal_adquisicion, creado_en, actualizado_en) VALUES
                        (1, 'Ana', 'whatsapp', 1, 1), (2, 'Beto', 'whatsapp', 1, 1), (3, 'Caro', 'whatsapp', 1, 1),
                        (4, 'Dani', 'whatsapp', 1, 1), (5, 'Eli', 'whatsapp', 1, 1), (6, 'Fede', 'whatsapp', 1, 1);
                     INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en) VALUES (10, 1, 'whatsapp', 'entregado', 1, 1, 1, 1), (11, 2, 'whatsapp', 'entregado', 1, 1, 1, 1);
                     INSERT INTO encuestas (pedido_id, cliente_id, enviada_en) VALUES (10, 1, {old}), (11, 2, {recent});
                     INSERT INTO conversaciones (cliente_id, necesita_humano, motivo_humano, ultimo_mensaje_en, actualizado_en) VALUES
                        (1, 1, 'pide humano', {m10}, {m10}), (2, 1, 'pide humano', {m25}, {m25}), (3, 1, 'pide humano', {m16}, {m16}),
                        (4, 1, 'pide humano', {m1}, {m1}), (5, 0, NULL, {m60}, {m60}), (6, 1, 'pide humano', {m5}, {m5});
                     INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en) VALUES
                        -- Ana asked for a person 20 min ago and wrote again 10 min ago: still waiting since 20.
                        (1, 'whatsapp', 'entrante', 'mensaje', 'persona', {m20}),
                        (1, 'whatsapp', 'saliente', 'mensaje', 'Te comunico con una persona', {m20}),
                        (1, 'whatsapp', 'entrante', 'mensaje', '¿hola?', {m10}),
                        -- Beto was answered by staff 25 min ago, after his message: not waiting.
                        (2, 'whatsapp', 'entrante', 'mensaje', 'persona', {m30}),
                        -- Caro was answered, then wrote again 16 min ago: waiting since then.
                        (3, 'whatsapp', 'entrante', 'mensaje', 'persona', {m60}),
                        (3, 'whatsapp', 'entrante', 'mensaje', '¿y mi cambio?', {m16}),
                        -- Dani asked a minute ago; Eli is not flagged.
                        (4, 'whatsapp', 'entrante', 'mensaje', 'persona', {m1}),
                        (5, 'whatsapp', 'entrante', 'mensaje', 'hola', {m60}),
                        -- Fede chatted three days ago and asked for a person five minutes ago.
                        (6, 'whatsapp', 'entrante', 'mensaje', 'un pollo', {d3}),
                        (6, 'whatsapp', 'entrante', 'mensaje', 'persona', {m5});
                     INSERT INTO outbox (servicio, destino, cuerpo, clave, proximo_intento_en, cliente_id, creado_en) VALUES
                        ('whatsapp', 'x', '{{}}', 'bot:handoff:1', {m20}, 1, {m20}),
                        ('whatsapp', 'x', '{{}}', 'staff-ui:2:a', {m25}, 2, {m25}),
                        ('whatsapp', 'x', '{{}}', 'staff:3:b', {m50}, 3, {m50});",
                    old = now - SURVEY_WAIT_MS - 1,
                    recent = now - 1000,
                    m1 = now - min,
                    m5 = now - 5 * min,
                    m10 = now - 10 * min,
                    m16 = now - 16 * min,
                    m20 = now - 20 * min,
                    m25 = now - 25 * min,
                    m30 = now - 30 * min,
                    m50 = now - 50 * min,
                    m60 = now - 60 * min,
                    d3 = now - 3 * 24 * 60 * min,
                ))?;
                let first = run_rules(c, now)?;
                let second = run_rules(c, now + 1000)?;
                let due = list(c, Some(now), None, false)?;
                // Ana writes once more: the same wait, no second reminder; Fede's wait, begun
                // five minutes ago, comes due ten minutes later.
                c.execute(
                    "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en) VALUES (1, 'whatsapp', 'entrante', 'mensaje', '¿alguien?', ?1)",
                    [now + 2 * min],
                )?;
                let later = run_rules(c, now + 11 * min)?;
                let later_due = list(c, Some(now + 11 * min), None, false)?;
                Ok((first, second, due, later, later_due))
            })
            .await
            .unwrap();
        let (first, second, due, later, later_due) = created;
        assert_eq!(
            first, 3,
            "one unanswered survey, Ana and Caro waiting: {due:?}"
        );
        assert_eq!(second, 0, "rules fire once");
        let waiting = |due: &[Reminder]| {
            let mut w: Vec<i64> = due
                .iter()
                .filter(|r| r.origen == "humano_sin_respuesta")
                .map(|r| r.cliente_id)
                .collect();
            w.sort();
            w
        };
        assert_eq!(waiting(&due), vec![1, 3], "{due:?}");
        assert!(
            due.iter()
                .any(|r| r.origen == "encuesta_sin_respuesta" && r.cliente_id == 1),
            "{due:?}"
        );
        assert_eq!(later, 1, "only Fede's wait is new");
        assert_eq!(waiting(&later_due), vec![1, 3, 6], "{later_due:?}");
        registry.close().await;
    }
}
