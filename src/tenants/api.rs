//! JSON handlers for brands (`/api/marcas`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Brand, BrandInput, BrandPatch, Slug};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_brands, create_brand))
        .routes(routes!(get_brand, update_brand))
}

/// A slug in a path that is not valid cannot name a brand: not found, no file touched.
fn path_slug(raw: &str) -> Result<Slug, AppError> {
    Slug::parse(raw).map_err(|_| AppError::NotFound("marca"))
}

#[utoipa::path(get, path = "/api/marcas", tag = "marcas",
    responses((status = 200, body = Vec<Brand>)), security(("bearer" = [])))]
async fn list_brands(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<Brand>>, AppError> {
    let brands = state.registry.list(false).await?;
    Ok(axum::Json(
        brands
            .into_iter()
            .filter(|b| caller.may_see(&b.slug))
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/marcas", tag = "marcas", request_body = BrandInput,
    responses((status = 201, body = Brand), (status = 403, description = "Needs an install-wide admin token"),
        (status = 409, description = "Slug taken"), (status = 422)),
    security(("bearer" = [])))]
async fn create_brand(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<BrandInput>,
) -> Result<(StatusCode, axum::Json<Brand>), AppError> {
    if !(caller.is_install_wide() && caller.allows(Access::Admin)) {
        return Err(AppError::Forbidden);
    }
    let brand = state.registry.create(input).await?;
    Ok((StatusCode::CREATED, axum::Json(brand)))
}

#[utoipa::path(get, path = "/api/marcas/{id}", tag = "marcas",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = Brand), (status = 404)), security(("bearer" = [])))]
async fn get_brand(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Brand>, AppError> {
    let slug = path_slug(&slug)?;
    if !caller.may_see(&slug) {
        return Err(AppError::NotFound("marca"));
    }
    Ok(axum::Json(state.registry.get(&slug).await?))
}

#[utoipa::path(put, path = "/api/marcas/{id}", tag = "marcas",
    params(("id" = String, Path, description = "Brand slug")), request_body = BrandPatch,
    responses((status = 200, body = Brand), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn update_brand(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(patch): ApiJson<BrandPatch>,
) -> Result<axum::Json<Brand>, AppError> {
    let slug = path_slug(&slug)?;
    if !caller.may_see(&slug) {
        return Err(AppError::NotFound("marca"));
    }
    if !caller.allows(Access::Admin) {
        return Err(AppError::Forbidden);
    }
    Ok(axum::Json(state.registry.update(&slug, patch).await?))
}
