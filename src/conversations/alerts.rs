//! Telling staff a conversation waits for a person: besides the live inbox badge, a Telegram
//! message to the brand's Telegram recipients (`autonomo report recipients --telegram-chat`),
//! queued in the same transaction that raised the flag so it is sent once, after the commit.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::AppError;
use crate::outbox::{self, OutboundMessage, Service};
use crate::telegram::{delivery, escape_html};

/// Queues the alert for every Telegram recipient of the brand; returns how many.
pub fn person_needed(
    c: &Connection,
    brand_name: &str,
    customer_id: i64,
    reason: &str,
    now: i64,
) -> Result<usize, AppError> {
    let chats: Vec<String> = c
        .prepare_cached(
            "SELECT destino FROM reporte_destinatarios WHERE canal = 'telegram' ORDER BY destino",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if chats.is_empty() {
        return Ok(0);
    }
    let name: String = c
        .query_row(
            "SELECT nombre FROM clientes WHERE id = ?1",
            params![customer_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    let html = format!(
        "🙋 <b>{}</b>: {} necesita una persona en WhatsApp / needs a person on WhatsApp.\n<i>{}</i>",
        escape_html(brand_name),
        escape_html(&name),
        escape_html(reason)
    );
    for chat in &chats {
        outbox::enqueue(
            c,
            &OutboundMessage {
                service: Service::Telegram,
                destination: chat.clone(),
                payload: delivery::payload(&html),
                key: Some(format!("persona:{customer_id}:{now}:{chat}")),
                customer_id: Some(customer_id),
                not_before: None,
            },
            now,
        )?;
    }
    Ok(chats.len())
}
