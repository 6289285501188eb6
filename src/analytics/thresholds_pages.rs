//! The thresholds screen (`/m/{slug}/metricas/umbrales`): managers and owners edit the
//! brand's segment thresholds; saving validates, audits and recomputes the segments.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::get;
use axum::{Form, Router};
use minijinja::{Value, context};
use serde::Deserialize;

use super::metrics;
use super::refresh;
use super::thresholds::{self, ThresholdsForm};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new().route("/m/{slug}/metricas/umbrales", get(show).post(save))
}

#[derive(Debug, Deserialize, Default)]
struct Done {
    cambios: Option<usize>,
}

async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let (rules, segments) = b
        .tenant
        .read(|c| Ok((refresh::rules(c)?, metrics::segment_counts(c)?)))
        .await?;
    let form = ThresholdsForm::from_rules(&rules);
    b.page(
        &state,
        "dashboard/thresholds.html",
        "metricas",
        context! {
            f => context! { vip_porcentaje => form.vip_porcentaje, vip_pedidos_12m => form.vip_pedidos_12m,
                riesgo_factor => form.riesgo_factor, riesgo_minimo_dias => form.riesgo_minimo_dias,
                perdido_dias => form.perdido_dias, nuevo_dias => form.nuevo_dias },
            segmentos => Value::from_serialize(&segments),
            cambios => q.cambios,
        },
    )
    .await
}

async fn save(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<ThresholdsForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let rules = form.validate()?;
    let changed = thresholds::update(&b.tenant, rules).await?;
    Ok(see_other(
        &headers,
        &format!("/m/{slug}/metricas/umbrales?cambios={changed}"),
    ))
}
