//! JSON handlers for products.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, Filter};
use super::{ProductInput, ProductPatch, ProductView};
use crate::api::{ApiJson, ApiQuery, Cursor, Page, page};
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::ids::ProductId;
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    categoria: Option<String>,
    activo: Option<bool>,
    /// Substring of name or SKU.
    q: Option<String>,
    cursor: Option<String>,
    limite: Option<u32>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/productos", tag = "productos",
    params(("id" = String, Path, description = "Brand slug"), ListParams),
    responses((status = 200, body = Page<ProductView>), (status = 404)), security(("bearer" = [])))]
async fn list_products(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<axum::Json<Page<ProductView>>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    let brand = tenant.brand();
    let filter = Filter {
        category: params.categoria,
        active: params.activo,
        search: params.q,
    };
    let cursor = params.cursor.as_deref().map(Cursor::decode).transpose()?;
    let limit = page::limit(params.limite)?;
    let (rows, next) = tenant
        .read(move |c| store::list(c, &filter, cursor.as_ref(), limit))
        .await?;
    Ok(axum::Json(Page {
        items: rows
            .into_iter()
            .map(|p| ProductView::new(p, &brand))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

#[utoipa::path(post, path = "/api/marcas/{id}/productos", tag = "productos",
    params(("id" = String, Path, description = "Brand slug")), request_body = ProductInput,
    responses((status = 201, body = ProductView), (status = 409, description = "SKU taken"), (status = 422)),
    security(("bearer" = [])))]
async fn create_product(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<(StatusCode, axum::Json<ProductView>), AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Write).await?;
    let input = input.validate()?;
    let key = slug.clone();
    let created = tenant
        .write(move |c| store::insert(c, &key, &input, now_ms()))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ProductView::new(created, &tenant.brand())),
    ))
}

#[utoipa::path(get, path = "/api/productos/{id}", tag = "productos",
    params(("id" = String, Path, description = "Product id, e.g. pro_gollos_3")),
    responses((status = 200, body = ProductView), (status = 404)), security(("bearer" = [])))]
async fn get_product(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ProductView>, AppError> {
    let id: ProductId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let product = tenant
        .read(move |c| store::get(c, local))
        .await?
        .ok_or(AppError::NotFound("producto"))?;
    Ok(axum::Json(ProductView::new(product, &tenant.brand())))
}

#[utoipa::path(put, path = "/api/productos/{id}", tag = "productos",
    params(("id" = String, Path, description = "Product id")), request_body = ProductPatch,
    responses((status = 200, body = ProductView), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_product(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ProductPatch>,
) -> Result<axum::Json<ProductView>, AppError> {
    let id: ProductId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    let (local, slug) = (id.local, id.slug.clone());
    let updated = tenant
        .write(move |c| {
            let current = store::get(c, local)?.ok_or(AppError::NotFound("producto"))?;
            let input = patch.apply(&current)?;
            store::update(c, &slug, local, &input, now_ms())
        })
        .await?;
    Ok(axum::Json(ProductView::new(updated, &tenant.brand())))
}
