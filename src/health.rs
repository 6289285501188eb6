//! `GET /healthz`: version, uptime, the state of each brand's database and of the backup;
//! `GET /metrics`: the backup gauges in Prometheus text format.

use axum::extract::State;
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::error::AppError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when every brand database answers.
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_secs: u64,
    pub marcas: Vec<BrandHealth>,
    /// Present when S3 backup is configured.
    pub backup: Option<BackupHealth>,
    /// The Postgres mirror; its lag never makes the CRM unhealthy.
    pub mirror: crate::mirror::MirrorHealth,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupHealth {
    /// `ok`, or `degraded` when a database lags more than `alert_after_secs` behind, dropped
    /// its upload queue, or has no replica running.
    pub status: &'static str,
    pub alert_after_secs: u64,
    pub databases: Vec<DatabaseBackup>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseBackup {
    /// `control` or `tenants/<slug>`.
    pub name: String,
    pub last_shipped_txid: u64,
    /// RFC 3339 UTC.
    pub last_shipped_at: Option<String>,
    /// Age of the oldest change not yet in S3.
    pub lag_secs: f64,
    pub last_error: Option<String>,
    pub spool_bytes: u64,
    pub spool_overflow: bool,
    pub alert: bool,
}

pub fn backup_health(state: &AppState) -> Option<BackupHealth> {
    let b = state.backups.as_ref()?;
    let alert_after = b.lag_alert();
    let databases: Vec<DatabaseBackup> = b
        .statuses()
        .into_iter()
        .map(|s| DatabaseBackup {
            alert: s.lag_seconds > alert_after.as_secs_f64()
                || s.spool_overflow
                || s.remote_path.is_empty(),
            name: s.name,
            last_shipped_txid: s.last_shipped_txid,
            last_shipped_at: s.last_shipped_at.map(|t| t.to_rfc3339()),
            lag_secs: (s.lag_seconds * 10.0).round() / 10.0,
            last_error: s.last_error,
            spool_bytes: s.spool_bytes,
            spool_overflow: s.spool_overflow,
        })
        .collect();
    let degraded = databases.iter().any(|d| d.alert);
    Some(BackupHealth {
        status: if degraded { "degraded" } else { "ok" },
        alert_after_secs: alert_after.as_secs(),
        databases,
    })
}

#[utoipa::path(get, path = "/metrics", tag = "sistema",
    responses((status = 200, content_type = "text/plain", description = "Prometheus text format")))]
async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let body = state
        .backups
        .as_ref()
        .map(|b| crate::backup::prometheus_text(&b.statuses()))
        .unwrap_or_default()
        + &state.mirror.prometheus();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrandHealth {
    pub slug: String,
    /// `ok`, `archivada` or `error`.
    pub db: String,
    pub detail: Option<String>,
}

/// How many brands a health check opens at once.
const OPEN_CONCURRENCY: usize = 8;

async fn brand_health(state: &AppState, brand: crate::tenants::Brand) -> BrandHealth {
    let slug = brand.slug.to_string();
    if brand.archived_at.is_some() {
        return BrandHealth {
            slug,
            db: "archivada".into(),
            detail: None,
        };
    }
    let probe = async {
        state
            .registry
            .tenant(&brand.slug)
            .await?
            .db()
            .read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await
    };
    match probe.await {
        Ok(_) => BrandHealth {
            slug,
            db: "ok".into(),
            detail: None,
        },
        Err(e) => BrandHealth {
            slug,
            db: "error".into(),
            detail: Some(e.to_string()),
        },
    }
}

#[utoipa::path(get, path = "/healthz", tag = "sistema",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(
    State(state): State<AppState>,
) -> Result<
    (
        axum::http::StatusCode,
        axum::Extension<crate::error::KeepBody>,
        axum::Json<Health>,
    ),
    AppError,
> {
    // Brands are checked a few at a time: a first health check after a cold start opens
    // every database, and on a 2-core box that goes faster overlapped than in a row.
    let marcas: Vec<BrandHealth> = futures_util::stream::iter(state.registry.list(true).await?)
        .map(|brand| brand_health(&state, brand))
        .buffered(OPEN_CONCURRENCY)
        .collect()
        .await;
    let backup = backup_health(&state);
    let healthy =
        marcas.iter().all(|m| m.db != "error") && backup.as_ref().is_none_or(|b| b.status == "ok");
    let status = if healthy {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    Ok((
        status,
        axum::Extension(crate::error::KeepBody),
        axum::Json(Health {
            status: if healthy { "ok" } else { "degraded" },
            version: env!("CARGO_PKG_VERSION"),
            uptime_secs: state.started.elapsed().as_secs(),
            marcas,
            backup,
            mirror: state.mirror.snapshot(),
        }),
    ))
}
