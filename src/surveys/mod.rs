//! Satisfaction surveys (encuestas): some time after an order reaches `entregado` the customer
//! gets a CSAT question (a WhatsApp list 1-5: reply buttons stop at three), then optionally NPS
//! (0-10, answered with a number since a list holds ten rows) and a comment. Answers are stored
//! on the survey and as interactions; a low score flags the conversation for a person and
//! creates a reminder.

pub mod api;
#[cfg(test)]
mod due_tests;
pub mod jobs;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use crate::campaigns::store::automation;
use crate::error::AppError;
use crate::interactions::{self, NewInteraction};
use crate::reminders::{self, NewReminder};
use crate::whatsapp::interactive::{ListMessage, ListRow, ReplyButtons};
use crate::whatsapp::outbound::OutboundMessage;
use crate::whatsapp::payload::{InteractiveReply, Message, MessageKind};
use crate::whatsapp::queue;

/// Minutes after delivery when no delay is configured.
pub const DEFAULT_DELAY_MIN: i64 = 60;
/// CSAT at or below this (and NPS at or below 6) alerts staff.
pub const LOW_CSAT: i64 = 2;

/// The brand's survey settings.
pub struct Settings {
    pub active: bool,
    /// When surveys were switched on (unix ms UTC): earlier deliveries get none.
    pub since: i64,
    /// How long after the delivery the question goes, in ms.
    pub delay_ms: i64,
    /// Whether NPS follows the CSAT answer.
    pub nps: bool,
}

pub fn settings(c: &Connection) -> Result<Settings, AppError> {
    let a = automation(c, "encuesta")?;
    let delay = a
        .ajustes
        .get("retraso_min")
        .and_then(|v| v.as_i64())
        .unwrap_or(DEFAULT_DELAY_MIN)
        .clamp(0, 7 * 24 * 60);
    let nps = a
        .ajustes
        .get("nps")
        .and_then(|v| v.as_bool())
        .unwrap_or(true);
    Ok(Settings {
        active: a.activa,
        since: a.activa_desde.unwrap_or(0),
        delay_ms: delay * 60_000,
        nps,
    })
}

fn csat_question(dest: &str, order: i64) -> Result<OutboundMessage, AppError> {
    let labels = [
        "1 · Muy mal",
        "2 · Mal",
        "3 · Regular",
        "4 · Bien",
        "5 · Excelente",
    ];
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, l)| ListRow::new(format!("csat:{order}:{}", i + 1), *l))
        .collect();
    let list = ListMessage::new(
        format!("¿Cómo calificarías tu pedido #{order}? / How was your order?"),
        "Calificar",
    )
    .section("Satisfacción", rows)
    .build()
    .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(OutboundMessage::interactive(queue::recipient(dest), list))
}

/// Delivered orders whose latest delivery is in [?2, ?1], without a survey and with somewhere
/// to send it. Candidates come from the window's deliveries (tenant V29's index); CROSS JOIN
/// keeps that order, which SQLite would otherwise reverse to walk every delivered order
/// (2.2 s on the writer at 1M orders, every 5 minutes).
const DUE_SQL: &str = "SELECT p.id, p.cliente_id, COALESCE(pii_open(w.wa_id), pii_open(cl.wa_id), ltrim(pii_open(cl.telefono), '+'), pii_open(w.bsuid))
     FROM (SELECT DISTINCT pedido_id AS id FROM pedido_estados
           WHERE estado = 'entregado' AND creado_en BETWEEN ?2 AND ?1) d
     CROSS JOIN pedidos p ON p.id = d.id
     JOIN clientes cl ON cl.id = p.cliente_id
     LEFT JOIN wa_contactos w ON w.cliente_id = p.cliente_id
     WHERE p.estado = 'entregado'
       AND NOT EXISTS (SELECT 1 FROM encuestas s WHERE s.pedido_id = p.id)
       AND COALESCE(w.wa_id, cl.wa_id, cl.telefono, w.bsuid) IS NOT NULL
       AND (SELECT MAX(e.creado_en) FROM pedido_estados e WHERE e.pedido_id = p.id AND e.estado = 'entregado')
           BETWEEN ?2 AND ?1
     LIMIT 500";

/// Sends the surveys that are due: delivered orders past the delay, at most a week old and
/// delivered since surveys were switched on, without a survey yet. Returns how many were
/// queued.
pub fn send_due(c: &Connection, now: i64) -> Result<i64, AppError> {
    let settings = settings(c)?;
    if !settings.active {
        return Ok(0);
    }
    let oldest = (now - 7 * 24 * 3600 * 1000).max(settings.since);
    let due: Vec<(i64, i64, String)> = {
        let mut stmt = c.prepare_cached(DUE_SQL)?;
        let rows = stmt.query_map(params![now - settings.delay_ms, oldest], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for (order, customer, dest) in &due {
        c.prepare_cached(
            "INSERT INTO encuestas (pedido_id, cliente_id, enviada_en) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![order, customer, now])?;
        queue::enqueue(
            c,
            *customer,
            dest,
            &csat_question(dest, *order)?,
            &format!("Encuesta de satisfacción del pedido #{order}"),
            &format!("encuesta:{order}"),
            now,
        )?;
    }
    Ok(due.len() as i64)
}

fn record(
    c: &Connection,
    customer: i64,
    order: i64,
    body: String,
    meta: serde_json::Value,
    wamid: &str,
    now: i64,
) -> Result<(), AppError> {
    interactions::store::insert(
        c,
        &NewInteraction {
            customer_id: customer,
            channel: "whatsapp".into(),
            direction: "entrante".into(),
            kind: "encuesta".into(),
            body,
            external_id: Some(format!("encuesta:{wamid}")),
            order_id: Some(order),
            metadata: meta,
            at: now,
        },
    )?;
    Ok(())
}

fn alert(c: &Connection, customer: i64, order: i64, why: &str, now: i64) -> Result<(), AppError> {
    crate::conversations::store::flag_human(c, customer, why, now)?;
    reminders::insert(
        c,
        &NewReminder {
            customer,
            text: &format!("{why} — pedido #{order}: llamar al cliente."),
            due: now,
            origin: "encuesta_baja",
            key: Some(format!("encuesta_baja:{order}")),
            by: "system",
        },
        now,
    )?;
    tracing::warn!(
        cliente = customer,
        pedido = order,
        motivo = why,
        "encuesta con puntuación baja"
    );
    Ok(())
}

fn reply(
    c: &Connection,
    customer: i64,
    dest: Option<&str>,
    msg: &Message,
    text: &str,
    now: i64,
) -> Result<(), AppError> {
    if let Some(dest) = dest {
        queue::enqueue(
            c,
            customer,
            dest,
            &OutboundMessage::text(queue::recipient(dest), text).reply_to(msg.id.clone()),
            text,
            &format!("encuesta-respuesta:{}", msg.id),
            now,
        )?;
    }
    Ok(())
}

/// Handles a survey answer before the bot; returns true when the message was one.
pub fn handle(
    c: &Connection,
    customer: i64,
    dest: Option<&str>,
    msg: &Message,
    now: i64,
) -> Result<bool, AppError> {
    if let MessageKind::Interactive(
        InteractiveReply::ListReply { id, .. } | InteractiveReply::ButtonReply { id, .. },
    ) = &msg.kind
        && let Some(rest) = id.strip_prefix("csat:")
    {
        let mut parts = rest.split(':').map(|p| p.parse::<i64>().ok());
        let (Some(Some(order)), Some(Some(score))) = (parts.next(), parts.next()) else {
            return Ok(false);
        };
        if !(1..=5).contains(&score) {
            return Ok(false);
        }
        let updated = c
            .prepare_cached(
                "UPDATE encuestas SET csat = ?3, estado = 'csat', respondida_en = ?4
                 WHERE pedido_id = ?1 AND cliente_id = ?2 AND estado = 'enviada'",
            )?
            .execute(params![order, customer, score, now])?;
        if updated == 0 {
            return Ok(true); // a repeated tap: already counted
        }
        record(
            c,
            customer,
            order,
            format!("CSAT {score}/5"),
            json!({"csat": score, "pedido_id": order}),
            &msg.id,
            now,
        )?;
        if score <= LOW_CSAT {
            alert(
                c,
                customer,
                order,
                &format!("Encuesta: satisfacción baja ({score}/5)"),
                now,
            )?;
        }
        if settings(c)?.nps {
            reply(
                c,
                customer,
                dest,
                msg,
                "¡Gracias! Del 0 al 10, ¿qué tan probable es que nos recomiendes? Responde con un número.",
                now,
            )?;
        } else {
            c.prepare_cached("UPDATE encuestas SET estado = 'completa' WHERE pedido_id = ?1")?
                .execute([order])?;
            reply(c, customer, dest, msg, "¡Gracias por tu respuesta! 🙌", now)?;
        }
        return Ok(true);
    }
    if let MessageKind::Interactive(InteractiveReply::ButtonReply { id, .. }) = &msg.kind
        && let Some((wants, order)) = id
            .split_once(':')
            .filter(|(k, _)| matches!(*k, "comentar" | "sin_comentario"))
            .and_then(|(k, o)| o.parse::<i64>().ok().map(|o| (k == "comentar", o)))
    {
        let (sql, text) = if wants {
            (
                "UPDATE encuestas SET comentario = '', respondida_en = ?3 WHERE pedido_id = ?1 AND cliente_id = ?2 AND estado = 'nps'",
                "Escríbenos tu comentario aquí. 🙏",
            )
        } else {
            (
                "UPDATE encuestas SET estado = 'completa', respondida_en = ?3 WHERE pedido_id = ?1 AND cliente_id = ?2 AND estado = 'nps'",
                "¡Gracias por tus respuestas! 🙌",
            )
        };
        if c.prepare_cached(sql)?
            .execute(params![order, customer, now])?
            > 0
        {
            reply(c, customer, dest, msg, text, now)?;
        }
        return Ok(true);
    }
    let MessageKind::Text { body } = &msg.kind else {
        return Ok(false);
    };
    // Follow-ups only for the customer's latest survey, shortly after their last answer.
    let open: Option<(i64, String, Option<String>)> = c
        .prepare_cached(
            "SELECT pedido_id, estado, pii_open(comentario) FROM encuestas
             WHERE cliente_id = ?1 AND estado IN ('csat', 'nps') AND respondida_en >= ?2
             ORDER BY respondida_en DESC LIMIT 1",
        )?
        .query_row(params![customer, now - 3600 * 1000], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((order, estado, comentario)) = open else {
        return Ok(false);
    };
    let text = body.trim();
    if estado == "csat" {
        let Some(score) = text.parse::<i64>().ok().filter(|n| (0..=10).contains(n)) else {
            return Ok(false);
        };
        c.prepare_cached("UPDATE encuestas SET nps = ?2, estado = 'nps', respondida_en = ?3 WHERE pedido_id = ?1")?
            .execute(params![order, score, now])?;
        record(
            c,
            customer,
            order,
            format!("NPS {score}/10"),
            json!({"nps": score, "pedido_id": order}),
            &msg.id,
            now,
        )?;
        if score <= 6 {
            alert(
                c,
                customer,
                order,
                &format!("Encuesta: NPS bajo ({score}/10)"),
                now,
            )?;
        }
        // Buttons, so a later message (an order) is never taken for a comment by mistake.
        if let Some(dest) = dest {
            let ask = ReplyButtons::new("¿Quieres dejarnos un comentario?")
                .button(format!("comentar:{order}"), "Sí, comentar")
                .button(format!("sin_comentario:{order}"), "No, gracias")
                .build()
                .map_err(|e| AppError::internal(e.to_string()))?;
            queue::enqueue(
                c,
                customer,
                dest,
                &OutboundMessage::interactive(queue::recipient(dest), ask).reply_to(msg.id.clone()),
                "¿Quieres dejarnos un comentario? [Sí, comentar | No, gracias]",
                &format!("encuesta-respuesta:{}", msg.id),
                now,
            )?;
        }
        return Ok(true);
    }
    if comentario.as_deref() != Some("") {
        return Ok(false); // no comment was asked for: the message is not ours
    }
    let comment = Some(text.chars().take(1000).collect::<String>()).filter(|t| !t.is_empty());
    c.prepare_cached(
        "UPDATE encuestas SET comentario = pii_seal(?2), estado = 'completa' WHERE pedido_id = ?1",
    )?
    .execute(params![order, comment])?;
    if let Some(cm) = &comment {
        record(
            c,
            customer,
            order,
            format!("Comentario: {cm}"),
            json!({"comentario": cm, "pedido_id": order}),
            &msg.id,
            now,
        )?;
    }
    reply(
        c,
        customer,
        dest,
        msg,
        "¡Gracias por ayudarnos a mejorar! 🙌",
        now,
    )?;
    Ok(true)
}
