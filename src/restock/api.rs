//! Staff add and list restock requests: `/api/productos/{id}/avisos`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::api::{ApiJson, ApiQuery};
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::ids::{CustomerId, ProductId};
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, add_request))
        .routes(routes!(list_movements))
        .routes(routes!(low_stock))
        .routes(routes!(suggestions))
        .merge(super::cross_sell::router())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// Customer id, e.g. `cli_goio-store_3`.
    pub cliente_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    pub id: i64,
    pub cliente_id: String,
    pub producto_id: String,
    /// `esperando`, `listo` (stock arrived, message about to be queued), `enviado`, `cancelado`.
    pub estado: String,
    pub origen: String,
    pub creado_en: String,
    pub enviado_en: Option<String>,
}

fn view(r: super::Request, ctx: &TenantCtx) -> RequestView {
    let brand = ctx.brand();
    RequestView {
        id: r.id,
        cliente_id: CustomerId::new(&brand.slug, r.cliente_id).to_string(),
        producto_id: ProductId::new(&brand.slug, r.producto_id).to_string(),
        estado: r.estado,
        origen: r.origen,
        creado_en: brand.format_time(r.creado_en),
        enviado_en: r.enviado_en.map(|t| brand.format_time(t)),
    }
}

#[utoipa::path(get, path = "/api/productos/{id}/avisos", tag = "productos",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = Vec<RequestView>), (status = 404)), security(("bearer" = [])))]
async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<RequestView>>, AppError> {
    let id: ProductId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let rows = tenant.read(move |c| super::for_product(c, local)).await?;
    Ok(axum::Json(
        rows.into_iter().map(|r| view(r, &tenant)).collect(),
    ))
}

#[utoipa::path(post, path = "/api/productos/{id}/avisos", tag = "productos",
    params(("id" = String, Path, description = "Product id")), request_body = RequestInput,
    responses((status = 201, body = RequestView), (status = 200, description = "Already waiting"),
        (status = 404), (status = 409, description = "Product not out of stock"), (status = 422)),
    security(("bearer" = [])))]
async fn add_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RequestInput>,
) -> Result<(StatusCode, axum::Json<RequestView>), AppError> {
    let id: ProductId = id.parse()?;
    let customer: CustomerId = input.cliente_id.parse()?;
    if customer.slug != id.slug {
        return Err(AppError::NotFound("cliente"));
    }
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    let (product, customer) = (id.local, customer.local);
    let (row, fresh) = tenant
        .write(move |c| super::request(c, customer, product, "personal", now_ms()))
        .await?;
    let status = if fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(view(row, &tenant))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    pub id: i64,
    pub delta: i64,
    pub stock_resultante: i64,
    /// venta, devolucion, ajuste, ingreso.
    pub tipo: String,
    pub pedido_id: Option<String>,
    pub creado_en: String,
}

#[utoipa::path(get, path = "/api/productos/{id}/movimientos", tag = "productos",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = Vec<MovementView>), (status = 404)), security(("bearer" = [])))]
async fn list_movements(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<MovementView>>, AppError> {
    let id: ProductId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let rows = tenant
        .read(move |c| super::ledger::movements(c, local, 200))
        .await?;
    let b = tenant.brand();
    Ok(axum::Json(
        rows.into_iter()
            .map(|m| MovementView {
                id: m.id,
                delta: m.delta,
                stock_resultante: m.stock_resultante,
                tipo: m.tipo,
                pedido_id: m
                    .pedido_id
                    .map(|o| crate::tenants::ids::OrderId::new(&b.slug, o).to_string()),
                creado_en: b.format_time(m.creado_en),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LowStockView {
    pub producto_id: String,
    pub nombre: String,
    pub stock: i64,
    pub stock_minimo: i64,
}

#[utoipa::path(get, path = "/api/marcas/{id}/stock-bajo", tag = "productos",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = Vec<LowStockView>), (status = 404)), security(("bearer" = [])))]
async fn low_stock(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<LowStockView>>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    let rows = tenant.read(super::ledger::low_stock).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|(id, nombre, stock, stock_minimo)| LowStockView {
                producto_id: ProductId::new(&slug, id).to_string(),
                nombre,
                stock,
                stock_minimo,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionParams {
    /// At most this many suggestions (1-20, default 5).
    limite: Option<usize>,
    /// Minimum orders with both products (default 2).
    minimo: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionView {
    pub producto_id: String,
    pub nombre: String,
    pub pedidos_juntos: u32,
    pub soporte: f64,
    /// P(suggested | this product).
    pub confianza: f64,
    pub lift: f64,
}

#[utoipa::path(get, path = "/api/productos/{id}/sugerencias", tag = "productos",
    params(("id" = String, Path, description = "Product id"), SuggestionParams),
    responses((status = 200, body = Vec<SuggestionView>), (status = 404)), security(("bearer" = [])))]
async fn suggestions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<SuggestionParams>,
) -> Result<axum::Json<Vec<SuggestionView>>, AppError> {
    let id: ProductId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let limit = params.limite.unwrap_or(5).clamp(1, 20);
    let min = params.minimo.unwrap_or(2).max(1);
    let rows = tenant
        .read(move |c| {
            if crate::products::store::get(c, local)?.is_none() {
                return Err(AppError::NotFound("producto"));
            }
            super::suggestions::for_product(c, local, min, limit)
        })
        .await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|s| SuggestionView {
                producto_id: ProductId::new(&id.slug, s.producto_id).to_string(),
                nombre: s.nombre,
                pedidos_juntos: s.pedidos_juntos,
                soporte: s.soporte,
                confianza: s.confianza,
                lift: s.lift,
            })
            .collect(),
    ))
}
