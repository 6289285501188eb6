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
    let unanswered: Vec<(i64, i64)> = {
        let mut stmt = c.prepare_cached(
            "SELECT pedido_id, cliente_id FROM encuestas
             WHERE estado = 'enviada' AND enviada_en <= ?1 AND enviada_en >= ?2",
        )?;
        let rows = stmt.query_map(
            params![now - SURVEY_WAIT_MS, now - 7 * SURVEY_WAIT_MS],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        rows.collect::<Result<_, _>>()?
    };
    for (order, customer) in unanswered {
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
                    key: Some(format!("encuesta_sin_respuesta:{order}")),
                    by: "system",
                },
                now,
            )?
            .is_some(),
        );
    }
    let waiting: Vec<(i64, i64, Option<String>)> = {
        let mut stmt = c.prepare_cached(
            "SELECT cliente_id, actualizado_en, pii_open(motivo_humano) FROM conversaciones
             WHERE necesita_humano = 1 AND estado = 'abierta' AND actualizado_en <= ?1",
        )?;
        let rows = stmt.query_map([now - HUMAN_WAIT_MS], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for (customer, since, why) in waiting {
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
                    key: Some(format!("humano:{customer}:{since}")),
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
        let created = t
            .db()
            .write(move |c| {
                c.execute_batch(&format!(
                    "INSERT INTO clientes (id, nombre, canal_adquisicion, creado_en, actualizado_en) VALUES (1, 'Ana', 'whatsapp', 1, 1), (2, 'Beto', 'whatsapp', 1, 1);
                     INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en) VALUES (10, 1, 'whatsapp', 'entregado', 1, 1, 1, 1), (11, 2, 'whatsapp', 'entregado', 1, 1, 1, 1);
                     INSERT INTO encuestas (pedido_id, cliente_id, enviada_en) VALUES (10, 1, {old}), (11, 2, {recent});
                     INSERT INTO conversaciones (cliente_id, necesita_humano, motivo_humano, ultimo_mensaje_en, actualizado_en) VALUES (1, 1, 'pide humano', {waited}, {waited}), (2, 1, 'pide humano', {fresh}, {fresh});",
                    old = now - SURVEY_WAIT_MS - 1,
                    recent = now - 1000,
                    waited = now - HUMAN_WAIT_MS - 1,
                    fresh = now - 60_000,
                ))?;
                let first = run_rules(c, now)?;
                let second = run_rules(c, now + 1000)?;
                Ok((first, second, list(c, Some(now), None, false)?))
            })
            .await
            .unwrap();
        let (first, second, due) = created;
        assert_eq!(first, 2, "one unanswered survey, one waiting conversation");
        assert_eq!(second, 0, "rules fire once");
        let origins: Vec<&str> = due.iter().map(|r| r.origen.as_str()).collect();
        assert!(
            origins.contains(&"encuesta_sin_respuesta")
                && origins.contains(&"humano_sin_respuesta")
        );
        assert!(
            due.iter().all(|r| r.cliente_id == 1),
            "only customer 1 waited long enough"
        );
        registry.close().await;
    }
}
