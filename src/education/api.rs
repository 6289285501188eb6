//! Education series endpoints: create a series with its steps, list, read one with each
//! customer's progress, enrol a customer, and an admin "process as of" run of the job.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, NewStep};
use super::{Outcome, Series, SeriesSummary, job};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::ids::CustomerId;
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_series, list_series))
        .routes(routes!(get_series))
        .routes(routes!(enroll))
        .routes(routes!(process_series))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// Days after the previous step (after enrolment for the first), 0-365.
    pub dias: i64,
    /// Approved WhatsApp template used outside the 24-hour window.
    pub plantilla: Option<String>,
    /// Template language, default `es`.
    pub idioma: Option<String>,
    pub texto: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesInput {
    pub nombre: String,
    #[serde(default)]
    pub descripcion: String,
    /// Enrol every customer with marketing consent automatically.
    #[serde(default)]
    pub auto_inscribir: bool,
    pub pasos: Vec<StepInput>,
}

/// Reads one series, or 404.
pub fn load(c: &rusqlite::Connection, slug: &Slug, id: i64) -> Result<Series, AppError> {
    store::get(c, slug, id)?.ok_or(AppError::NotFound("serie"))
}

#[utoipa::path(post, path = "/api/marcas/{id}/series", tag = "series",
    params(("id" = String, Path, description = "Brand slug")), request_body = SeriesInput,
    responses((status = 201, body = Series), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn create_series(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<SeriesInput>,
) -> Result<(StatusCode, axum::Json<Series>), AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let slug = t.slug().clone();
    let series = t
        .write(move |c| {
            let now = now_ms();
            let id = store::create(
                c,
                &input.nombre,
                &input.descripcion,
                input.auto_inscribir,
                now,
            )?;
            for s in input.pasos {
                store::add_step(
                    c,
                    id,
                    &NewStep {
                        dias: s.dias,
                        plantilla: s.plantilla,
                        idioma: s.idioma,
                        texto: s.texto,
                    },
                    now,
                )?;
            }
            load(c, &slug, id)
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(series)))
}

#[utoipa::path(get, path = "/api/marcas/{id}/series", tag = "series",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = [SeriesSummary]), (status = 404)), security(("bearer" = [])))]
async fn list_series(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<SeriesSummary>>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(t.read(store::list).await?))
}

#[utoipa::path(get, path = "/api/marcas/{id}/series/{serie}", tag = "series",
    params(("id" = String, Path, description = "Brand slug"), ("serie" = i64, Path)),
    responses((status = 200, body = Series), (status = 404)), security(("bearer" = [])))]
async fn get_series(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<axum::Json<Series>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let slug = t.slug().clone();
    Ok(axum::Json(t.read(move |c| load(c, &slug, id)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollInput {
    #[schema(value_type = String, example = "cli_eco_7")]
    pub cliente_id: CustomerId,
}

#[utoipa::path(post, path = "/api/marcas/{id}/series/{serie}/inscripciones", tag = "series",
    params(("id" = String, Path, description = "Brand slug"), ("serie" = i64, Path)),
    request_body = EnrollInput,
    responses((status = 201, body = Series), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn enroll(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    ApiJson(input): ApiJson<EnrollInput>,
) -> Result<(StatusCode, axum::Json<Series>), AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    if &input.cliente_id.slug != t.slug() {
        return Err(AppError::NotFound("cliente"));
    }
    let slug = t.slug().clone();
    let series = t
        .write(move |c| {
            store::enroll(c, id, input.cliente_id.local, "api", now_ms())?;
            load(c, &slug, id)
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(series)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessInput {
    /// Process as of this instant (RFC 3339); default now. For catch-up checks and tests.
    pub ahora: Option<String>,
}

#[utoipa::path(post, path = "/api/marcas/{id}/series/procesar", tag = "series",
    params(("id" = String, Path)), request_body = ProcessInput,
    responses((status = 200, body = Outcome), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn process_series(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<ProcessInput>,
) -> Result<axum::Json<Outcome>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Admin).await?;
    let tz = t.brand().tz();
    let now = match input.ahora.as_deref() {
        None => now_ms(),
        Some(s) => crate::time::parse_instant(s, tz).ok_or_else(|| {
            AppError::validation("ahora", "invalid", msg("Fecha inválida.", "Invalid date."))
        })?,
    };
    Ok(axum::Json(t.write(move |c| job::run_due(c, now)).await?))
}
