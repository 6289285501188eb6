//! The outbox's Telegram adapter: staff alerts (a conversation waiting for a person) are
//! queued in the transaction that raised them and delivered here with Telegram's own rules:
//! a 429 waits `retry_after`, network trouble retries with backoff, a refused chat is final.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::{TelegramClient, TelegramError};
use crate::outbox::{Claimed, Delivery, Outcome, backoff};
use crate::tenants::Slug;

pub struct TelegramDelivery {
    client: TelegramClient,
}

impl TelegramDelivery {
    pub fn new(client: TelegramClient) -> TelegramDelivery {
        TelegramDelivery { client }
    }
}

/// The payload of a Telegram outbox message: `{"html": "…"}` for `sendMessage`.
pub fn payload(html: &str) -> serde_json::Value {
    serde_json::json!({ "html": html })
}

impl Delivery for TelegramDelivery {
    fn deliver<'a>(
        &'a self,
        _tenant: &'a Slug,
        message: &'a Claimed,
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>> {
        Box::pin(async move {
            let Some(html) = message.payload.get("html").and_then(|h| h.as_str()) else {
                return Outcome::Failed {
                    error: "mensaje de Telegram sin html / Telegram message without html".into(),
                };
            };
            match self.client.send_message(&message.destination, html).await {
                Ok(id) => Outcome::Sent {
                    external_id: Some(id.to_string()),
                },
                Err(TelegramError::RetryAfter(secs)) => Outcome::Defer {
                    after: Duration::from_secs(secs.clamp(1, 3600)),
                },
                Err(e) if e.is_retryable() => Outcome::Retry {
                    after: backoff(message.attempts),
                    error: e.to_string(),
                },
                Err(e) => Outcome::Failed {
                    error: e.to_string(),
                },
            }
        })
    }
}
