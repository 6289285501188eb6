//! Reminder endpoints: create one on a customer, list a brand's, mark one done.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{NewReminder, Reminder};
use crate::api::{ApiJson, ApiQuery};
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::ids::CustomerId;
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_reminder))
        .routes(routes!(list_reminders))
        .routes(routes!(complete_reminder))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderInput {
    /// What to do (call back, send a quote, warranty check…).
    pub texto: String,
    /// When (RFC 3339, a date, or `YYYY-MM-DDTHH:MM` in the brand's zone); default now.
    pub vence_en: Option<String>,
}

/// Validates and stores a staff reminder on `customer`.
pub async fn create(
    t: &TenantCtx,
    customer: i64,
    input: ReminderInput,
) -> Result<Reminder, AppError> {
    let texto = input.texto.trim().to_owned();
    if texto.is_empty() || texto.chars().count() > 1000 {
        return Err(AppError::validation(
            "texto",
            "required",
            msg(
                "Escribe el recordatorio (hasta 1000 caracteres).",
                "Write the reminder (up to 1000 characters).",
            ),
        ));
    }
    let tz = t.brand().tz();
    let now = now_ms();
    let due = match input
        .vence_en
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => now,
        Some(s) => crate::campaigns::parse_when(s, tz).ok_or_else(|| {
            AppError::validation(
                "vence_en",
                "invalid",
                msg("Fecha inválida.", "Invalid date."),
            )
        })?,
    };
    let by = t.actor();
    t.write(move |c| {
        crate::customers::store::get(c, customer)?.ok_or(AppError::NotFound("cliente"))?;
        let id = super::insert(
            c,
            &NewReminder {
                customer,
                text: &texto,
                due,
                origin: "manual",
                key: None,
                by: &by,
            },
            now,
        )?
        .ok_or_else(|| AppError::internal("reminder not stored"))?;
        super::list(c, None, Some(customer), true)?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound("recordatorio"))
    })
    .await
}

#[utoipa::path(post, path = "/api/clientes/{id}/recordatorios", tag = "recordatorios",
    params(("id" = String, Path, description = "Customer id (cli_{brand}_{n})")),
    request_body = ReminderInput,
    responses((status = 201, body = Reminder), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_reminder(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReminderInput>,
) -> Result<(StatusCode, axum::Json<Reminder>), AppError> {
    let id: CustomerId = id.parse()?;
    let t = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Write).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(create(&t, id.local, input).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only reminders already due (default false: all open ones).
    vencidos: Option<bool>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/recordatorios", tag = "recordatorios",
    params(("id" = String, Path, description = "Brand slug"), ListParams),
    responses((status = 200, body = [Reminder])),
    security(("bearer" = [])))]
async fn list_reminders(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<Vec<Reminder>>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let t = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    let due_by = p.vencidos.unwrap_or(false).then(now_ms);
    Ok(axum::Json(
        t.read(move |c| super::list(c, due_by, None, false)).await?,
    ))
}

#[utoipa::path(post, path = "/api/marcas/{id}/recordatorios/{recordatorio}/hecho", tag = "recordatorios",
    params(("id" = String, Path, description = "Brand slug"), ("recordatorio" = i64, Path, description = "Reminder id")),
    responses((status = 204), (status = 404)),
    security(("bearer" = [])))]
async fn complete_reminder(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let t = TenantCtx::open(&state.registry, &caller, &slug, Access::Write).await?;
    if t.write(move |c| super::done(c, id, now_ms())).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound("recordatorio"))
    }
}
