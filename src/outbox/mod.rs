//! The outbox: durable, exactly-once-as-far-as-possible delivery of every message to the
//! outside world.
//!
//! A domain writes an [`OutboundMessage`] with [`enqueue`] inside the same transaction as the
//! change that caused it, so a message exists if and only if its cause was committed. The
//! [`worker`] then claims due messages, hands each to the [`Delivery`] for its service, and
//! records the outcome. Claiming sets a lease: a message whose delivery outcome is unknown
//! (the process died mid-call) is retried only after the lease expires, which leaves time
//! for the provider's own confirmation (WhatsApp status webhooks echo our id) to mark it sent
//! instead of sending it twice.

pub mod store;
pub mod worker;

use std::time::Duration;

use serde::Serialize;

use crate::error::AppError;

/// The outside services the outbox delivers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Whatsapp,
    Telegram,
    Email,
    Webhook,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Whatsapp,
        Service::Telegram,
        Service::Email,
        Service::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Whatsapp => "whatsapp",
            Service::Telegram => "telegram",
            Service::Email => "email",
            Service::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct OutboundMessage {
    pub service: Service,
    /// Recipient: wa_id, Telegram chat id, e-mail address or URL.
    pub destination: String,
    /// Service-specific JSON payload.
    pub payload: serde_json::Value,
    /// Idempotency key: enqueuing the same key twice stores one message.
    pub key: Option<String>,
    pub customer_id: Option<i64>,
    /// Deliver no earlier than this (unix ms); `None` = now.
    pub not_before: Option<i64>,
}

/// A message claimed for delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub service: Service,
    pub destination: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub customer_id: Option<i64>,
}

/// What a delivery attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Accepted by the provider, with its id for the message when it gives one.
    Sent { external_id: Option<String> },
    /// Try again after the delay (throttling, 5xx, timeouts).
    Retry { after: Duration, error: String },
    /// Never retry (invalid recipient, template missing, opt-out…).
    Failed { error: String },
    /// Not yet: the recipient or the service must wait (rate limits). No attempt is counted.
    Defer { after: Duration },
}

/// Delivers one message of one service. Implemented by the leaf clients' adapters.
pub trait Delivery: Send + Sync {
    fn deliver<'a>(
        &'a self,
        tenant: &'a crate::tenants::Slug,
        message: &'a Claimed,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>>;

    /// How many of `tenant`'s messages the service would accept right now (a provider's rate
    /// limit). The worker claims no more than this: a message claimed only to be refused and
    /// put back costs two writes and tells no one anything. `u32::MAX` when the adapter knows
    /// of no limit.
    fn capacity<'a>(
        &'a self,
        _tenant: &'a crate::tenants::Slug,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = u32> + Send + 'a>> {
        Box::pin(std::future::ready(u32::MAX))
    }
}

/// Most attempts before a retryable message is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// Exponential backoff with a cap: 2 s, 4 s, 8 s … up to 10 min.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 20) as u32;
    Duration::from_secs(2u64.saturating_pow(exp).min(600))
}

/// Writes `message` in the caller's transaction; returns its id (the existing one for a
/// repeated key).
pub fn enqueue(
    conn: &rusqlite::Connection,
    message: &OutboundMessage,
    now: i64,
) -> Result<i64, AppError> {
    store::insert(conn, message, now)
}

#[cfg(test)]
mod tests;
