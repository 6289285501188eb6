//! JSON handlers: the brand's program and rewards, a customer's balance and ledger, and
//! redeeming a reward (optionally on an open order, as a discount line).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Movement, Program, Reward, RewardInput, store};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::TenantCtx;
use crate::tenants::ids::{CustomerId, OrderId};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_program, put_program))
        .routes(routes!(list_rewards, create_reward))
        .routes(routes!(customer_points))
        .routes(routes!(redeem))
}

#[utoipa::path(get, path = "/api/marcas/{id}/fidelidad", tag = "fidelidad",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = Program), (status = 404, description = "No program or unknown brand")),
    security(("bearer" = [])))]
async fn get_program(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Program>, AppError> {
    let tenant = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let p = tenant.read(store::program).await?;
    Ok(axum::Json(p.ok_or(AppError::NotFound("programa"))?))
}

#[utoipa::path(put, path = "/api/marcas/{id}/fidelidad", tag = "fidelidad",
    params(("id" = String, Path, description = "Brand slug")), request_body = Program,
    responses((status = 200, body = Program), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn put_program(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<Program>,
) -> Result<axum::Json<Program>, AppError> {
    let tenant = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    input.validate()?;
    let saved = input.clone();
    tenant
        .write(move |c| store::set_program(c, &saved, now_ms()))
        .await?;
    Ok(axum::Json(input))
}

#[utoipa::path(get, path = "/api/marcas/{id}/fidelidad/recompensas", tag = "fidelidad",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = Vec<Reward>), (status = 404)), security(("bearer" = [])))]
async fn list_rewards(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<Reward>>, AppError> {
    let tenant = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(tenant.read(store::rewards).await?))
}

#[utoipa::path(post, path = "/api/marcas/{id}/fidelidad/recompensas", tag = "fidelidad",
    params(("id" = String, Path, description = "Brand slug")), request_body = RewardInput,
    responses((status = 201, body = Reward), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_reward(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<RewardInput>,
) -> Result<(StatusCode, axum::Json<Reward>), AppError> {
    let tenant = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let r = tenant
        .write(move |c| store::create_reward(c, &input, now_ms()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(r)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PointsView {
    #[schema(value_type = String)]
    pub cliente_id: CustomerId,
    /// `puntos` or `sellos`; absent when the brand has no program.
    pub tipo: Option<String>,
    pub saldo: i64,
    /// Oldest first.
    pub movimientos: Vec<Movement>,
}

#[utoipa::path(get, path = "/api/clientes/{id}/puntos", tag = "fidelidad",
    params(("id" = String, Path, description = "Customer id, e.g. cli_gollos_42")),
    responses((status = 200, body = PointsView), (status = 404)), security(("bearer" = [])))]
async fn customer_points(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<PointsView>, AppError> {
    let id: CustomerId = id.parse().map_err(|_| AppError::NotFound("cliente"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let (tipo, movimientos) = tenant
        .read(move |c| {
            crate::customers::store::get(c, local)?.ok_or(AppError::NotFound("cliente"))?;
            Ok((
                store::program(c)?.map(|p| p.tipo),
                store::movements(c, local)?,
            ))
        })
        .await?;
    Ok(axum::Json(PointsView {
        saldo: super::ledger::balance(&movimientos, now_ms()),
        cliente_id: id,
        tipo,
        movimientos,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemInput {
    pub recompensa_id: i64,
    /// An open order of this customer: the reward's discount is added to it.
    #[schema(value_type = Option<String>)]
    pub pedido_id: Option<OrderId>,
}

#[utoipa::path(post, path = "/api/clientes/{id}/puntos/canjes", tag = "fidelidad",
    params(("id" = String, Path, description = "Customer id")), request_body = RedeemInput,
    responses((status = 201, body = Movement), (status = 404),
        (status = 409, description = "Not enough balance or order closed")),
    security(("bearer" = [])))]
async fn redeem(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RedeemInput>,
) -> Result<(StatusCode, axum::Json<Movement>), AppError> {
    let id: CustomerId = id.parse().map_err(|_| AppError::NotFound("cliente"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    if input.pedido_id.as_ref().is_some_and(|o| o.slug != id.slug) {
        return Err(AppError::NotFound("pedido"));
    }
    let local = id.local;
    let order = input.pedido_id.map(|o| o.local);
    let m = tenant
        .write(move |c| {
            crate::customers::store::get(c, local)?.ok_or(AppError::NotFound("cliente"))?;
            super::ledger::redeem(c, local, input.recompensa_id, order, now_ms())
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(m)))
}
