//! Telegram Bot API client (leaf): sendMessage with HTML, sendPhoto and sendDocument uploads,
//! and errors classified so callers honour `retry_after`. No domain knowledge.

use std::time::Duration;

use serde::Deserialize;

/// Telegram's own address; tests point `AUTONOMO_TELEGRAM_API_BASE` at a local fake.
pub const DEFAULT_API_BASE: &str = "https://api.telegram.org";
/// The longest text one message may carry.
pub const MAX_TEXT_CHARS: usize = 4096;

#[derive(Clone)]
pub struct TelegramClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for TelegramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TelegramError {
    /// HTTP 429: wait this many seconds and resend the same request.
    #[error("Telegram pide esperar {0} s / asks to wait {0} s")]
    RetryAfter(u64),
    /// The bot may not write to this chat (blocked, never started): not retryable.
    #[error("Telegram rechazó el chat / refused the chat: {0}")]
    Forbidden(String),
    /// The group became a supergroup with this new id.
    #[error("el chat migró a / chat migrated to {0}")]
    Migrated(i64),
    #[error("Telegram rechazó la solicitud / refused the request: {0}")]
    BadRequest(String),
    /// Network failures and 5xx: retryable.
    #[error("Telegram no respondió / did not answer: {0}")]
    Transient(String),
}

impl TelegramError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TelegramError::RetryAfter(_) | TelegramError::Transient(_)
        )
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    result: Option<serde_json::Value>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<u64>,
    migrate_to_chat_id: Option<i64>,
}

/// A file to upload with sendPhoto or sendDocument.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl TelegramClient {
    pub fn new(
        base: &str,
        token: &str,
        timeout: Duration,
    ) -> Result<TelegramClient, TelegramError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| TelegramError::Transient(e.to_string()))?;
        Ok(TelegramClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
        })
    }

    fn url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.base, self.token)
    }

    /// Sends an HTML message; returns Telegram's message id.
    pub async fn send_message(&self, chat_id: &str, html: &str) -> Result<i64, TelegramError> {
        let body = serde_json::json!({
            "chat_id": chat_value(chat_id),
            "text": html,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": true},
        });
        let response = self
            .http
            .post(self.url("sendMessage"))
            .json(&body)
            .send()
            .await;
        message_id(read(response).await?)
    }

    /// Uploads a photo (`field = "photo"`) or a document (`field = "document"`) with a caption.
    pub async fn send_file(
        &self,
        chat_id: &str,
        field: &'static str,
        caption_html: &str,
        file: Upload,
    ) -> Result<i64, TelegramError> {
        let method = if field == "photo" {
            "sendPhoto"
        } else {
            "sendDocument"
        };
        let part = reqwest::multipart::Part::bytes(file.bytes)
            .file_name(file.filename)
            .mime_str(&file.mime)
            .map_err(|e| TelegramError::BadRequest(e.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .text("chat_id", chat_id.to_string())
            .text(
                "caption",
                caption_html.chars().take(1024).collect::<String>(),
            )
            .text("parse_mode", "HTML")
            .part(field, part);
        let response = self
            .http
            .post(self.url(method))
            .multipart(form)
            .send()
            .await;
        message_id(read(response).await?)
    }
}

/// Numeric chat ids go as numbers (they can exceed 32 bits), `@channel` names as strings.
fn chat_value(chat_id: &str) -> serde_json::Value {
    chat_id
        .parse::<i64>()
        .map(serde_json::Value::from)
        .unwrap_or_else(|_| chat_id.into())
}

async fn read(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<serde_json::Value, TelegramError> {
    let response = response.map_err(|e| TelegramError::Transient(e.to_string()))?;
    let status = response.status();
    let envelope: Option<Envelope> = response.json().await.ok();
    let description = envelope
        .as_ref()
        .and_then(|e| e.description.clone())
        .unwrap_or_else(|| status.to_string());
    let parameters = envelope.as_ref().and_then(|e| e.parameters.as_ref());
    if let Some(secs) = parameters.and_then(|p| p.retry_after) {
        return Err(TelegramError::RetryAfter(secs));
    }
    if let Some(chat) = parameters.and_then(|p| p.migrate_to_chat_id) {
        return Err(TelegramError::Migrated(chat));
    }
    match envelope {
        Some(Envelope {
            ok: true,
            result: Some(result),
            ..
        }) if status.is_success() => Ok(result),
        _ if status.as_u16() == 429 => Err(TelegramError::RetryAfter(5)),
        _ if status.as_u16() == 403 => Err(TelegramError::Forbidden(description)),
        _ if status.is_server_error() => Err(TelegramError::Transient(description)),
        _ => Err(TelegramError::BadRequest(description)),
    }
}

fn message_id(result: serde_json::Value) -> Result<i64, TelegramError> {
    result["message_id"]
        .as_i64()
        .ok_or_else(|| TelegramError::BadRequest("respuesta sin message_id".into()))
}

/// Escapes text for `parse_mode=HTML`: `&` first, then `<` and `>`.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Splits a long text at line breaks into messages of at most [`MAX_TEXT_CHARS`].
pub fn split_text(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    for line in text.split_inclusive('\n') {
        let mut line = line.to_string();
        while line.chars().count() > MAX_TEXT_CHARS {
            let head: String = line.chars().take(MAX_TEXT_CHARS).collect();
            line = line.chars().skip(MAX_TEXT_CHARS).collect();
            parts.push(head);
            parts.push(String::new());
        }
        let current = parts.last_mut().expect("parts is never empty");
        if current.chars().count() + line.chars().count() > MAX_TEXT_CHARS {
            parts.push(line);
        } else {
            current.push_str(&line);
        }
    }
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

pub mod delivery;
pub mod retry;

#[cfg(test)]
mod tests;
