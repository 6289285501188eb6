//! JSON handlers for interactions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, Filter};
use super::{InteractionInput, InteractionView};
use crate::api::{ApiJson, ApiQuery, Cursor, Page, page};
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::TenantCtx;
use crate::tenants::ids::CustomerId;
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_interaction))
        .routes(routes!(list_customer_interactions))
}

#[utoipa::path(post, path = "/api/interacciones", tag = "interacciones", request_body = InteractionInput,
    responses((status = 201, body = InteractionView), (status = 200, body = InteractionView, description = "Same external_id: already stored"),
        (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_interaction(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<InteractionInput>,
) -> Result<(StatusCode, axum::Json<InteractionView>), AppError> {
    let slug = input.cliente_id.slug.clone();
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Write).await?;
    let brand = tenant.brand();
    let new = input.validate(&brand, now_ms())?;
    let (interaction, created) = tenant.write(move |c| store::insert(c, &new)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(InteractionView::new(interaction, &brand)),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Search in the message bodies (case-insensitive substring; bodies are sealed at rest,
    /// so this opens the customer's messages instead of using an index).
    q: Option<String>,
    canal: Option<String>,
    tipo: Option<String>,
    cursor: Option<String>,
    limite: Option<u32>,
}

#[utoipa::path(get, path = "/api/clientes/{id}/interacciones", tag = "interacciones",
    params(("id" = String, Path, description = "Customer id"), ListParams),
    responses((status = 200, body = Page<InteractionView>), (status = 404)), security(("bearer" = [])))]
async fn list_customer_interactions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<Page<InteractionView>>, AppError> {
    let id: CustomerId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let brand = tenant.brand();
    let local = id.local;
    let filter = Filter {
        customer_id: Some(local),
        search: p.q,
        channel: p.canal,
        kind: p.tipo,
        from: None,
        to: None,
    };
    let cursor = p.cursor.as_deref().map(Cursor::decode).transpose()?;
    let limit = page::limit(p.limite)?;
    let (rows, next) = tenant
        .read(move |c| {
            if crate::customers::store::get(c, local)?.is_none() {
                return Err(AppError::NotFound("cliente"));
            }
            store::list(c, &filter, cursor.as_ref(), limit)
        })
        .await?;
    Ok(axum::Json(Page {
        items: rows
            .into_iter()
            .map(|i| InteractionView::new(i, &brand))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}
