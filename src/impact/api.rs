//! Impact endpoints: a customer's impact, the brand's totals with its leaderboard, and the
//! customer's opt-in to the leaderboard.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Impact, Ranked, Totals};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::ids::CustomerId;
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(brand_impact))
        .routes(routes!(customer_impact))
        .routes(routes!(leaderboard_opt_in))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrandImpact {
    pub totales: Totals,
    pub ranking: Vec<Ranked>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/impacto", tag = "impacto",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = BrandImpact), (status = 404)), security(("bearer" = [])))]
async fn brand_impact(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<BrandImpact>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let t = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(
        t.read(|c| {
            Ok(BrandImpact {
                totales: super::totals(c)?,
                ranking: super::leaderboard(c, 10)?,
            })
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/clientes/{id}/impacto", tag = "impacto",
    params(("id" = String, Path, description = "Customer id (cli_{brand}_{n})")),
    responses((status = 200, body = Impact), (status = 404)), security(("bearer" = [])))]
async fn customer_impact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Impact>, AppError> {
    let id: CustomerId = id.parse()?;
    let t = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    Ok(axum::Json(
        t.read(move |c| {
            crate::customers::store::get(c, local)?.ok_or(AppError::NotFound("cliente"))?;
            super::of_customer(c, local)
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankingInput {
    /// Whether the customer appears (first name only) on the brand's leaderboard.
    pub participa: bool,
}

#[utoipa::path(put, path = "/api/clientes/{id}/impacto/ranking", tag = "impacto",
    params(("id" = String, Path, description = "Customer id")), request_body = RankingInput,
    responses((status = 200, body = Impact), (status = 404)), security(("bearer" = [])))]
async fn leaderboard_opt_in(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RankingInput>,
) -> Result<axum::Json<Impact>, AppError> {
    let id: CustomerId = id.parse()?;
    let t = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    let local = id.local;
    Ok(axum::Json(
        t.write(move |c| {
            super::set_ranking(c, local, input.participa, now_ms())?;
            super::of_customer(c, local)
        })
        .await?,
    ))
}
