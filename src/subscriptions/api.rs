//! Subscription endpoints: plans, subscribe, list, actions, change of plan, the summary
//! (MRR, churn, upcoming orders) and an admin "process as of" run of the job.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::actions::{self, Action};
use super::{Period, Plan, Subscription, jobs, store};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::ids::{CustomerId, ProductId};
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_plan, list_plans))
        .routes(routes!(subscribe, list_subscriptions))
        .routes(routes!(change_plan))
        .routes(routes!(subscription_action))
        .routes(routes!(subscription_summary))
        .routes(routes!(process_subscriptions))
}

fn invalid(field: &str, es: &str, en: &str) -> AppError {
    AppError::validation(field, "invalid", msg(es, en))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanLine {
    #[schema(value_type = String, example = "pro_eco_3")]
    pub producto_id: ProductId,
    pub cantidad: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub nombre: String,
    pub items: Vec<PlanLine>,
    /// Price per period in minor units.
    pub precio: i64,
    /// `mensual` or `semanas`.
    pub periodo: String,
    /// For `semanas`: every N weeks (1-52).
    pub cada_semanas: Option<i64>,
}

/// Validates and stores a plan (used by the API and the demo).
pub fn plan_from_input(slug: &Slug, input: &PlanInput) -> Result<(store::Lines, Period), AppError> {
    let period =
        Period::parse(&input.periodo, input.cada_semanas.unwrap_or(1)).ok_or_else(|| {
            invalid(
                "periodo",
                "Periodo: mensual o semanas (cada_semanas 1-52).",
                "Period: mensual or semanas (cada_semanas 1-52).",
            )
        })?;
    if input.items.iter().any(|l| &l.producto_id.slug != slug) {
        return Err(invalid(
            "items",
            "El producto es de otra marca.",
            "The product belongs to another brand.",
        ));
    }
    Ok((
        input
            .items
            .iter()
            .map(|l| (l.producto_id.local, l.cantidad))
            .collect(),
        period,
    ))
}

#[utoipa::path(post, path = "/api/marcas/{id}/planes-suscripcion", tag = "suscripciones",
    params(("id" = String, Path, description = "Brand slug")), request_body = PlanInput,
    responses((status = 201, body = Plan), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn create_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<(StatusCode, axum::Json<Plan>), AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let slug = t.slug().clone();
    let (lines, period) = plan_from_input(&slug, &input)?;
    let plan = t
        .write(move |c| {
            let id = store::insert_plan(c, &input.nombre, &lines, input.precio, period, now_ms())?;
            store::list_plans(c, &slug)?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or(AppError::NotFound("plan"))
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(plan)))
}

#[utoipa::path(get, path = "/api/marcas/{id}/planes-suscripcion", tag = "suscripciones",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = [Plan]), (status = 404)), security(("bearer" = [])))]
async fn list_plans(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<Plan>>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let slug = t.slug().clone();
    Ok(axum::Json(
        t.read(move |c| store::list_plans(c, &slug)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeInput {
    pub plan_id: i64,
    #[schema(value_type = String, example = "cli_eco_7")]
    pub cliente_id: CustomerId,
    /// Date of the first order (RFC 3339 or a date in the brand's zone); default now.
    pub inicio: Option<String>,
}

/// Subscribes a customer (API and customer page).
pub async fn subscribe_customer(
    t: &TenantCtx,
    plan: i64,
    customer: i64,
    start: Option<&str>,
) -> Result<Subscription, AppError> {
    let (slug, tz) = (t.slug().clone(), t.brand().tz());
    let now = now_ms();
    let start = match start.map(str::trim).filter(|s| !s.is_empty()) {
        None => now,
        Some(s) => crate::time::parse_instant(s, tz)
            .ok_or_else(|| invalid("inicio", "Fecha inválida.", "Invalid date."))?,
    };
    t.write(move |c| {
        let id = store::subscribe(c, plan, customer, start, now)?;
        store::list(c, &slug, tz, Some(customer))?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(AppError::NotFound("suscripcion"))
    })
    .await
}

#[utoipa::path(post, path = "/api/marcas/{id}/suscripciones", tag = "suscripciones",
    params(("id" = String, Path, description = "Brand slug")), request_body = SubscribeInput,
    responses((status = 201, body = Subscription), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<SubscribeInput>,
) -> Result<(StatusCode, axum::Json<Subscription>), AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    if &input.cliente_id.slug != t.slug() {
        return Err(AppError::NotFound("cliente"));
    }
    let s = subscribe_customer(
        &t,
        input.plan_id,
        input.cliente_id.local,
        input.inicio.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(s)))
}

#[utoipa::path(get, path = "/api/marcas/{id}/suscripciones", tag = "suscripciones",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = [Subscription]), (status = 404)), security(("bearer" = [])))]
async fn list_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<Subscription>>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let (slug, tz) = (t.slug().clone(), t.brand().tz());
    Ok(axum::Json(
        t.read(move |c| store::list(c, &slug, tz, None)).await?,
    ))
}

async fn one(t: &TenantCtx, id: i64) -> Result<Subscription, AppError> {
    let (slug, tz) = (t.slug().clone(), t.brand().tz());
    t.read(move |c| store::list(c, &slug, tz, None))
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound("suscripcion"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    pub plan_id: i64,
}

#[utoipa::path(put, path = "/api/marcas/{id}/suscripciones/{suscripcion}", tag = "suscripciones",
    params(("id" = String, Path), ("suscripcion" = i64, Path)), request_body = ChangeInput,
    responses((status = 200, body = Subscription), (status = 404)), security(("bearer" = [])))]
async fn change_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    ApiJson(input): ApiJson<ChangeInput>,
) -> Result<axum::Json<Subscription>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    t.write(move |c| {
        store::row(c, id)?.ok_or(AppError::NotFound("suscripcion"))?;
        store::plan_terms(c, input.plan_id)?.ok_or(AppError::NotFound("plan"))?;
        store::set_plan(c, id, input.plan_id, now_ms())
    })
    .await?;
    Ok(axum::Json(one(&t, id).await?))
}

#[utoipa::path(post, path = "/api/marcas/{id}/suscripciones/{suscripcion}/{accion}", tag = "suscripciones",
    params(("id" = String, Path), ("suscripcion" = i64, Path), ("accion" = String, Path, description = "pausar, reanudar, cancelar or saltar (the next order)")),
    responses((status = 200, body = Subscription), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn subscription_action(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id, action)): Path<(String, i64, String)>,
) -> Result<axum::Json<Subscription>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let action = Action::parse(&action).ok_or(AppError::NotFound("accion"))?;
    let tz = t.brand().tz();
    t.write(move |c| actions::apply(c, id, action, tz, now_ms()))
        .await?;
    Ok(axum::Json(one(&t, id).await?))
}

#[utoipa::path(get, path = "/api/marcas/{id}/suscripciones/resumen", tag = "suscripciones",
    params(("id" = String, Path)),
    responses((status = 200, body = super::pages::Summary), (status = 404)), security(("bearer" = [])))]
async fn subscription_summary(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<super::pages::Summary>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let (slug, tz) = (t.slug().clone(), t.brand().tz());
    Ok(axum::Json(
        t.read(move |c| super::pages::summary(c, &slug, tz, now_ms()))
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessInput {
    /// Process as of this instant (RFC 3339); default now. For catch-up checks and tests.
    pub ahora: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProcessOutcome {
    pub pedidos: i64,
    pub saltados: i64,
    pub avisos: i64,
    pub fallidos: i64,
}

#[utoipa::path(post, path = "/api/marcas/{id}/suscripciones/procesar", tag = "suscripciones",
    params(("id" = String, Path)), request_body = ProcessInput,
    responses((status = 200, body = ProcessOutcome), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn process_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<ProcessInput>,
) -> Result<axum::Json<ProcessOutcome>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Admin).await?;
    let (slug, tz) = (t.slug().clone(), t.brand().tz());
    let now = match input.ahora.as_deref() {
        None => now_ms(),
        Some(s) => crate::time::parse_instant(s, tz)
            .ok_or_else(|| invalid("ahora", "Fecha inválida.", "Invalid date."))?,
    };
    let o = t.write(move |c| jobs::run_due(c, &slug, tz, now)).await?;
    Ok(axum::Json(ProcessOutcome {
        pedidos: o.orders,
        saltados: o.skipped,
        avisos: o.notices,
        fallidos: o.failed,
    }))
}
