//! Staff screens for campaigns: the list, the builder with a live audience count (htmx), and
//! the results of one campaign (funnel, attributed revenue, failures with their reasons).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::{Audience, CampaignInput, audience, cost, results, store};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::time::now_ms;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/campanas", get(list).post(create))
        .route("/m/{slug}/campanas/audiencia", post(count))
        .route("/m/{slug}/campanas/automatizaciones", post(automation))
        .route("/m/{slug}/campanas/precio", post(price))
        .route("/m/{slug}/campanas/{id}", get(show))
        .route("/m/{slug}/campanas/{id}/enviar", post(send))
        .route("/m/{slug}/campanas/{id}/cancelar", post(cancel))
}

/// The builder form (flat: one segment, one tag, one product… as browsers send them).
#[derive(Debug, Deserialize, Default)]
struct BuilderForm {
    #[serde(default)]
    nombre: String,
    #[serde(default)]
    segmento: String,
    #[serde(default)]
    etiqueta: String,
    #[serde(default)]
    ultimo_pedido_antes: String,
    #[serde(default)]
    ultimo_pedido_despues: String,
    #[serde(default)]
    producto: String,
    #[serde(default)]
    categoria: String,
    #[serde(default)]
    canal: String,
    #[serde(default)]
    grupo_rfm: String,
    #[serde(default)]
    puntos_min: String,
    #[serde(default)]
    producto_veces_min: String,
    #[serde(default)]
    plantilla: String,
    #[serde(default)]
    idioma: String,
    #[serde(default)]
    var_nombre: Option<String>,
    #[serde(default)]
    var_producto: Option<String>,
    #[serde(default)]
    var_puntos: Option<String>,
    #[serde(default)]
    programada_para: String,
    #[serde(default)]
    cuando: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl BuilderForm {
    fn audience(&self) -> Audience {
        Audience {
            segmentos: some(&self.segmento).into_iter().collect(),
            etiquetas: some(&self.etiqueta).into_iter().collect(),
            ultimo_pedido_antes: some(&self.ultimo_pedido_antes),
            ultimo_pedido_despues: some(&self.ultimo_pedido_despues),
            producto: some(&self.producto),
            categoria: some(&self.categoria),
            canal: some(&self.canal),
            grupos_rfm: some(&self.grupo_rfm).into_iter().collect(),
            // A number the browser let through but we cannot read counts as an impossible
            // value, so the builder shows the validation error instead of ignoring it.
            puntos_min: some(&self.puntos_min).map(|s| s.parse().unwrap_or(-1)),
            producto_veces_min: some(&self.producto_veces_min).map(|s| s.parse().unwrap_or(-1)),
        }
    }
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let tz = b.brand().tz();
    let (campaigns, total, automations, price) = b
        .tenant
        .read(move |c| {
            let automations = super::api::AUTOMATION_KEYS
                .iter()
                .map(|k| store::automation(c, k))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((
                store::list(c, 100, now_ms())?,
                audience::count(c, &Audience::default(), tz, None)?,
                automations,
                cost::price_per_thousand(c)?,
            ))
        })
        .await?;
    let ctx = context! { campaigns, total, automations, price, segments => crate::customers::SEGMENTS,
    channels => crate::orders::CHANNELS, rfm_groups => audience::rfm_keys() };
    b.page(&state, "campaigns/list.html", "campanas", ctx).await
}

/// The live audience count for the builder (an htmx fragment).
async fn count(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Form(form): Form<BuilderForm>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let tz = b.brand().tz();
    let a = form.audience();
    let result = b
        .tenant
        .read(move |c| {
            Ok((
                audience::count(c, &a, tz, None)?,
                audience::members(c, &a, tz, None, Some(5))?,
            ))
        })
        .await;
    match result {
        Ok((total, sample)) => b.fragment("campaigns/_count.html", context! { total, sample }),
        Err(e) => b.fragment("campaigns/_count.html", context! { error => e.to_string() }),
    }
}

async fn create(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<BuilderForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let mut variables = Vec::new();
    if form.var_nombre.is_some() {
        variables.push("nombre".to_owned());
    }
    if form.var_producto.is_some() {
        variables.push("ultimo_producto".to_owned());
    }
    if form.var_puntos.is_some() {
        variables.push("puntos".to_owned());
    }
    let input = CampaignInput {
        nombre: form.nombre.clone(),
        audiencia: form.audience(),
        plantilla: form.plantilla.trim().to_owned(),
        idioma: some(&form.idioma),
        variables,
        programada_para: (form.cuando == "programar")
            .then(|| some(&form.programada_para))
            .flatten(),
        enviar_ahora: form.cuando == "ahora",
    };
    let k = super::api::create(&b.tenant, input).await?;
    Ok(see_other(&headers, &format!("/m/{slug}/campanas/{}", k.id)))
}

#[derive(Debug, Deserialize, Default)]
struct ShowQuery {
    /// Lists the recipients in this status (one of `results::STATUSES`).
    #[serde(default)]
    estado: String,
}

/// How many recipients the page lists (the API gives them all).
const LISTED: usize = 200;

async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let r = super::api::load_results(&b.tenant, id).await?;
    // Failures (with their reason) by default; any status the funnel links to on request.
    let estado = if results::STATUSES.contains(&q.estado.as_str()) {
        q.estado.clone()
    } else {
        "fallido".to_owned()
    };
    let wanted = estado.clone();
    let listed = b
        .tenant
        .read(move |c| {
            Ok(results::recipients(c, id)?
                .into_iter()
                .filter(|r| r.estado == wanted)
                .take(LISTED)
                .collect::<Vec<_>>())
        })
        .await?;
    // Reply and order rates over the messages that went out.
    let out = r.embudo.enviados.max(1) as f64;
    let pct = |n: i64| format!("{:.1} %", 100.0 * n as f64 / out);
    let rates = context! { leidos => pct(r.embudo.leidos), respondieron => pct(r.embudo.respondieron),
    pidieron => pct(r.embudo.pidieron) };
    let roi = r
        .retorno
        .as_ref()
        .and_then(|x| x.roi)
        .map(|x| format!("{:.1} %", 100.0 * x));
    let ctx = context! { k => r.campana, f => r.embudo, ret => r.retorno, roi, listed, estado, rates,
    statuses => results::STATUSES };
    b.page(&state, "campaigns/show.html", "campanas", ctx).await
}

/// Sends a draft now (an announced promotion, a draft from the builder).
async fn send(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let tz = b.brand().tz();
    b.tenant
        .write(move |c| store::launch(c, id, tz, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/campanas/{id}")))
}

/// Cancels a draft or drops what is not sent yet of a scheduled or sending campaign.
async fn cancel(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    b.tenant
        .write(move |c| store::cancel(c, id, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/campanas/{id}")))
}

#[derive(Debug, Deserialize)]
struct AutomationForm {
    clave: String,
    #[serde(default)]
    activa: Option<String>,
    #[serde(default)]
    plantilla: String,
    #[serde(default)]
    idioma: String,
    #[serde(default)]
    retraso_min: String,
    #[serde(default)]
    nps: Option<String>,
}

/// Turns one automation on or off (with its template; surveys with delay and NPS).
async fn automation(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<AutomationForm>,
) -> Result<Response, AppError> {
    use crate::error::msg;
    let b = ui.brand(&state, &slug, Access::Write).await?;
    if !super::api::AUTOMATION_KEYS.contains(&form.clave.as_str()) {
        return Err(AppError::validation(
            "clave",
            "invalid",
            msg("Automatización desconocida.", "Unknown automation."),
        ));
    }
    let activa = form.activa.is_some();
    let plantilla = some(&form.plantilla);
    let idioma = some(&form.idioma).unwrap_or_else(|| "es".into());
    match &plantilla {
        Some(p) => super::validate_message(p, &idioma, &[])?,
        None if activa && form.clave != "encuesta" => {
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
    let ajustes = if form.clave == "encuesta" {
        let delay = form
            .retraso_min
            .trim()
            .parse::<i64>()
            .unwrap_or(super::super::surveys::DEFAULT_DELAY_MIN);
        serde_json::json!({"retraso_min": delay.clamp(0, 7 * 24 * 60), "nps": form.nps.is_some()})
    } else {
        serde_json::json!({})
    };
    let a = store::Automation {
        clave: form.clave,
        activa,
        plantilla,
        idioma,
        ajustes,
        activa_desde: None,
    };
    b.tenant
        .write(move |c| store::set_automation(c, &a, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/campanas")))
}

#[derive(Debug, Deserialize)]
struct PriceForm {
    #[serde(default)]
    precio_por_mil: String,
}

/// Saves the brand's rate per 1,000 delivered marketing messages (blank removes it).
async fn price(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<PriceForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let text = form.precio_por_mil.trim();
    let price = if text.is_empty() {
        None
    } else {
        Some(b.amount("precio_por_mil", text)?)
    };
    b.tenant
        .write(move |c| cost::set_price_per_thousand(c, price))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/campanas")))
}
