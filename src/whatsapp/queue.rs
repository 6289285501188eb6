//! Queuing a WhatsApp message from inside a transaction: the outbox row, its delivery-state row
//! and the outgoing interaction in the thread are written together, so a reply exists if and
//! only if its cause was committed.

use rusqlite::{Connection, params};
use serde_json::json;

use super::outbound::{OutboundMessage as WaMessage, Recipient};
use crate::error::AppError;
use crate::interactions::{self, NewInteraction};
use crate::outbox::{self, OutboundMessage, Service};

/// The recipient for an outbox destination: digits are a `wa_id`, anything else a BSUID.
pub fn recipient(destination: &str) -> Recipient {
    if !destination.is_empty() && destination.bytes().all(|b| b.is_ascii_digit()) {
        Recipient::Phone(destination.to_owned())
    } else {
        Recipient::UserId(destination.to_owned())
    }
}

/// Enqueues `message` for `customer_id` at `destination` with idempotency `key`; `summary` is
/// what the thread shows. Returns the outbox id (the existing one for a repeated key).
pub fn enqueue(
    conn: &Connection,
    customer_id: i64,
    destination: &str,
    message: &WaMessage,
    summary: &str,
    key: &str,
    now: i64,
) -> Result<i64, AppError> {
    let payload = json!({
        "request": message.to_json(),
        "free_form": !message.is_template(),
        "summary": summary,
    });
    let id = outbox::enqueue(
        conn,
        &OutboundMessage {
            service: Service::Whatsapp,
            destination: destination.to_owned(),
            payload,
            key: Some(key.to_owned()),
            customer_id: Some(customer_id),
            not_before: None,
        },
        now,
    )?;
    let fresh = conn
        .prepare_cached(
            "INSERT INTO wa_salientes (outbox_id, actualizado_en) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(params![id, now])?
        > 0;
    if fresh {
        interactions::store::insert_returning_id(
            conn,
            &NewInteraction {
                customer_id,
                channel: "whatsapp".into(),
                direction: "saliente".into(),
                kind: "mensaje".into(),
                body: summary.chars().take(interactions::MAX_BODY_CHARS).collect(),
                external_id: Some(format!("wa-out:{id}")),
                order_id: None,
                metadata: json!({ "outbox_id": id }),
                at: now,
            },
        )?;
        crate::conversations::store::touch_outgoing(conn, customer_id, summary, now)?;
    }
    Ok(id)
}
