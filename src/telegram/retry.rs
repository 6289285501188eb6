//! One Bot API call made patiently: a 429 waits Telegram's `retry_after` (1–60 s, five
//! times at most) and network trouble or a 5xx is retried three times, 2 s apart, before
//! giving up. For direct sends (reports, alerts); the outbox has its own scheduling.

use std::future::Future;
use std::time::Duration;

use super::TelegramError;

/// Runs `call` (which builds a fresh request each time) until it succeeds or fails for good;
/// returns Telegram's message id.
pub async fn with_retries<F, Fut>(chat: &str, mut call: F) -> Result<i64, TelegramError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<i64, TelegramError>>,
{
    let (mut waits, mut retries) = (0, 0);
    loop {
        match call().await {
            Ok(id) => return Ok(id),
            Err(TelegramError::RetryAfter(secs)) if waits < 5 => {
                waits += 1;
                tracing::info!(chat, secs, "Telegram pide esperar; reintento");
                tokio::time::sleep(Duration::from_secs(secs.clamp(1, 60))).await;
            }
            Err(TelegramError::Transient(_)) if retries < 3 => {
                retries += 1;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(e),
        }
    }
}
