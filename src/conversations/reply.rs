//! Staff replies from the inbox, shared by the JSON API and the inbox screen: free text inside
//! the 24-hour window, the brand's approved template at any time. The message is queued in the
//! same transaction that marks the conversation read, so a reply is never half-sent.

use rusqlite::{Connection, OptionalExtension};

use super::store::{self, Patch};
use super::window_open;
use crate::error::{AppError, msg};
use crate::whatsapp::outbound::{OutboundMessage, Template};
use crate::whatsapp::queue;

/// Longest free-text body WhatsApp accepts.
pub const MAX_TEXT_CHARS: usize = 4096;

/// What staff send.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Free-form text: only inside the 24-hour window.
    Text(String),
    /// The brand's configured template (bot settings `plantilla` / `plantilla_idioma`).
    Template,
}

/// Trims and checks a free-text reply.
pub fn text(raw: &str) -> Result<Reply, AppError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::validation(
            "texto",
            "length",
            msg(
                "El texto debe tener de 1 a 4096 caracteres.",
                "Text must be 1 to 4096 characters.",
            ),
        ));
    }
    Ok(Reply::Text(text.to_owned()))
}

/// Queues `reply` to the customer's WhatsApp identity and marks the conversation read.
/// Returns the outbox id. `key` makes a repeated submit (double click, retry) send once.
pub fn queue(
    c: &Connection,
    customer_id: i64,
    reply: &Reply,
    key: &str,
    now: i64,
) -> Result<i64, AppError> {
    let conv = store::get(c, customer_id)?.ok_or(AppError::NotFound("conversación"))?;
    let dest = c
        .query_row(
            "SELECT COALESCE(pii_open(wa_id), pii_open(bsuid)) FROM wa_contactos WHERE cliente_id = ?1",
            [customer_id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten()
        .ok_or(AppError::NotFound("contacto de WhatsApp"))?;
    let to = queue::recipient(&dest);
    let (message, summary) = match reply {
        Reply::Text(text) => {
            if !window_open(conv.last_inbound_at, now) {
                return Err(AppError::conflict(msg(
                    "Fuera de la ventana de 24 h: solo se puede enviar una plantilla aprobada.",
                    "Outside the 24-hour window: only an approved template can be sent.",
                )));
            }
            (OutboundMessage::text(to, text), text.clone())
        }
        Reply::Template => {
            let (name, lang) = crate::whatsapp::bot::knowledge::template(c)?.ok_or_else(|| {
                AppError::conflict(msg(
                    "La marca no tiene una plantilla configurada (Ajustes → WhatsApp).",
                    "The brand has no template configured (Settings → WhatsApp).",
                ))
            })?;
            let summary = format!("[plantilla {name}]");
            (
                OutboundMessage::template(to, Template::new(name, lang)),
                summary,
            )
        }
    };
    let id = queue::enqueue(c, customer_id, &dest, &message, &summary, key, now)?;
    store::update(
        c,
        customer_id,
        &Patch {
            read: true,
            ..Patch::default()
        },
        now,
    )?;
    Ok(id)
}
