//! Admin endpoints for jobs: list schedules with their last and next run, and run one now.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{catalog, next_due, run_now, store};
use crate::api::ApiQuery;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::Slug;
use crate::time::{format_in, now_ms};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(run_job))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub nombre: String,
    pub descripcion: String,
    pub cron: String,
    /// Empty for install-wide jobs.
    pub marca: String,
    pub ultima_ejecucion_en: Option<String>,
    pub resultado: Option<String>,
    pub detalle: Option<String>,
    pub proxima_en: Option<String>,
}

#[utoipa::path(get, path = "/api/jobs", tag = "sistema",
    responses((status = 200, body = Vec<JobView>), (status = 403)), security(("bearer" = [])))]
async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<JobView>>, AppError> {
    if !caller.allows(Access::Admin) {
        return Err(AppError::Forbidden);
    }
    let states = state.registry.control().read(store::list).await?;
    let brands = state.registry.list(false).await?;
    let mut views = Vec::new();
    for spec in catalog() {
        let schedule = spec.schedule()?;
        let scopes: Vec<(String, chrono_tz::Tz)> = if spec.per_brand {
            brands
                .iter()
                .filter(|b| caller.may_see(&b.slug))
                .map(|b| (b.slug.to_string(), b.tz()))
                .collect()
        } else if caller.is_install_wide() {
            vec![(String::new(), chrono_tz::UTC)]
        } else {
            vec![]
        };
        for (brand, tz) in scopes {
            let stored = states
                .iter()
                .find(|s| s.nombre == spec.name && s.marca == brand);
            views.push(JobView {
                nombre: spec.name.into(),
                descripcion: spec.description.into(),
                cron: spec.cron.into(),
                marca: brand,
                ultima_ejecucion_en: stored
                    .and_then(|s| s.ultima_ejecucion_en)
                    .map(|t| format_in(t, tz)),
                resultado: stored.and_then(|s| s.resultado.clone()),
                detalle: stored.and_then(|s| s.detalle.clone()),
                proxima_en: next_due(&schedule, tz, now_ms()).map(|t| format_in(t, tz)),
            });
        }
    }
    Ok(axum::Json(views))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunParams {
    /// Brand for per-brand jobs; all brands the caller sees when absent.
    marca: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunResult {
    pub marca: String,
    pub resultado: String,
    pub detalle: String,
}

#[utoipa::path(post, path = "/api/jobs/{nombre}/run", tag = "sistema",
    params(("nombre" = String, Path, description = "Job name"), RunParams),
    responses((status = 200, body = Vec<RunResult>), (status = 400), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn run_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiQuery(params): ApiQuery<RunParams>,
) -> Result<axum::Json<Vec<RunResult>>, AppError> {
    if !caller.allows(Access::Admin) {
        return Err(AppError::Forbidden);
    }
    let brand = params
        .marca
        .as_deref()
        .map(Slug::parse)
        .transpose()
        .map_err(|_| AppError::NotFound("marca"))?;
    match &brand {
        Some(b) if !caller.may_see(b) => return Err(AppError::NotFound("marca")),
        None if !caller.is_install_wide() => return Err(AppError::Forbidden),
        _ => {}
    }
    let results = run_now(
        &state.registry,
        &catalog(),
        &name,
        brand.as_ref(),
        &std::sync::Arc::new(state.config.notify.clone()),
    )
    .await?;
    Ok(axum::Json(
        results
            .into_iter()
            .map(|(marca, r)| match r {
                Ok(d) => RunResult {
                    marca,
                    resultado: "ok".into(),
                    detalle: d,
                },
                Err(e) => RunResult {
                    marca,
                    resultado: "error".into(),
                    detalle: e.to_string(),
                },
            })
            .collect(),
    ))
}
