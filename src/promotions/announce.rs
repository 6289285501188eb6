//! Announcing a promotion through a campaign: the customers the rule applies to become the
//! campaign's audience (a segment rule → that segment; a purchase-history rule → bought that
//! SKU at least N times; otherwise everyone with marketing consent), and the campaign is
//! created as a draft through `campaigns::api::create`, the builder's own path, so sending it
//! later goes through the same outbox, throttling and opt-out rules.
//! Screen: `/m/{slug}/promociones/{id}/anunciar`; API: `POST /api/marcas/{id}/promociones/{pid}/anunciar`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, Response};
use axum::routing::get;
use axum::{Form, Router};
use minijinja::context;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::engine::Rule;
use super::store::{self, History};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::campaigns::audience::{self, Member};
use crate::campaigns::{Audience, Campaign, CampaignInput};
use crate::error::AppError;
use crate::tenants::TenantCtx;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/m/{slug}/promociones/{id}/anunciar",
        get(page).post(announce_form),
    )
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(announce_api))
}

/// The customers a rule applies to, as a campaign audience.
pub fn audience_for(rule: &Rule, history: Option<&History>) -> Audience {
    Audience {
        segmentos: rule.segmento.iter().cloned().collect(),
        producto: history.map(|h| h.sku.clone()),
        producto_veces_min: history.map(|h| h.veces),
        ..Audience::default()
    }
}

/// The rule, its history condition and the audience it announces to.
fn load(c: &Connection, id: i64) -> Result<(Rule, Option<History>, Audience), AppError> {
    let rule = store::rule(c, id)?.ok_or(AppError::NotFound("promocion"))?;
    let history = store::history(c, id)?;
    let audience = audience_for(&rule, history.as_ref());
    Ok((rule, history, audience))
}

/// What staff send to announce a promotion; the audience comes from the rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceInput {
    /// Campaign name; default "Promoción: {rule name}".
    pub nombre: Option<String>,
    /// Name of an APPROVED WhatsApp template.
    pub plantilla: String,
    /// Template language code (default `es`).
    pub idioma: Option<String>,
    /// Body variables in placeholder order: `nombre`, `ultimo_producto`.
    #[serde(default)]
    pub variables: Vec<String>,
}

/// Creates the campaign draft for rule `id`.
async fn announce(t: &TenantCtx, id: i64, input: AnnounceInput) -> Result<Campaign, AppError> {
    let (rule, _, audiencia) = t.read(move |c| load(c, id)).await?;
    let nombre = input
        .nombre
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("Promoción: {}", rule.nombre));
    crate::campaigns::api::create(
        t,
        CampaignInput {
            nombre,
            audiencia,
            plantilla: input.plantilla.trim().to_owned(),
            idioma: input.idioma.filter(|s| !s.trim().is_empty()),
            variables: input.variables,
            programada_para: None,
            enviar_ahora: false,
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/marcas/{id}/promociones/{pid}/anunciar", tag = "promociones",
    params(("id" = String, Path, description = "Brand slug"), ("pid" = i64, Path, description = "Promotion id")),
    request_body = AnnounceInput,
    responses((status = 201, body = Campaign, description = "Campaign draft for the customers the rule applies to"),
        (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn announce_api(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, pid)): Path<(String, i64)>,
    ApiJson(input): ApiJson<AnnounceInput>,
) -> Result<(StatusCode, axum::Json<Campaign>), AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Write).await?;
    let k = announce(&t, pid, input).await?;
    Ok((StatusCode::CREATED, axum::Json(k)))
}

#[derive(Serialize)]
struct Preview {
    total: i64,
    sample: Vec<Member>,
}

async fn page(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let tz = b.brand().tz();
    let (rule, history, audiencia, preview) = b
        .tenant
        .read(move |c| {
            let (rule, history, a) = load(c, id)?;
            let preview = Preview {
                total: audience::count(c, &a, tz, None)?,
                sample: audience::members(c, &a, tz, None, Some(10))?,
            };
            Ok((rule, history, a, preview))
        })
        .await?;
    let ctx = context! { rule, history, audiencia, total => preview.total, sample => preview.sample,
    nombre => format!("Promoción: {}", rule.nombre) };
    b.page(&state, "promotions/announce.html", "campanas", ctx)
        .await
}

#[derive(Debug, Deserialize)]
struct AnnounceForm {
    #[serde(default)]
    nombre: String,
    #[serde(default)]
    plantilla: String,
    #[serde(default)]
    idioma: String,
    #[serde(default)]
    var_nombre: Option<String>,
    #[serde(default)]
    var_producto: Option<String>,
}

async fn announce_form(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<AnnounceForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let mut variables = Vec::new();
    if form.var_nombre.is_some() {
        variables.push("nombre".to_owned());
    }
    if form.var_producto.is_some() {
        variables.push("ultimo_producto".to_owned());
    }
    let input = AnnounceInput {
        nombre: Some(form.nombre),
        plantilla: form.plantilla,
        idioma: Some(form.idioma),
        variables,
    };
    let k = announce(&b.tenant, id, input).await?;
    Ok(see_other(&headers, &format!("/m/{slug}/campanas/{}", k.id)))
}
