//! Campaigns (campañas): WhatsApp template sends to an audience built from segment, tags,
//! last order, products bought and channel — always only customers with marketing consent —
//! delivered through the outbox, with per-recipient status derived from the WhatsApp status
//! tracking, results with attributed orders, opt-out by reply and automatic campaigns.
//!
//! A launch freezes the audience (`store::launch`); the background sender (`sender.rs`)
//! queues the messages in bounded batches (`batch.rs`) so no write holds the brand for long.

pub mod api;
pub mod audience;
pub mod batch;
pub mod cost;
pub mod jobs;
pub mod optout;
pub mod pages;
pub mod results;
pub mod sender;
pub mod store;
#[cfg(test)]
mod test_seed;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use audience::Audience;

/// Variables a template body may use, filled per customer.
/// Body variables a campaign may use: first name, first line of the latest order, and the
/// loyalty balance (points or stamps not expired) at the time the campaign is queued.
pub const VARIABLES: &[&str] = &["nombre", "ultimo_producto", "puntos"];

/// Automatic campaigns, keyed by the segment they target.
pub const AUTOMATIC: &[(&str, &str)] = &[
    ("auto_en_riesgo", "en_riesgo"),
    ("auto_perdido", "perdido"),
    ("auto_nuevo", "nuevo"),
];

/// Orders placed within this many days of a send count for the campaign.
pub const ATTRIBUTION_DAYS: i64 = 7;

/// What staff send to create a campaign.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub nombre: String,
    #[serde(default)]
    pub audiencia: Audience,
    /// Name of an APPROVED WhatsApp template.
    pub plantilla: String,
    /// Template language code (default `es`).
    pub idioma: Option<String>,
    /// Body variables in placeholder order: `nombre`, `ultimo_producto`.
    #[serde(default)]
    pub variables: Vec<String>,
    /// Send at this time (RFC 3339 or a local date-time in the brand's zone); `null` = draft.
    pub programada_para: Option<String>,
    /// Send right away.
    #[serde(default)]
    pub enviar_ahora: bool,
}

/// A campaign as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub nombre: String,
    pub tipo: String,
    pub audiencia: Audience,
    pub plantilla: String,
    pub idioma: String,
    pub variables: Vec<String>,
    /// borrador | programada | enviando | enviada | cancelada
    pub estado: String,
    pub programada_para: Option<i64>,
    pub lanzada_en: Option<i64>,
    pub destinatarios: i64,
    /// Recipients whose message is not in the outbox yet: the campaign sender queues them in
    /// batches after the launch (or from the scheduled time).
    pub pendientes: i64,
    pub creado_por: String,
    pub creado_en: i64,
}

/// Checks a template name, language and variables.
pub fn validate_message(
    plantilla: &str,
    idioma: &str,
    variables: &[String],
) -> Result<(), crate::error::AppError> {
    use crate::error::{AppError, msg};
    let name_ok = !plantilla.is_empty()
        && plantilla.len() <= 512
        && plantilla
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        return Err(AppError::validation(
            "plantilla",
            "invalid",
            msg(
                "Nombre de plantilla inválido (minúsculas, dígitos y _).",
                "Invalid template name (lowercase, digits and _).",
            ),
        ));
    }
    if idioma.is_empty()
        || idioma.len() > 10
        || !idioma.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
    {
        return Err(AppError::validation(
            "idioma",
            "invalid",
            msg(
                "Idioma inválido (p. ej. es, es_MX).",
                "Invalid language (e.g. es, es_MX).",
            ),
        ));
    }
    if let Some(v) = variables.iter().find(|v| !VARIABLES.contains(&v.as_str())) {
        return Err(AppError::validation(
            "variables",
            "unknown",
            msg(
                format!("Variable desconocida: {v} (use {}).", VARIABLES.join(", ")),
                format!("Unknown variable: {v} (use {}).", VARIABLES.join(", ")),
            ),
        ));
    }
    Ok(())
}

/// A send time: RFC 3339, a date, or a browser's local `YYYY-MM-DDTHH:MM` in the brand's zone.
pub fn parse_when(value: &str, tz: chrono_tz::Tz) -> Option<i64> {
    use chrono::TimeZone;
    crate::time::parse_instant(value, tz).or_else(|| {
        let local = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M").ok()?;
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.timestamp_millis())
    })
}
