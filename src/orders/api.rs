//! JSON handlers for orders.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, Filter, NewOrder};
use super::{CHANNELS, OrderInput, OrderView, Status, StatusInput};
use crate::api::{ApiJson, ApiQuery, Cursor, Page, page};
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::customers;
use crate::error::{AppError, msg};
use crate::tenants::ids::{CustomerId, OrderId};
use crate::tenants::{Slug, TenantCtx};
use crate::time::{now_ms, parse_instant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(create_order))
        .routes(routes!(get_order, update_order_status))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    estado: Option<String>,
    canal: Option<String>,
    #[param(value_type = Option<String>)]
    cliente_id: Option<CustomerId>,
    /// Created on or after (RFC 3339 or a date in the brand's zone).
    desde: Option<String>,
    /// Created before.
    hasta: Option<String>,
    cursor: Option<String>,
    limite: Option<u32>,
}

fn bad(field: &str, es: &str, en: &str) -> AppError {
    AppError::validation(field, "invalid_parameter", msg(es, en))
}

#[utoipa::path(get, path = "/api/marcas/{id}/pedidos", tag = "pedidos",
    params(("id" = String, Path, description = "Brand slug"), ListParams),
    responses((status = 200, body = Page<OrderView>), (status = 404)), security(("bearer" = [])))]
async fn list_orders(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<Page<OrderView>>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    let brand = tenant.brand();
    let tz = brand.tz();
    let status = p
        .estado
        .as_deref()
        .map(|s| {
            Status::parse(s).ok_or_else(|| bad("estado", "Estado desconocido.", "Unknown status."))
        })
        .transpose()?;
    if p.canal.as_deref().is_some_and(|c| !CHANNELS.contains(&c)) {
        return Err(bad("canal", "Canal desconocido.", "Unknown channel."));
    }
    if p.cliente_id.as_ref().is_some_and(|c| c.slug != slug) {
        return Err(AppError::NotFound("cliente"));
    }
    let date = |field: &str, v: &Option<String>| -> Result<Option<i64>, AppError> {
        v.as_deref()
            .map(|s| {
                parse_instant(s, tz).ok_or_else(|| bad(field, "Fecha inválida.", "Invalid date."))
            })
            .transpose()
    };
    let filter = Filter {
        status,
        channel: p.canal.clone(),
        customer_id: p.cliente_id.as_ref().map(|c| c.local),
        from: date("desde", &p.desde)?,
        to: date("hasta", &p.hasta)?,
    };
    let cursor = p.cursor.as_deref().map(Cursor::decode).transpose()?;
    let limit = page::limit(p.limite)?;
    let (rows, next) = tenant
        .read(move |c| store::list(c, &filter, cursor.as_ref(), limit))
        .await?;
    Ok(axum::Json(Page {
        items: rows
            .into_iter()
            .map(|o| OrderView::new(o, &brand))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

#[utoipa::path(post, path = "/api/pedidos", tag = "pedidos", request_body = OrderInput,
    responses((status = 201, body = OrderView, description = "Created"),
        (status = 200, body = OrderView, description = "Same external_id: the existing order"),
        (status = 404), (status = 409, description = "Not enough stock"), (status = 422)),
    security(("bearer" = [])))]
async fn create_order(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<OrderInput>,
) -> Result<(StatusCode, axum::Json<OrderView>), AppError> {
    let slug = input.brand_slug()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Write).await?;
    let brand = tenant.brand();
    if !CHANNELS.contains(&input.canal.as_str()) {
        return Err(bad(
            "canal",
            "Canal desconocido: whatsapp, web, telefono o presencial.",
            "Unknown channel: whatsapp, web, telefono or presencial.",
        ));
    }
    if let Some(n) = &input.notas
        && n.chars().count() > 2000
    {
        return Err(bad(
            "notas",
            "Notas de hasta 2000 caracteres.",
            "Notes up to 2000 characters.",
        ));
    }
    if input
        .external_id
        .as_ref()
        .is_some_and(|e| e.is_empty() || e.len() > 200)
    {
        return Err(bad(
            "external_id",
            "external_id de 1 a 200 caracteres.",
            "external_id of 1 to 200 characters.",
        ));
    }
    // A product id carries its brand; another brand's id must not resolve to a local row.
    if let Some(n) = input
        .items
        .iter()
        .position(|i| i.producto_id.as_ref().is_some_and(|p| p.slug != slug))
    {
        return Err(bad(
            &format!("items[{n}].producto_id"),
            "El producto es de otra marca.",
            "The product belongs to another brand.",
        ));
    }
    let inline_customer = match (&input.cliente_id, input.cliente.clone()) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "cliente",
                "Indica `cliente_id` o `cliente`, no ambos.",
                "Give `cliente_id` or `cliente`, not both.",
            ));
        }
        (None, None) => {
            return Err(bad(
                "cliente",
                "Falta el cliente (`cliente_id` o `cliente`).",
                "The customer is missing (`cliente_id` or `cliente`).",
            ));
        }
        (None, Some(c)) => Some(c.validate(&brand)?),
        (Some(_), None) => None,
    };
    let actor = tenant.actor();
    let (key, created_at) = (slug.clone(), now_ms());
    let (order, created) = tenant
        .write(move |c| {
            if let Some(ext) = &input.external_id
                && let Some(existing) = store::find_by_external_id(c, ext)?
            {
                return Ok((existing, false));
            }
            let customer_id = match (&input.cliente_id, &inline_customer) {
                (Some(id), _) => {
                    customers::store::get(c, id.local)?
                        .ok_or(AppError::NotFound("cliente"))?
                        .id
                }
                (None, Some(fields)) => customers::find_or_create(c, &key, fields, created_at)?.id,
                (None, None) => return Err(AppError::NotFound("cliente")),
            };
            let new = NewOrder {
                customer_id,
                channel: &input.canal,
                items: &input.items,
                notes: input
                    .notas
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty()),
                external_id: input.external_id.as_deref(),
                actor: &actor,
                confirm: input.confirmar,
            };
            Ok((store::create(c, &new, created_at)?, true))
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(OrderView::new(order, &brand))))
}

#[utoipa::path(get, path = "/api/pedidos/{id}", tag = "pedidos",
    params(("id" = String, Path, description = "Order id, e.g. ped_gollos_1001")),
    responses((status = 200, body = OrderView), (status = 404)), security(("bearer" = [])))]
async fn get_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<OrderView>, AppError> {
    let id: OrderId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let order = tenant
        .read(move |c| store::get(c, local))
        .await?
        .ok_or(AppError::NotFound("pedido"))?;
    Ok(axum::Json(OrderView::new(order, &tenant.brand())))
}

#[utoipa::path(put, path = "/api/pedidos/{id}", tag = "pedidos",
    params(("id" = String, Path, description = "Order id")), request_body = StatusInput,
    responses((status = 200, body = OrderView), (status = 404),
        (status = 409, description = "Illegal move (lists `allowed`) or not enough stock"), (status = 422)),
    security(("bearer" = [])))]
async fn update_order_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StatusInput>,
) -> Result<axum::Json<OrderView>, AppError> {
    let id: OrderId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    let to = Status::parse(&input.estado)
        .ok_or_else(|| bad("estado", "Estado desconocido.", "Unknown status."))?;
    if input.nota.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(bad(
            "nota",
            "Nota de hasta 500 caracteres.",
            "Note up to 500 characters.",
        ));
    }
    let (local, actor) = (id.local, tenant.actor());
    let order = tenant
        .write(move |c| store::transition(c, local, to, &actor, input.nota.as_deref(), now_ms()))
        .await?;
    Ok(axum::Json(OrderView::new(order, &tenant.brand())))
}
