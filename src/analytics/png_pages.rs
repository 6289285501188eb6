//! The dashboard's charts as PNG downloads: `/m/{slug}/metricas/grafico/{name}.png` with
//! the dashboard's own period parameters (`desde`, `hasta`, `periodo`). Drawn by the same
//! code as the page ([`super::dashboard_charts`]) and rasterised by [`super::png`]; the
//! same role check as the CSV export (staff accounts may not export) and the same brand
//! check as every screen (another brand's account gets 404).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::dashboard_charts::{self, Chart};
use super::pages::{PeriodQuery, blank};
use super::{api, metrics};
use crate::app::AppState;
use crate::auth::users::Role;
use crate::error::AppError;
use crate::web::ui::Ui;

pub fn router() -> Router<AppState> {
    Router::new().route("/m/{slug}/metricas/grafico/{file}", get(chart_png))
}

async fn chart_png(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, file)): Path<(String, String)>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    if ui.role() == Role::Staff {
        return Err(AppError::Forbidden);
    }
    let chart = file
        .strip_suffix(".png")
        .and_then(Chart::parse)
        .ok_or(AppError::NotFound("gráfico"))?;
    let ctx = api::open(&state, &ui.caller, &slug).await?;
    let p = metrics::resolve_period(
        blank(&q.desde),
        blank(&q.hasta),
        blank(&q.periodo),
        api::today(&ctx),
    )?;
    let d = ctx.read(move |c| metrics::dashboard(c, p)).await?;
    let currency = ctx.brand().moneda;
    // Rasterising takes a few milliseconds of CPU: keep it off the async workers.
    let png = tokio::task::spawn_blocking(move || {
        super::png::render(&dashboard_charts::draw(chart, &d, &currency))
    })
    .await
    .map_err(|e| AppError::internal(format!("chart task: {e}")))??;
    let name = format!("{slug}-{}-{}-{}.png", chart.name(), p.desde, p.hasta);
    Ok((
        [
            (header::CONTENT_TYPE, "image/png".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        png,
    )
        .into_response())
}
