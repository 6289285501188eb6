//! Inbound webhook payloads: typed messages and statuses, and [`parse_webhook`], which flattens a
//! batch into events with per-item error isolation and contacts joined by id (never by position).

mod decode;
mod message;
mod money;
mod status;
mod summary;
mod wire;

#[cfg(test)]
mod tests;

pub use decode::MessageError;
pub use message::{
    InteractiveReply, Location, Media, MediaType, Message, MessageContext, MessageKind, Order,
    OrderItem, ReferredProduct, SystemNotice,
};
pub use money::{Money, PriceError, currency_exponent, parse_price};
pub use status::{DeliveryStatus, Pricing, Status};
pub use wire::{ApiErrorItem, Contact, ErrorData, Metadata, Profile};

use serde::Serialize;
use serde_json::value::RawValue;
use wire::{RawChange, RawEntry, RawEnvelope, RawValueBody};

/// Where an event arrived: route it to a brand by `phone_number_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routing {
    /// WhatsApp Business Account id (`entry[].id`).
    pub waba_id: Option<String>,
    /// The business number's stable id: the tenant routing key.
    pub phone_number_id: String,
    /// Business number digits; display only.
    pub display_phone_number: String,
}

/// An inbound message with the contact that sent it (matched by BSUID or wa_id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboundMessage {
    pub routing: Routing,
    /// `None` for `system` messages (Meta sends no contacts) or when no contact matched.
    pub contact: Option<Contact>,
    pub message: Message,
}

/// A status of one of our sent messages, with the recipient's contact when Meta includes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusUpdate {
    pub routing: Routing,
    pub contact: Option<Contact>,
    pub status: Status,
}

/// One item of a webhook batch that could not be read; the rest of the batch is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MalformedItem {
    /// JSON path of the item, e.g. `entry[0].changes[1].value.messages[2]`.
    pub location: String,
    /// Spanish description of what was wrong.
    pub error: String,
    /// Routing of the change it belonged to, when that much could be read.
    pub routing: Option<Routing>,
    /// The item's raw JSON text, for the dead-letter log.
    pub raw: String,
}

/// One event from a webhook batch, in the order they appear in the body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A customer wrote (any kind). Idempotency key: `message.id`.
    Message(Box<InboundMessage>),
    /// A status for a message we sent. Idempotency key: (`status.id`, `status.status`).
    Status(Box<StatusUpdate>),
    /// `value.errors`: account/app-level problems (e.g. 130429). Log and alert.
    ChangeErrors {
        routing: Routing,
        errors: Vec<ApiErrorItem>,
    },
    /// Another subscribed field (`user_preferences`, `message_template_status_update`, …) kept raw.
    OtherField {
        waba_id: Option<String>,
        field: String,
        value: serde_json::Value,
    },
    /// An item that could not be read. Keep it for inspection; answer the webhook 200 anyway.
    Malformed(MalformedItem),
}

/// The body as a whole is unusable (answer 400 if it was also unsigned, else log and answer 200).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("el cuerpo del webhook no es JSON válido: {0}")]
    NotJson(String),
    #[error("el webhook no es de WhatsApp Business (object = {0:?})")]
    NotWhatsApp(Option<String>),
}

/// The `object` value of WhatsApp webhooks.
pub const WHATSAPP_OBJECT: &str = "whatsapp_business_account";

/// Parses a webhook body into events. Never panics on any input (fuzzed).
///
/// Every entry, change, message and status is read; a bad item becomes [`Event::Malformed`] and the
/// others still come out. Run [`crate::whatsapp::verify_signature`] on the same bytes first.
pub fn parse_webhook(body: &[u8]) -> Result<Vec<Event>, WebhookError> {
    let envelope: RawEnvelope =
        serde_json::from_slice(body).map_err(|e| WebhookError::NotJson(e.to_string()))?;
    if envelope.object.as_deref() != Some(WHATSAPP_OBJECT) {
        return Err(WebhookError::NotWhatsApp(envelope.object));
    }
    let mut events = Vec::new();
    for (i, entry) in envelope.entry.iter().enumerate() {
        read_entry(entry, &format!("entry[{i}]"), &mut events);
    }
    Ok(events)
}

fn malformed(
    location: String,
    error: impl ToString,
    routing: Option<&Routing>,
    raw: &RawValue,
) -> Event {
    Event::Malformed(MalformedItem {
        location,
        error: error.to_string(),
        routing: routing.cloned(),
        raw: raw.get().to_owned(),
    })
}

fn read_entry(raw: &RawValue, at: &str, out: &mut Vec<Event>) {
    let entry: RawEntry = match serde_json::from_str(raw.get()) {
        Ok(e) => e,
        Err(e) => return out.push(malformed(at.to_owned(), e, None, raw)),
    };
    for (j, change) in entry.changes.iter().enumerate() {
        read_change(
            change,
            entry.id.as_deref(),
            &format!("{at}.changes[{j}]"),
            out,
        );
    }
}

fn read_change(raw: &RawValue, waba_id: Option<&str>, at: &str, out: &mut Vec<Event>) {
    let change: RawChange = match serde_json::from_str(raw.get()) {
        Ok(c) => c,
        Err(e) => return out.push(malformed(at.to_owned(), e, None, raw)),
    };
    let field = change.field.unwrap_or_default();
    let Some(value) = change.value else {
        return out.push(malformed(
            at.to_owned(),
            "el cambio no trae «value»",
            None,
            raw,
        ));
    };
    if field != "messages" {
        match serde_json::from_str(value.get()) {
            Ok(value) => out.push(Event::OtherField {
                waba_id: waba_id.map(str::to_owned),
                field,
                value,
            }),
            Err(e) => out.push(malformed(format!("{at}.value"), e, None, value)),
        }
        return;
    }
    let body: RawValueBody = match serde_json::from_str(value.get()) {
        Ok(b) => b,
        Err(e) => return out.push(malformed(format!("{at}.value"), e, None, value)),
    };
    let Some(metadata) = body.metadata else {
        let msg = "falta «metadata.phone_number_id»: no se puede saber a qué marca va";
        return out.push(malformed(format!("{at}.value"), msg, None, value));
    };
    let routing = Routing {
        waba_id: waba_id.map(str::to_owned),
        phone_number_id: metadata.phone_number_id,
        display_phone_number: metadata.display_phone_number,
    };
    // Contacts are parsed one by one too: a bad contact only loses its own join.
    let contacts: Vec<Contact> = body
        .contacts
        .iter()
        .filter_map(|c| serde_json::from_str(c.get()).ok())
        .collect();
    for (k, raw_msg) in body.messages.iter().enumerate() {
        let at = format!("{at}.value.messages[{k}]");
        match decode::parse_message(raw_msg) {
            Ok(message) => {
                let contact =
                    find_contact(&contacts, message.from_user_id.as_deref(), &message.from);
                out.push(Event::Message(Box::new(InboundMessage {
                    routing: routing.clone(),
                    contact,
                    message,
                })));
            }
            Err(e) => out.push(malformed(at, e, Some(&routing), raw_msg)),
        }
    }
    for (k, raw_status) in body.statuses.iter().enumerate() {
        let at = format!("{at}.value.statuses[{k}]");
        match serde_json::from_str::<Status>(raw_status.get()) {
            Ok(status) => {
                let contact = find_contact(
                    &contacts,
                    status.recipient_user_id.as_deref(),
                    &status.recipient_id,
                );
                out.push(Event::Status(Box::new(StatusUpdate {
                    routing: routing.clone(),
                    contact,
                    status,
                })));
            }
            Err(e) => out.push(malformed(
                at,
                format!("estado ilegible: {e}"),
                Some(&routing),
                raw_status,
            )),
        }
    }
    if !body.errors.is_empty() {
        out.push(Event::ChangeErrors {
            routing,
            errors: body.errors,
        });
    }
}

/// Joins by BSUID first, then by non-empty wa_id. Empty ids never match: two username users in one
/// batch both have `wa_id: ""`.
fn find_contact(contacts: &[Contact], user_id: Option<&str>, wa_id: &str) -> Option<Contact> {
    let by_user = user_id
        .filter(|u| !u.is_empty())
        .and_then(|u| contacts.iter().find(|c| c.user_id.as_deref() == Some(u)));
    by_user
        .or_else(|| {
            (!wa_id.is_empty())
                .then(|| contacts.iter().find(|c| c.wa_id == wa_id))
                .flatten()
        })
        .cloned()
}
