//! `GET /healthz`: version, uptime, the state of each brand's database and of the backup;
//! `GET /metrics`: requests, writers, outbox, jobs, backup and mirror in Prometheus text format,
//! behind the metrics token.

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
    responses((status = 200, content_type = "text/plain", description = "Prometheus text format"),
        (status = 401, description = "Missing or wrong metrics token"),
        (status = 404, description = "No metrics token configured")),
    security(("bearer" = [])))]
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<impl axum::response::IntoResponse, AppError> {
    check_metrics_token(state.config.metrics_token.as_deref(), &headers)?;
    let body = crate::metrics::render_requests()
        + &crate::metrics::render_gauges(&state.registry).await
        + &state
            .backups
            .as_ref()
            .map(|b| crate::backup::prometheus_text(&b.statuses()))
            .unwrap_or_default()
        + &state.mirror.prometheus();
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    ))
}

/// `/metrics` answers only with `Authorization: Bearer <metrics_token>`; with no token
/// configured it does not exist, so an install never exposes its figures by accident.
fn check_metrics_token(
    expected: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> Result<(), AppError> {
    use subtle::ConstantTimeEq;
    let expected = expected
        .filter(|t| !t.is_empty())
        .ok_or(AppError::NotFound("ruta"))?;
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::Unauthenticated)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrandHealth {
    pub slug: String,
    /// `ok`, `archivada` or `error`. An open brand is `ok` when its database answers a
    /// query; one not opened yet when its file is a readable SQLite database; one whose last
    /// open failed is `error` with the reason in `detail`.
    pub db: String,
    pub detail: Option<String>,
    /// Whether this process has the brand's database open. Brands open on first use and in
    /// the background after a start; a health check never opens them, so it stays cheap
    /// however many brands there are.
    pub abierta: bool,
}

/// How many open brands a health check queries at once.
const PROBE_CONCURRENCY: usize = 8;

async fn brand_health(state: &AppState, brand: crate::tenants::Brand) -> BrandHealth {
    use crate::tenants::BrandState;
    let slug = brand.slug.to_string();
    let (abierta, result) = match state.registry.state(&brand.slug) {
        BrandState::Open(tenant) => {
            let probe = tenant
                .db()
                .read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
                .await;
            (true, probe.map(|_| ()).map_err(|e| e.to_string()))
        }
        BrandState::Failed(e) => (false, Err(e)),
        BrandState::NotOpened if brand.archived_at.is_some() => (false, Ok(())),
        BrandState::NotOpened => (
            false,
            looks_like_sqlite(&state.registry.tenant_path(&brand.slug)),
        ),
    };
    let (db, detail) = match result {
        Err(e) => ("error", Some(e)),
        Ok(()) if brand.archived_at.is_some() => ("archivada", None),
        Ok(()) => ("ok", None),
    };
    BrandHealth {
        slug,
        db: db.into(),
        detail,
        abierta,
    }
}

/// Whether `path` starts with the SQLite header: one small read, no connection, no lock, so
/// checking a brand that is not open leaves no trace.
fn looks_like_sqlite(path: &std::path::Path) -> Result<(), String> {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| {
            format!(
                "no se puede leer / cannot read {}: {e}",
                path.file_name().unwrap_or_default().to_string_lossy()
            )
        })?;
    if &header == b"SQLite format 3\0" {
        Ok(())
    } else {
        Err(format!(
            "no es una base SQLite / not a SQLite database: {}",
            path.file_name().unwrap_or_default().to_string_lossy()
        ))
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
    // Open brands are queried a few at a time; brands not opened yet are only looked at.
    let marcas: Vec<BrandHealth> = futures_util::stream::iter(state.registry.list(true).await?)
        .map(|brand| brand_health(&state, brand))
        .buffered(PROBE_CONCURRENCY)
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

#[cfg(test)]
mod tests {
    use super::looks_like_sqlite;

    #[test]
    fn a_brand_file_not_opened_is_checked_by_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert_eq!(looks_like_sqlite(&db), Ok(()));
        let missing = looks_like_sqlite(&dir.path().join("b.db")).unwrap_err();
        assert!(missing.contains("cannot read b.db"), "{missing}");
        let text = dir.path().join("c.db");
        std::fs::write(&text, "not a database, just some text").unwrap();
        let wrong = looks_like_sqlite(&text).unwrap_err();
        assert!(wrong.contains("not a SQLite database"), "{wrong}");
    }
}
