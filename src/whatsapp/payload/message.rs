//! Inbound message types (`value.messages[]`): one typed kind per Meta `type`, unknown kinds kept raw.

use super::money::Money;
use super::wire::{ApiErrorItem, string_or_number};
use serde::{Deserialize, Serialize};

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
