//! `GET /healthz`: version, uptime and the state of each brand's database.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::error::AppError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when every brand database answers.
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_secs: u64,
    pub marcas: Vec<BrandHealth>,
    /// The Postgres mirror; its lag never makes the CRM unhealthy.
    pub mirror: crate::mirror::MirrorHealth,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrandHealth {
    pub slug: String,
    /// `ok`, `archivada` or `error`.
    pub db: String,
    pub detail: Option<String>,
}

#[utoipa::path(get, path = "/healthz", tag = "sistema",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(
    State(state): State<AppState>,
) -> Result<(axum::http::StatusCode, axum::Json<Health>), AppError> {
    let mut marcas = Vec::new();
    for brand in state.registry.list(true).await? {
        let entry = if brand.archived_at.is_some() {
            BrandHealth {
                slug: brand.slug.to_string(),
                db: "archivada".into(),
                detail: None,
            }
        } else {
            match state.registry.tenant(&brand.slug).await {
                Ok(t) => match t
                    .db()
                    .read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
                    .await
                {
                    Ok(_) => BrandHealth {
                        slug: brand.slug.to_string(),
                        db: "ok".into(),
                        detail: None,
                    },
                    Err(e) => BrandHealth {
                        slug: brand.slug.to_string(),
                        db: "error".into(),
                        detail: Some(e.to_string()),
                    },
                },
                Err(e) => BrandHealth {
                    slug: brand.slug.to_string(),
                    db: "error".into(),
                    detail: Some(e.to_string()),
                },
            }
        };
        marcas.push(entry);
    }
    let healthy = marcas.iter().all(|m| m.db != "error");
    let status = if healthy {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    Ok((
        status,
        axum::Json(Health {
            status: if healthy { "ok" } else { "degraded" },
            version: env!("CARGO_PKG_VERSION"),
            uptime_secs: state.started.elapsed().as_secs(),
            marcas,
            mirror: state.mirror.snapshot(),
        }),
    ))
}
