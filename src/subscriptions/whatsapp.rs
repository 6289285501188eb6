//! The subscription notice on WhatsApp (reply buttons to skip or pause the coming order) and
//! the handling of those button replies, called from the inbound pipeline before the bot.

use rusqlite::{Connection, OptionalExtension, params};

use super::actions::{self, Action};
use super::store;
use crate::error::AppError;
use crate::whatsapp::interactive::ReplyButtons;
use crate::whatsapp::outbound::OutboundMessage;
use crate::whatsapp::payload::{InteractiveReply, Message, MessageKind};
use crate::whatsapp::queue;

/// Where the customer is reached on WhatsApp, if anywhere.
fn destination(c: &Connection, customer: i64) -> Result<Option<String>, AppError> {
    Ok(c.query_row(
        "SELECT COALESCE(pii_open(w.wa_id), pii_open(cl.wa_id), ltrim(pii_open(cl.telefono), '+'), pii_open(w.bsuid))
         FROM clientes cl LEFT JOIN wa_contactos w ON w.cliente_id = cl.id WHERE cl.id = ?1",
        [customer],
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()?
    .flatten())
}

/// Sends the notice of period `n` once. Returns whether one was queued now.
pub fn notify(
    c: &Connection,
    s: &store::Row,
    n: i64,
    date: i64,
    plan: &str,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<bool, AppError> {
    c.prepare_cached(
        "INSERT INTO suscripcion_periodos (suscripcion_id, periodo, fecha) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![s.id, n, date])?;
    let claimed = c
        .prepare_cached(
            "UPDATE suscripcion_periodos SET aviso_en = ?3
             WHERE suscripcion_id = ?1 AND periodo = ?2 AND aviso_en IS NULL AND saltado = 0",
        )?
        .execute(params![s.id, n, now])?
        > 0;
    if !claimed {
        return Ok(false);
    }
    let Some(dest) = destination(c, s.customer)? else {
        return Ok(false);
    };
    let day = chrono::TimeZone::timestamp_millis_opt(&chrono::Utc, date)
        .single()
        .map(|d| d.with_timezone(&tz).format("%d/%m/%Y").to_string())
        .unwrap_or_default();
    let body = format!(
        "Tu suscripción «{plan}» genera tu próximo pedido el {day}. ¿Lo saltamos o pausamos la suscripción?"
    );
    let buttons = ReplyButtons::new(body.clone())
        .button(format!("sus:{}:{n}:saltar", s.id), "Saltar este")
        .button(format!("sus:{}:{n}:pausar", s.id), "Pausar")
        .button(format!("sus:{}:{n}:ok", s.id), "Está bien")
        .build()
        .map_err(|e| AppError::internal(e.to_string()))?;
    queue::enqueue(
        c,
        s.customer,
        &dest,
        &OutboundMessage::interactive(queue::recipient(&dest), buttons),
        &body,
        &format!("suscripcion-aviso:{}:{n}", s.id),
        // Queued for delivery now in wall-clock time, even when the run is "as of" another time.
        crate::time::now_ms(),
    )?;
    Ok(true)
}

/// Handles a skip/pause button reply; returns true when the message was one.
pub fn handle(
    c: &Connection,
    customer: i64,
    dest: Option<&str>,
    msg: &Message,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<bool, AppError> {
    let MessageKind::Interactive(InteractiveReply::ButtonReply { id, .. }) = &msg.kind else {
        return Ok(false);
    };
    let Some(rest) = id.strip_prefix("sus:") else {
        return Ok(false);
    };
    let mut parts = rest.split(':');
    let (Some(Ok(sub)), Some(Ok(n)), Some(choice)) = (
        parts.next().map(str::parse::<i64>),
        parts.next().map(str::parse::<i64>),
        parts.next(),
    ) else {
        return Ok(false);
    };
    // Only the subscription's own customer may act on it.
    let Some(row) = store::row(c, sub)?.filter(|r| r.customer == customer) else {
        return Ok(false);
    };
    let text = match choice {
        "saltar" => {
            let date = store::plan_terms(c, row.plan)?
                .and_then(|(p, ..)| p.date(row.start, n, tz))
                .unwrap_or(now);
            if n >= row.next && row.status == "activa" && store::skip(c, sub, n, date)? {
                "Listo, saltamos ese pedido. Te avisaremos antes del siguiente."
            } else {
                "Ese pedido ya no se puede saltar."
            }
        }
        "pausar" => match actions::apply(c, sub, Action::Pause, tz, now) {
            Ok(_) => "Pausamos tu suscripción. Escríbenos cuando quieras reanudarla.",
            Err(_) => "Tu suscripción no está activa.",
        },
        "reanudar" => match actions::apply(c, sub, Action::Resume, tz, now) {
            Ok(_) => "Reanudamos tu suscripción. Te avisaremos antes del próximo pedido.",
            Err(_) => "Tu suscripción no está pausada.",
        },
        _ => "¡Perfecto! Preparamos tu pedido.",
    };
    if let Some(dest) = dest {
        queue::enqueue(
            c,
            customer,
            dest,
            &OutboundMessage::text(queue::recipient(dest), text).reply_to(msg.id.clone()),
            text,
            &format!("suscripcion-respuesta:{}", msg.id),
            now,
        )?;
    }
    Ok(true)
}
