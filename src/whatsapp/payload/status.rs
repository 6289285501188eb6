//! Outbound-message status webhooks (`value.statuses[]`) and their never-go-backwards rank.

use super::wire::{ApiErrorItem, i64_string_or_number, string_or_number};
use serde::{Deserialize, Serialize};

/// One status event for a message **we** sent. Store them append-only keyed by (`id`, `status`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Status {
    /// The wamid returned when we sent the message.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    pub status: DeliveryStatus,
    #[serde(deserialize_with = "i64_string_or_number")]
    pub timestamp: i64,
    /// Recipient phone digits; may be empty when we sent to a BSUID.
    #[serde(default, deserialize_with = "string_or_number")]
    pub recipient_id: String,
    #[serde(default)]
    pub recipient_user_id: Option<String>,
    /// Echo of what we put in `biz_opaque_callback_data` when sending (e.g. our outbox id).
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    pub pricing: Option<Pricing>,
    /// Only in webhooks of API version ≤ v23; kept raw.
    #[serde(default)]
    pub conversation: Option<serde_json::Value>,
    /// Present on `failed`: e.g. 131047 (24-hour window), 131026 (undeliverable).
    #[serde(default)]
    pub errors: Vec<ApiErrorItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Pricing {
    #[serde(default)]
    pub billable: Option<bool>,
    /// `PMP` (per-message, current) or `CBP` (legacy conversation-based).
    #[serde(default)]
    pub pricing_model: Option<String>,
    /// `regular`, `free_customer_service`, `free_entry_point`.
    #[serde(default, rename = "type")]
    pub pricing_type: Option<String>,
    /// `marketing`, `utility`, `authentication`, `service`, …
    #[serde(default)]
    pub category: Option<String>,
}

/// `statuses[].status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(from = "String", into = "String")]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    /// Voice message played; counts as at least read.
    Played,
    Failed,
    /// A status string this module does not know, kept verbatim.
    Other(String),
}

impl DeliveryStatus {
    /// Monotonic rank for success states: sent 1 < delivered 2 < read 3 ≤ played 4. `failed` and unknown
    /// are 0: a stored state is upgraded only when the new rank is higher, so late `sent` never
    /// downgrades `read`. `failed` is recorded separately (it is final unless a success later arrives).
    pub fn rank(&self) -> u8 {
        match self {
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Played => 4,
            DeliveryStatus::Failed | DeliveryStatus::Other(_) => 0,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Played => "played",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Other(s) => s,
        }
    }

    /// Spanish label for the UI.
    pub fn label_es(&self) -> &str {
        match self {
            DeliveryStatus::Sent => "enviado",
            DeliveryStatus::Delivered => "entregado",
            DeliveryStatus::Read => "leído",
            DeliveryStatus::Played => "reproducido",
            DeliveryStatus::Failed => "fallido",
            DeliveryStatus::Other(s) => s,
        }
    }
}

impl From<String> for DeliveryStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            "played" => DeliveryStatus::Played,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Other(s),
        }
    }
}

impl From<DeliveryStatus> for String {
    fn from(s: DeliveryStatus) -> Self {
        s.as_str().to_owned()
    }
}
