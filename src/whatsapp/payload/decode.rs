//! Decoding one raw `messages[]` item into a typed [`Message`], prices read exactly.

use super::message::{
    InteractiveReply, Location, Media, MediaType, Message, MessageContext, MessageKind, Order,
    OrderItem, SystemNotice,
};
use super::money::{PriceError, parse_price};
use super::wire::{ApiErrorItem, i64_string_or_number, string_or_number, u32_string_or_number};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Wire shape of one `messages[]` item; every kind-specific object is optional.
#[derive(Deserialize)]
struct WireMessage<'a> {
    #[serde(default, deserialize_with = "string_or_number")]
    from: String,
    #[serde(default)]
    from_user_id: Option<String>,
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    #[serde(deserialize_with = "i64_string_or_number")]
    timestamp: i64,
    #[serde(rename = "type")]
    message_type: String,
    #[serde(default)]
    context: Option<MessageContext>,
    #[serde(default)]
    referral: Option<serde_json::Value>,
    #[serde(default)]
    text: Option<WireText>,
    #[serde(default)]
    image: Option<Media>,
    #[serde(default)]
    audio: Option<Media>,
    #[serde(default)]
    video: Option<Media>,
    #[serde(default)]
    document: Option<Media>,
    #[serde(default)]
    sticker: Option<Media>,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    reaction: Option<WireReaction>,
    #[serde(default, borrow)]
    order: Option<WireOrder<'a>>,
    #[serde(default)]
    button: Option<WireButton>,
    #[serde(default)]
    interactive: Option<serde_json::Value>,
    #[serde(default)]
    system: Option<SystemNotice>,
    #[serde(default)]
    contacts: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    errors: Option<Vec<ApiErrorItem>>,
}

#[derive(Deserialize)]
struct WireText {
    body: String,
}

#[derive(Deserialize)]
struct WireReaction {
    message_id: String,
    #[serde(default)]
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct WireButton {
    #[serde(default)]
    payload: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct WireOrder<'a> {
    #[serde(default, deserialize_with = "string_or_number")]
    catalog_id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default, borrow)]
    product_items: Vec<WireOrderItem<'a>>,
}

#[derive(Deserialize)]
struct WireOrderItem<'a> {
    #[serde(deserialize_with = "string_or_number")]
    product_retailer_id: String,
    #[serde(deserialize_with = "u32_string_or_number")]
    quantity: u32,
    /// Kept as raw JSON text so the decimal is read exactly (never via f64).
    #[serde(borrow)]
    item_price: &'a RawValue,
    currency: String,
}

/// Why one `messages[]` item could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("mensaje con JSON inválido: {0}")]
    Json(String),
    #[error("al mensaje de tipo «{0}» le falta su contenido")]
    MissingBody(String),
    #[error(transparent)]
    Price(#[from] PriceError),
}

/// Parses one raw `messages[]` item.
pub(super) fn parse_message(raw: &RawValue) -> Result<Message, MessageError> {
    let wire: WireMessage =
        serde_json::from_str(raw.get()).map_err(|e| MessageError::Json(e.to_string()))?;
    let missing = || MessageError::MissingBody(wire.message_type.clone());
    let media = |m: Option<Media>, media_type| {
        m.map(|media| MessageKind::Media { media_type, media })
            .ok_or_else(missing)
    };
    let kind = match wire.message_type.as_str() {
        "text" => MessageKind::Text {
            body: wire.text.ok_or_else(missing)?.body,
        },
        "image" => media(wire.image, MediaType::Image)?,
        "audio" => media(wire.audio, MediaType::Audio)?,
        "video" => media(wire.video, MediaType::Video)?,
        "document" => media(wire.document, MediaType::Document)?,
        "sticker" => media(wire.sticker, MediaType::Sticker)?,
        "location" => MessageKind::Location(wire.location.ok_or_else(missing)?),
        "reaction" => {
            let r = wire.reaction.ok_or_else(missing)?;
            MessageKind::Reaction {
                message_id: r.message_id,
                emoji: r.emoji.filter(|e| !e.is_empty()),
            }
        }
        "order" => MessageKind::Order(convert_order(wire.order.ok_or_else(missing)?)?),
        "button" => {
            let b = wire.button.ok_or_else(missing)?;
            let text = b.text.unwrap_or_default();
            MessageKind::Button {
                payload: b.payload.unwrap_or_else(|| text.clone()),
                text,
            }
        }
        "interactive" => {
            MessageKind::Interactive(convert_interactive(wire.interactive.ok_or_else(missing)?))
        }
        "system" => MessageKind::System(wire.system.ok_or_else(missing)?),
        "contacts" => MessageKind::Contacts {
            cards: wire.contacts.unwrap_or_default(),
        },
        "unsupported" => MessageKind::Unsupported {
            errors: wire.errors.unwrap_or_default(),
        },
        other => MessageKind::Unknown {
            message_type: other.to_owned(),
            raw: serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null),
        },
    };
    Ok(Message {
        id: wire.id,
        from: wire.from,
        from_user_id: wire.from_user_id.filter(|u| !u.is_empty()),
        timestamp: wire.timestamp,
        context: wire.context,
        referral: wire.referral,
        kind,
    })
}

fn convert_order(wire: WireOrder<'_>) -> Result<Order, MessageError> {
    let mut items = Vec::with_capacity(wire.product_items.len());
    for item in wire.product_items {
        items.push(OrderItem {
            unit_price: parse_price(item.item_price.get(), &item.currency)?,
            product_retailer_id: item.product_retailer_id,
            quantity: item.quantity,
        });
    }
    Ok(Order {
        catalog_id: wire.catalog_id,
        text: wire.text.filter(|t| !t.trim().is_empty()),
        items,
    })
}

fn convert_interactive(value: serde_json::Value) -> InteractiveReply {
    let field = |obj: &serde_json::Value, key: &str| {
        obj.get(key).and_then(|v| v.as_str()).map(str::to_owned)
    };
    let reply_type = field(&value, "type").unwrap_or_default();
    let inner = value
        .get(reply_type.as_str())
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    match reply_type.as_str() {
        "list_reply" | "button_reply" if field(&inner, "id").is_some() => {
            let id = field(&inner, "id").unwrap_or_default();
            let title = field(&inner, "title").unwrap_or_default();
            if reply_type == "list_reply" {
                InteractiveReply::ListReply {
                    id,
                    title,
                    description: field(&inner, "description"),
                }
            } else {
                InteractiveReply::ButtonReply { id, title }
            }
        }
        "nfm_reply" => InteractiveReply::NfmReply {
            name: field(&inner, "name"),
            body: field(&inner, "body"),
            response_json: field(&inner, "response_json"),
        },
        _ => InteractiveReply::Other {
            reply_type,
            raw: value,
        },
    }
}
