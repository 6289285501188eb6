//! What the settings page shows about a brand's integrations: its WhatsApp number (never a
//! secret), and how far behind its S3 backup and its Postgres mirror are. The same figures
//! as `/healthz`, narrowed to this brand and the installation-wide control database.

use serde::Serialize;

use crate::app::AppState;
use crate::error::AppError;
use crate::tenants::Slug;

#[derive(Debug, Serialize)]
pub struct Integrations {
    /// The brand's `phone_number_id`, when WhatsApp is set up.
    pub whatsapp: Option<String>,
    pub backup: Option<BackupLine>,
    pub mirror: MirrorLine,
}

#[derive(Debug, Serialize)]
pub struct BackupLine {
    pub ok: bool,
    pub lag_secs: f64,
    pub last_shipped_at: Option<String>,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MirrorLine {
    /// `disabled`, `starting`, `ok`, `lagging` or `error`.
    pub status: &'static str,
    pub lag_secs: u64,
    pub last_error: Option<String>,
}

pub async fn of_brand(state: &AppState, slug: &Slug) -> Result<Integrations, AppError> {
    let key = slug.clone();
    let whatsapp = state
        .registry
        .control()
        .read(move |c| crate::whatsapp::config::number_of_brand(c, &key))
        .await?;
    let name = format!("tenants/{slug}");
    let backup = crate::health::backup_health(state).and_then(|h| {
        h.databases
            .into_iter()
            .find(|d| d.name == name)
            .map(|d| BackupLine {
                ok: !d.alert,
                lag_secs: d.lag_secs,
                last_shipped_at: d.last_shipped_at,
                last_error: d.last_error,
            })
    });
    let m = state.mirror.snapshot();
    Ok(Integrations {
        whatsapp,
        backup,
        mirror: MirrorLine {
            status: m.status,
            lag_secs: m
                .brands
                .iter()
                .find(|b| b.marca == slug.as_str())
                .map_or(m.lag_secs, |b| b.lag_secs),
            last_error: m.last_error,
        },
    })
}
