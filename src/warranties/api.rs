//! Warranties and support tickets over JSON.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::tickets::{self, Ticket, TicketInput, TicketPatch};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::ids::{CustomerId, OrderId};
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_warranties))
        .routes(routes!(run_reminders))
        .routes(routes!(list_tickets, create_ticket))
        .routes(routes!(update_ticket))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarrantyView {
    pub id: i64,
    pub pedido_id: String,
    pub nombre: String,
    pub meses: i64,
    pub inicio_en: String,
    pub vence_en: String,
    pub recordado_en: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    pub cliente_id: String,
    pub pedido_id: Option<String>,
    pub garantia_id: Option<i64>,
    pub asunto: String,
    pub detalle: String,
    pub estado: String,
    pub prioridad: String,
    pub origen: String,
    pub creado_en: String,
    pub actualizado_en: String,
}

fn ticket_view(t: Ticket, ctx: &TenantCtx) -> TicketView {
    let b = ctx.brand();
    TicketView {
        id: t.id,
        cliente_id: CustomerId::new(&b.slug, t.cliente_id).to_string(),
        pedido_id: t.pedido_id.map(|o| OrderId::new(&b.slug, o).to_string()),
        garantia_id: t.garantia_id,
        asunto: t.asunto,
        detalle: t.detalle,
        estado: t.estado,
        prioridad: t.prioridad,
        origen: t.origen,
        creado_en: b.format_time(t.creado_en),
        actualizado_en: b.format_time(t.actualizado_en),
    }
}

#[utoipa::path(get, path = "/api/clientes/{id}/garantias", tag = "clientes",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, body = Vec<WarrantyView>), (status = 404)), security(("bearer" = [])))]
async fn list_warranties(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<WarrantyView>>, AppError> {
    let id: CustomerId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let rows = tenant.read(move |c| super::for_customer(c, local)).await?;
    let b = tenant.brand();
    Ok(axum::Json(
        rows.into_iter()
            .map(|w| WarrantyView {
                id: w.id,
                pedido_id: OrderId::new(&b.slug, w.pedido_id).to_string(),
                nombre: w.nombre,
                meses: w.meses,
                inicio_en: b.format_time(w.inicio_en),
                vence_en: b.format_time(w.vence_en),
                recordado_en: w.recordado_en.map(|t| b.format_time(t)),
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemindInput {
    /// The instant to run as (RFC 3339); now when absent. Lets staff preview and tests run
    /// the reminder "on a given day".
    pub ahora: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RemindResult {
    pub enviados: usize,
    pub sin_enviar: usize,
}

#[utoipa::path(post, path = "/api/marcas/{id}/garantias/recordatorios", tag = "clientes",
    params(("id" = String, Path, description = "Brand slug")), request_body = RemindInput,
    responses((status = 200, body = RemindResult), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn run_reminders(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<RemindInput>,
) -> Result<axum::Json<RemindResult>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Admin).await?;
    let brand = tenant.brand();
    let as_of = match input.ahora.as_deref() {
        Some(s) => crate::time::parse_instant(s, brand.tz()).ok_or_else(|| {
            AppError::validation(
                "ahora",
                "format",
                crate::error::msg("Fecha no válida (RFC 3339).", "Invalid instant (RFC 3339)."),
            )
        })?,
        None => now_ms(),
    };
    let (enviados, sin_enviar) = tenant
        .write(move |c| super::remind(c, &brand, as_of, now_ms()))
        .await?;
    Ok(axum::Json(RemindResult {
        enviados,
        sin_enviar,
    }))
}

#[utoipa::path(get, path = "/api/clientes/{id}/tickets", tag = "clientes",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, body = Vec<TicketView>), (status = 404)), security(("bearer" = [])))]
async fn list_tickets(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<TicketView>>, AppError> {
    let id: CustomerId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let rows = tenant
        .read(move |c| tickets::for_customer(c, local))
        .await?;
    Ok(axum::Json(
        rows.into_iter().map(|t| ticket_view(t, &tenant)).collect(),
    ))
}

#[utoipa::path(post, path = "/api/clientes/{id}/tickets", tag = "clientes",
    params(("id" = String, Path, description = "Customer id")), request_body = TicketInput,
    responses((status = 201, body = TicketView), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn create_ticket(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TicketInput>,
) -> Result<(StatusCode, axum::Json<TicketView>), AppError> {
    let id: CustomerId = id.parse()?;
    let order = match input.pedido_id.as_deref() {
        Some(o) => {
            let o: OrderId = o.parse()?;
            if o.slug != id.slug {
                return Err(AppError::NotFound("pedido"));
            }
            Some(o.local)
        }
        None => None,
    };
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    let local = id.local;
    let t = tenant
        .write(move |c| tickets::create(c, local, &input, order, "personal", now_ms()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(ticket_view(t, &tenant))))
}

#[utoipa::path(put, path = "/api/clientes/{id}/tickets/{ticket}", tag = "clientes",
    params(("id" = String, Path, description = "Customer id"), ("ticket" = i64, Path, description = "Ticket number")),
    request_body = TicketPatch,
    responses((status = 200, body = TicketView), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_ticket(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, ticket)): Path<(String, i64)>,
    ApiJson(patch): ApiJson<TicketPatch>,
) -> Result<axum::Json<TicketView>, AppError> {
    let id: CustomerId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    let local = id.local;
    let t = tenant
        .write(move |c| tickets::update(c, local, ticket, &patch, now_ms()))
        .await?;
    Ok(axum::Json(ticket_view(t, &tenant)))
}
