//! The dashboard screen: KPIs against the previous period and server-drawn SVG charts
//! (revenue and orders over time, channels, top products, cohort heat map, RFM grid,
//! segment donut), with CSV exports for everyone but staff accounts. No script needed.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use axum::routing::get;
use minijinja::{Value, context};
use serde::Deserialize;

use super::metrics;
use super::{api, report};
use crate::app::AppState;
use crate::auth::Access;
use crate::auth::users::Role;
use crate::error::AppError;
use crate::web::ui::Ui;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/metricas", get(show))
        .route("/m/{slug}/metricas/exportar.csv", get(export))
        .route("/m/{slug}/metricas/vivo", get(live))
        .route("/metricas", get(super::combined::page))
        .merge(super::thresholds_pages::router())
}

/// The period of a dashboard screen or download (`periodo`, or `desde`/`hasta`).
#[derive(Debug, Deserialize, Default)]
pub(super) struct PeriodQuery {
    #[serde(default)]
    pub(super) desde: Option<String>,
    #[serde(default)]
    pub(super) hasta: Option<String>,
    #[serde(default)]
    pub(super) periodo: Option<String>,
    #[serde(default)]
    tabla: Option<String>,
}

pub(super) fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let ctx = api::open(&state, &ui.caller, &slug).await?;
    let p = metrics::resolve_period(
        blank(&q.desde),
        blank(&q.hasta),
        blank(&q.periodo),
        api::today(&ctx),
    )?;
    let d = ctx.read(move |c| metrics::dashboard(c, p)).await?;
    let currency = b.brand().moneda;
    let charts = super::dashboard_charts::template_context(&d, &currency);
    let can_export = ui.role() != Role::Staff;
    let query = format!("desde={}&hasta={}", p.desde, p.hasta);
    b.page(
        &state,
        "dashboard/index.html",
        "metricas",
        context! { d => Value::from_serialize(&d), charts, can_export, query,
            periodo => blank(&q.periodo).unwrap_or(""), tablas => report::Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>() },
    )
    .await
}

/// The part of the screen that follows new orders (KPIs, satisfaction, impact,
/// conversion): app.js re-fetches it on every `pedidos` event of `/m/{slug}/eventos`.
async fn live(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let ctx = api::open(&state, &ui.caller, &slug).await?;
    let p = metrics::resolve_period(
        blank(&q.desde),
        blank(&q.hasta),
        blank(&q.periodo),
        api::today(&ctx),
    )?;
    let d = ctx.read(move |c| metrics::dashboard(c, p)).await?;
    b.fragment(
        "dashboard/_live.html",
        context! { d => Value::from_serialize(&d) },
    )
}

async fn export(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    if ui.role() == Role::Staff {
        return Err(AppError::Forbidden);
    }
    let ctx = api::open(&state, &ui.caller, &slug).await?;
    let kind = report::Kind::parse(blank(&q.tabla))?;
    let p = metrics::resolve_period(
        blank(&q.desde),
        blank(&q.hasta),
        blank(&q.periodo),
        api::today(&ctx),
    )?;
    let table = ctx.read(move |c| report::build(c, kind, p)).await?;
    let name = format!("{slug}-{}-{}-{}.csv", kind.as_str(), p.desde, p.hasta);
    Ok(api::csv_response(&name, table.to_csv()?))
}
