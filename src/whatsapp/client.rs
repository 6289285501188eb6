//! The Graph API HTTP client: send messages, mark as read, fetch media. One client serves every
//! brand; each call takes the brand's [`Sender`] (phone number id + access token).

pub use crate::whatsapp::errors::{ErrorClass, GraphError, PermanentReason, RetryScope};
use crate::whatsapp::outbound::{MarkRead, OutboundMessage, SendResponse};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::Duration;

/// Meta's Graph API host.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// API version segment; pinned because webhook shapes follow the app's version.
pub const DEFAULT_API_VERSION: &str = "v24.0";

/// Client settings. `base_url` is overridden in tests (and by `AUTONOMO_WHATSAPP_API_BASE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphConfig {
    pub base_url: String,
    pub api_version: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// One brand's WhatsApp credentials. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Sender {
    pub phone_number_id: String,
    pub access_token: String,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &"***")
            .finish()
    }
}

/// `GET /{media_id}` answer: a download URL valid for 5 minutes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MediaInfo {
    pub url: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub file_size: Option<serde_json::Value>,
    #[serde(default)]
    pub id: Option<String>,
}

/// Shared, cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base_url: String,
    api_version: String,
}

impl GraphClient {
    /// Builds the client (rustls, no system OpenSSL).
    pub fn new(config: GraphConfig) -> Result<Self, GraphError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("autonomo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| permanent(format!("no se pudo crear el cliente HTTP: {e}")))?;
        Ok(GraphClient {
            http,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            api_version: config.api_version.trim_matches('/').to_owned(),
        })
    }

    /// `{base}/{version}/{phone_number_id}/messages`.
    pub fn messages_url(&self, phone_number_id: &str) -> Result<String, GraphError> {
        Ok(format!("{}/messages", self.node_url(phone_number_id)?))
    }

    /// Ids go into the URL path, so only Graph-style ids (digits) are accepted.
    fn node_url(&self, id: &str) -> Result<String, GraphError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GraphError::local(
                ErrorClass::Permanent(PermanentReason::InvalidRequest),
                format!("identificador de WhatsApp inválido: «{id}»"),
            ));
        }
        Ok(format!("{}/{}/{id}", self.base_url, self.api_version))
    }

    /// Sends a message. `Ok` means Meta **accepted** it (store the wamid); delivery arrives as status
    /// webhooks. On `Err`, follow [`GraphError::class`].
    pub async fn send(
        &self,
        sender: &Sender,
        message: &OutboundMessage,
    ) -> Result<SendResponse, GraphError> {
        let url = self.messages_url(&sender.phone_number_id)?;
        let body = self.post_json(&url, sender, &message.to_json()).await?;
        serde_json::from_slice(&body).map_err(|e| {
            // The send may have gone through: retrying could duplicate it.
            GraphError::local(
                ErrorClass::Permanent(PermanentReason::UnexpectedResponse),
                format!("respuesta de envío ilegible: {e}"),
            )
        })
    }

    /// Marks an inbound message (and earlier ones) as read, optionally with a typing indicator.
    pub async fn mark_read(&self, sender: &Sender, mark: &MarkRead) -> Result<(), GraphError> {
        let url = self.messages_url(&sender.phone_number_id)?;
        let value = serde_json::to_value(mark).map_err(|e| permanent(e.to_string()))?;
        self.post_json(&url, sender, &value).await.map(|_| ())
    }

    /// Resolves a media id from a webhook into a short-lived download URL.
    pub async fn media_url(
        &self,
        sender: &Sender,
        media_id: &str,
    ) -> Result<MediaInfo, GraphError> {
        let url = self.node_url(media_id)?;
        let request = self
            .http
            .get(url)
            .query(&[("phone_number_id", sender.phone_number_id.as_str())])
            .bearer_auth(&sender.access_token);
        let body = execute(request).await?;
        serde_json::from_slice(&body)
            .map_err(|e| permanent(format!("respuesta de medio ilegible: {e}")))
    }

    /// Downloads media from a [`MediaInfo::url`] (the Bearer token is required there too), refusing
    /// files larger than `max_bytes`.
    pub async fn download_media(
        &self,
        sender: &Sender,
        url: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, GraphError> {
        let request = self.http.get(url).bearer_auth(&sender.access_token);
        let bytes = execute(request).await?;
        if bytes.len() > max_bytes {
            return Err(permanent(format!(
                "el archivo supera el máximo de {max_bytes} bytes"
            )));
        }
        Ok(bytes)
    }

    async fn post_json(
        &self,
        url: &str,
        sender: &Sender,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, GraphError> {
        let bytes = serde_json::to_vec(body).map_err(|e| permanent(e.to_string()))?;
        let request = self
            .http
            .post(url)
            .bearer_auth(&sender.access_token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes);
        execute(request).await
    }
}

/// Checks downloaded media against the webhook's `sha256` (base64 of the SHA-256 digest).
pub fn media_sha256_matches(bytes: &[u8], expected_base64: &str) -> bool {
    let digest = Sha256::digest(bytes);
    base64::engine::general_purpose::STANDARD.encode(digest) == expected_base64.trim()
}

fn permanent(message: String) -> GraphError {
    GraphError::local(ErrorClass::Permanent(PermanentReason::Other), message)
}

async fn execute(request: reqwest::RequestBuilder) -> Result<Vec<u8>, GraphError> {
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transport_error)?;
    if status.is_success() {
        Ok(body.to_vec())
    } else {
        Err(GraphError::from_response(status.as_u16(), &body))
    }
}

fn transport_error(e: reqwest::Error) -> GraphError {
    let what = if e.is_timeout() {
        "tiempo de espera agotado con la API de WhatsApp"
    } else if e.is_connect() {
        "no se pudo conectar con la API de WhatsApp"
    } else if e.is_builder() {
        return permanent(format!("petición inválida: {e}"));
    } else {
        "error de red con la API de WhatsApp"
    };
    GraphError::local(
        ErrorClass::Retryable(RetryScope::Transient),
        format!("{what}: {e}"),
    )
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
