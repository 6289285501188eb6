//! JSON handlers for customers: thin — parse, open the brand, call the store, render.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, Filter, SortBy};
use super::{CustomerInput, CustomerPatch, CustomerView, SEGMENTS};
use crate::api::{ApiJson, ApiQuery, Cursor, Page, page};
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::ids::CustomerId;
use crate::tenants::{Slug, TenantCtx};
use crate::time::{now_ms, parse_instant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer, delete_customer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Search in name, phone, e-mail and notes (prefix match, accents ignored).
    q: Option<String>,
    segmento: Option<String>,
    etiqueta: Option<String>,
    canal: Option<String>,
    consentimiento: Option<bool>,
    /// Created on or after (RFC 3339, or a date in the brand's time zone).
    desde: Option<String>,
    /// Created before (RFC 3339, or a date in the brand's time zone).
    hasta: Option<String>,
    /// `-creado_en` (default), `creado_en`, `nombre`, `-total_gastado`.
    orden: Option<String>,
    cursor: Option<String>,
    limite: Option<u32>,
}

fn bad_param(field: &str, es: &str, en: &str) -> AppError {
    AppError::validation(field, "invalid_parameter", msg(es, en))
}

#[utoipa::path(get, path = "/api/marcas/{id}/clientes", tag = "clientes",
    params(("id" = String, Path, description = "Brand slug"), ListParams),
    responses((status = 200, body = Page<CustomerView>), (status = 404, description = "Unknown brand")),
    security(("bearer" = [])))]
async fn list_customers(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<axum::Json<Page<CustomerView>>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    let brand = tenant.brand();
    let tz = brand.tz();
    let sort = match params.orden.as_deref() {
        None => SortBy::default(),
        Some(s) => SortBy::parse(s)
            .ok_or_else(|| bad_param("orden", "Orden desconocido.", "Unknown sort order."))?,
    };
    if let Some(s) = &params.segmento
        && !SEGMENTS.contains(&s.as_str())
    {
        return Err(bad_param(
            "segmento",
            "Segmento desconocido.",
            "Unknown segment.",
        ));
    }
    let parse_date = |field: &str, v: &Option<String>| -> Result<Option<i64>, AppError> {
        v.as_deref()
            .map(|s| {
                parse_instant(s, tz)
                    .ok_or_else(|| bad_param(field, "Fecha inválida.", "Invalid date."))
            })
            .transpose()
    };
    let filter = Filter {
        search: params.q.clone(),
        country: brand.country(),
        segment: params.segmento.clone(),
        tag: params.etiqueta.clone(),
        channel: params.canal.clone(),
        consent: params.consentimiento,
        created_from: parse_date("desde", &params.desde)?,
        created_to: parse_date("hasta", &params.hasta)?,
    };
    let cursor = params.cursor.as_deref().map(Cursor::decode).transpose()?;
    let limit = page::limit(params.limite)?;
    let (rows, next) = tenant
        .read(move |c| store::list(c, &filter, sort, cursor.as_ref(), limit))
        .await?;
    Ok(axum::Json(Page {
        items: rows
            .into_iter()
            .map(|c| CustomerView::new(c, &brand))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

#[utoipa::path(post, path = "/api/marcas/{id}/clientes", tag = "clientes",
    params(("id" = String, Path, description = "Brand slug")),
    request_body = CustomerInput,
    responses((status = 201, body = CustomerView), (status = 409, description = "Phone or e-mail already used"),
        (status = 422, description = "Invalid fields")),
    security(("bearer" = [])))]
async fn create_customer(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> Result<(StatusCode, axum::Json<CustomerView>), AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Write).await?;
    let brand = tenant.brand();
    let fields = input.validate(&brand)?;
    let key = slug.clone();
    let created = tenant
        .write(move |c| store::insert(c, &key, &fields, now_ms()))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CustomerView::new(created, &brand)),
    ))
}

/// Parses a customer id from the path; a malformed id is simply not found.
fn customer_id(raw: &str) -> Result<CustomerId, AppError> {
    raw.parse()
}

#[utoipa::path(get, path = "/api/clientes/{id}", tag = "clientes",
    params(("id" = String, Path, description = "Customer id, e.g. cli_gollos_42")),
    responses((status = 200, body = CustomerView), (status = 404, description = "Not found")),
    security(("bearer" = [])))]
async fn get_customer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<CustomerView>, AppError> {
    let id = customer_id(&id)?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let customer = tenant
        .read(move |c| store::get(c, local))
        .await?
        .ok_or(AppError::NotFound("cliente"))?;
    Ok(axum::Json(CustomerView::new(customer, &tenant.brand())))
}

#[utoipa::path(put, path = "/api/clientes/{id}", tag = "clientes",
    params(("id" = String, Path, description = "Customer id")),
    request_body = CustomerPatch,
    responses((status = 200, body = CustomerView), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_customer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CustomerPatch>,
) -> Result<axum::Json<CustomerView>, AppError> {
    let id = customer_id(&id)?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    let brand = tenant.brand();
    let (local, slug, rules) = (id.local, id.slug.clone(), brand.clone());
    let updated = tenant
        .write(move |c| {
            let current = store::get(c, local)?.ok_or(AppError::NotFound("cliente"))?;
            let fields = patch.apply(&current, &rules)?;
            store::update(c, &slug, local, &fields, now_ms())
        })
        .await?;
    Ok(axum::Json(CustomerView::new(updated, &brand)))
}

#[utoipa::path(delete, path = "/api/clientes/{id}", tag = "clientes",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 204, description = "Deleted"), (status = 404), (status = 409, description = "Has orders")),
    security(("bearer" = [])))]
async fn delete_customer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = customer_id(&id)?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    let local = id.local;
    tenant.write(move |c| store::delete(c, local)).await?;
    Ok(StatusCode::NO_CONTENT)
}
