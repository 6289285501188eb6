//! JSON handlers for campaigns under `/api/marcas/{id}/campanas` and the automation switches
//! under `/api/marcas/{id}/automatizaciones`: thin — parse, open the brand, call the store.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::audience::{self, Member};
use super::results::{self, Funnel, Recipient};
use super::store::{self, Automation, NewCampaign};
use super::{Audience, Campaign, CampaignInput, cost, validate_message};
use crate::api::{ApiJson, ApiQuery};
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::{Registry, Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(preview_audience))
        .routes(routes!(get_campaign))
        .routes(routes!(list_recipients))
        .routes(routes!(send_campaign))
        .routes(routes!(cancel_campaign))
        .routes(routes!(list_automations, set_automation))
        .routes(routes!(get_price, set_price))
}

/// The brand's WhatsApp throughput (messages per second), 80 when no number is set.
pub async fn send_rate(registry: &Registry, slug: &Slug) -> Result<u32, AppError> {
    let slug = slug.as_str().to_owned();
    registry
        .control()
        .read(move |c| {
            use rusqlite::OptionalExtension;
            let mps: Option<i64> = c
                .query_row(
                    "SELECT mps FROM whatsapp_numeros WHERE marca = ?1",
                    [slug],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(mps.unwrap_or(80).clamp(1, 10_000) as u32)
        })
        .await
}

/// Audience preview: how many customers and a few of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AudiencePreview {
    pub total: i64,
    pub muestra: Vec<Member>,
}

#[utoipa::path(post, path = "/api/marcas/{id}/campanas/audiencia", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug")),
    request_body = Audience,
    responses((status = 200, body = AudiencePreview), (status = 422, description = "Invalid filter")),
    security(("bearer" = [])))]
async fn preview_audience(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(a): ApiJson<Audience>,
) -> Result<axum::Json<AudiencePreview>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let tz = t.brand().tz();
    let preview = t
        .read(move |c| {
            Ok(AudiencePreview {
                total: audience::count(c, &a, tz, None)?,
                muestra: audience::members(c, &a, tz, None, Some(10))?,
            })
        })
        .await?;
    Ok(axum::Json(preview))
}

#[utoipa::path(get, path = "/api/marcas/{id}/campanas", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = [Campaign])),
    security(("bearer" = [])))]
async fn list_campaigns(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<Campaign>>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(t.read(|c| store::list(c, 200, now_ms())).await?))
}

/// Creates a campaign from staff input: validates it, stores it and, when asked to send now or
/// scheduled, launches it (its audience frozen; the campaign sender queues the messages).
pub async fn create(t: &TenantCtx, input: CampaignInput) -> Result<Campaign, AppError> {
    let tz = t.brand().tz();
    let nombre = input.nombre.trim().to_owned();
    if nombre.is_empty() || nombre.chars().count() > 200 {
        return Err(AppError::validation(
            "nombre",
            "required",
            msg(
                "Ponle un nombre (hasta 200 caracteres).",
                "Give it a name (up to 200 characters).",
            ),
        ));
    }
    let idioma = input.idioma.clone().unwrap_or_else(|| "es".into());
    validate_message(&input.plantilla, &idioma, &input.variables)?;
    input.audiencia.validate(tz)?;
    let now = now_ms();
    let programada_para = input
        .programada_para
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            super::parse_when(s.trim(), tz).ok_or_else(|| {
                AppError::validation(
                    "programada_para",
                    "invalid",
                    msg("Fecha inválida.", "Invalid date."),
                )
            })
        })
        .transpose()?;
    let launch = input.enviar_ahora || programada_para.is_some();
    let new = NewCampaign {
        nombre,
        tipo: "manual".into(),
        audiencia: input.audiencia,
        plantilla: input.plantilla,
        idioma,
        variables: input.variables,
        programada_para,
        creado_por: t.actor(),
    };
    t.write(move |c| {
        let id = store::insert(c, &new, now)?;
        if launch {
            store::launch(c, id, tz, now)?;
        }
        store::get(c, id, now)?.ok_or(AppError::NotFound("campaña"))
    })
    .await
}

#[utoipa::path(post, path = "/api/marcas/{id}/campanas", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug")),
    request_body = CampaignInput,
    responses((status = 201, body = Campaign), (status = 422, description = "Invalid fields")),
    security(("bearer" = [])))]
async fn create_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<CampaignInput>,
) -> Result<(StatusCode, axum::Json<Campaign>), AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let k = create(&t, input).await?;
    Ok((StatusCode::CREATED, axum::Json(k)))
}

/// A campaign with its results.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignResults {
    pub campana: Campaign,
    pub embudo: Funnel,
    /// Cost and ROI at the brand's rate per 1,000 delivered messages; `null` until it is set.
    pub retorno: Option<cost::Return>,
    pub moneda: String,
}

/// Loads a campaign and its funnel.
pub async fn load_results(t: &TenantCtx, id: i64) -> Result<CampaignResults, AppError> {
    let moneda = t.brand().moneda.clone();
    t.read(move |c| {
        let campana = store::get(c, id, now_ms())?.ok_or(AppError::NotFound("campaña"))?;
        let embudo = results::funnel(&results::recipients(c, id)?);
        let retorno = cost::of(&embudo, cost::price_per_thousand(c)?);
        Ok(CampaignResults {
            campana,
            embudo,
            retorno,
            moneda,
        })
    })
    .await
}

#[utoipa::path(get, path = "/api/marcas/{id}/campanas/{campana}", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug"), ("campana" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = CampaignResults), (status = 404, description = "Unknown campaign")),
    security(("bearer" = [])))]
async fn get_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<axum::Json<CampaignResults>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(load_results(&t, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecipientParams {
    /// Only this status (pendiente, en_cola, enviado, entregado, leido, respondio, pidio, fallido).
    estado: Option<String>,
    /// At most this many (default 500, max 10000).
    limite: Option<usize>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/campanas/{campana}/destinatarios", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug"), ("campana" = i64, Path, description = "Campaign id"), RecipientParams),
    responses((status = 200, body = [Recipient])),
    security(("bearer" = [])))]
async fn list_recipients(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    ApiQuery(p): ApiQuery<RecipientParams>,
) -> Result<axum::Json<Vec<Recipient>>, AppError> {
    if let Some(e) = &p.estado
        && !results::STATUSES.contains(&e.as_str())
    {
        return Err(AppError::validation(
            "estado",
            "invalid_parameter",
            msg("Estado desconocido.", "Unknown status."),
        ));
    }
    let limit = p.limite.unwrap_or(500).clamp(1, 10_000);
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let rows = t
        .read(move |c| {
            store::get(c, id, now_ms())?.ok_or(AppError::NotFound("campaña"))?;
            results::recipients(c, id)
        })
        .await?;
    Ok(axum::Json(
        rows.into_iter()
            .filter(|r| p.estado.as_deref().is_none_or(|e| r.estado == e))
            .take(limit)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/marcas/{id}/campanas/{campana}/enviar", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug"), ("campana" = i64, Path, description = "Campaign id")),
    responses((status = 202, body = Campaign), (status = 409, description = "Already sent or cancelled")),
    security(("bearer" = [])))]
async fn send_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<(StatusCode, axum::Json<Campaign>), AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let tz = t.brand().tz();
    let k = t
        .write(move |c| {
            let now = now_ms();
            store::launch(c, id, tz, now)?;
            store::get(c, id, now)?.ok_or(AppError::NotFound("campaña"))
        })
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(k)))
}

#[utoipa::path(post, path = "/api/marcas/{id}/campanas/{campana}/cancelar", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug"), ("campana" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = Campaign)),
    security(("bearer" = [])))]
async fn cancel_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<axum::Json<Campaign>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let k = t
        .write(move |c| {
            let now = now_ms();
            store::cancel(c, id, now)?;
            store::get(c, id, now)?.ok_or(AppError::NotFound("campaña"))
        })
        .await?;
    Ok(axum::Json(k))
}

/// Every automation key this brand can switch.
pub const AUTOMATION_KEYS: &[&str] = &["auto_en_riesgo", "auto_perdido", "auto_nuevo", "encuesta"];

#[utoipa::path(get, path = "/api/marcas/{id}/automatizaciones", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = [Automation])),
    security(("bearer" = [])))]
async fn list_automations(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<Automation>>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(
        t.read(|c| {
            AUTOMATION_KEYS
                .iter()
                .map(|k| store::automation(c, k))
                .collect()
        })
        .await?,
    ))
}

#[utoipa::path(put, path = "/api/marcas/{id}/automatizaciones", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug")),
    request_body = Automation,
    responses((status = 200, body = Automation), (status = 422, description = "Invalid fields")),
    security(("bearer" = [])))]
async fn set_automation(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(a): ApiJson<Automation>,
) -> Result<axum::Json<Automation>, AppError> {
    if !AUTOMATION_KEYS.contains(&a.clave.as_str()) {
        return Err(AppError::validation(
            "clave",
            "invalid",
            msg(
                format!(
                    "Automatización desconocida (use {}).",
                    AUTOMATION_KEYS.join(", ")
                ),
                format!("Unknown automation (use {}).", AUTOMATION_KEYS.join(", ")),
            ),
        ));
    }
    match &a.plantilla {
        Some(p) => validate_message(p, &a.idioma, &[])?,
        // Surveys are interactive messages inside the 24-hour window: no template needed.
        None if a.activa && a.clave != "encuesta" => {
            return Err(AppError::validation(
                "plantilla",
                "required",
                msg(
                    "Una automatización activa necesita plantilla.",
                    "An active automation needs a template.",
                ),
            ));
        }
        None => {}
    }
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let key = a.clave.clone();
    let saved = t
        .write(move |c| {
            store::set_automation(c, &a, now_ms())?;
            store::automation(c, &key)
        })
        .await?;
    Ok(axum::Json(saved))
}

/// The brand's WhatsApp rate for marketing messages, which prices campaigns and their ROI.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Minor units of the brand's currency per 1,000 delivered messages (US$ 0.0703 a
    /// message = 7030); `null` removes the rate.
    pub precio_por_mil: Option<i64>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/campanas/precio", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = Price)),
    security(("bearer" = [])))]
async fn get_price(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Price>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let precio_por_mil = t.read(cost::price_per_thousand).await?;
    Ok(axum::Json(Price { precio_por_mil }))
}

#[utoipa::path(put, path = "/api/marcas/{id}/campanas/precio", tag = "campanas",
    params(("id" = String, Path, description = "Brand slug")),
    request_body = Price,
    responses((status = 200, body = Price), (status = 422, description = "Out of range")),
    security(("bearer" = [])))]
async fn set_price(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(p): ApiJson<Price>,
) -> Result<axum::Json<Price>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let price = p.precio_por_mil;
    t.write(move |c| cost::set_price_per_thousand(c, price))
        .await?;
    Ok(axum::Json(p))
}
