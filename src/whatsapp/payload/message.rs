//! Inbound message types (`value.messages[]`): one typed kind per Meta `type`, unknown kinds kept raw.

use super::money::{Money, PriceError, parse_price};
use super::wire::{ApiErrorItem, i64_string_or_number, string_or_number, u32_string_or_number};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One inbound message, any kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// `wamid.…`: the idempotency key. Opaque.
    pub id: String,
    /// Sender's `wa_id` (digits, no `+`); **empty** for username users, then use `from_user_id`.
    pub from: String,
    /// Sender's business-scoped user id (BSUID), when Meta sends one.
    pub from_user_id: Option<String>,
    /// Unix seconds when the user sent it; the 24-hour window counts from here.
    pub timestamp: i64,
    /// Reply/forward context (`context.id` is the wamid of *our* message being answered).
    pub context: Option<MessageContext>,
    /// Click-to-WhatsApp ad data, kept as sent.
    pub referral: Option<serde_json::Value>,
    pub kind: MessageKind,
}

/// What the message carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageKind {
    Text {
        body: String,
    },
    /// image, audio, video, document or sticker.
    Media {
        media_type: MediaType,
        media: Media,
    },
    Location(Location),
    /// `emoji == None` means the user removed their reaction.
    Reaction {
        message_id: String,
        emoji: Option<String>,
    },
    /// Catalogue cart.
    Order(Order),
    /// Tap on a **template** quick-reply button (`type:"button"`).
    Button {
        payload: String,
        text: String,
    },
    /// Answer to one of our interactive messages.
    Interactive(InteractiveReply),
    /// System notice, e.g. `user_changed_number` (no contact is attached).
    System(SystemNotice),
    /// Shared contact cards, kept raw.
    Contacts {
        cards: Vec<serde_json::Value>,
    },
    /// Meta could not render the message (`type:"unsupported"`), with its error items.
    Unsupported {
        errors: Vec<ApiErrorItem>,
    },
    /// A `type` this module does not know yet, kept raw so nothing is lost.
    Unknown {
        message_type: String,
        raw: serde_json::Value,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Image,
    Audio,
    Video,
    Document,
    Sticker,
}

/// A media attachment; download it with `GraphClient::media_url` (ids live 7 days).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Media {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Base64 SHA-256 of the file, to check the download.
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    /// Audio recorded in-app (a voice note).
    #[serde(default)]
    pub voice: Option<bool>,
    #[serde(default)]
    pub animated: Option<bool>,
    /// Rolling out since 2025-11; may be absent.
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// A catalogue order. Prices are unit prices; revalidate against the brand's own price list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub catalog_id: String,
    /// Free note the customer typed with the cart; `None` when absent or empty.
    pub text: Option<String>,
    pub items: Vec<OrderItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderItem {
    /// The catalogue's retailer id: match it to the product SKU.
    pub product_retailer_id: String,
    pub quantity: u32,
    pub unit_price: Money,
}

impl OrderItem {
    /// `unit_price × quantity`, `None` on overflow.
    pub fn line_total(&self) -> Option<Money> {
        Some(Money {
            minor_units: self
                .unit_price
                .minor_units
                .checked_mul(i64::from(self.quantity))?,
            currency: self.unit_price.currency.clone(),
        })
    }
}

impl Order {
    /// Sum of all units (2 pizzas + 3 drinks = 5).
    pub fn total_units(&self) -> u64 {
        self.items.iter().map(|i| u64::from(i.quantity)).sum()
    }

    /// Total of the cart; `None` when empty, mixed currencies or overflow.
    pub fn total(&self) -> Option<Money> {
        let currency = self.items.first()?.unit_price.currency.clone();
        let mut sum = 0i64;
        for item in &self.items {
            if item.unit_price.currency != currency {
                return None;
            }
            sum = sum.checked_add(item.line_total()?.minor_units)?;
        }
        Some(Money {
            minor_units: sum,
            currency,
        })
    }
}

/// The reply inside a `type:"interactive"` message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InteractiveReply {
    /// A row of one of our lists; `id` is the row id we set.
    ListReply {
        id: String,
        title: String,
        description: Option<String>,
    },
    /// One of our reply buttons; `id` is the button id we set.
    ButtonReply { id: String, title: String },
    /// A WhatsApp Flow answer; `response_json` is the Flow's JSON text as sent.
    NfmReply {
        name: Option<String>,
        body: Option<String>,
        response_json: Option<String>,
    },
    Other {
        reply_type: String,
        raw: serde_json::Value,
    },
}

/// `type:"system"`: the user changed number (or id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SystemNotice {
    #[serde(default)]
    pub body: Option<String>,
    /// `user_changed_number`, `user_changed_user_id`, …
    #[serde(default, rename = "type")]
    pub notice_type: Option<String>,
    /// The user's **new** wa_id.
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub previous_user_id: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct MessageContext {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub forwarded: bool,
    #[serde(default)]
    pub frequently_forwarded: bool,
    #[serde(default)]
    pub referred_product: Option<ReferredProduct>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ReferredProduct {
    #[serde(default)]
    pub catalog_id: Option<String>,
    #[serde(default)]
    pub product_retailer_id: Option<String>,
}

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
