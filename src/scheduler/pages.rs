//! The jobs screen of a brand (`/m/{slug}/trabajos`): every per-brand job with its schedule,
//! last run, outcome and next due time in the brand's zone, and "run now" for managers and
//! owners. The same list and run as `GET /api/jobs` and `autonomo jobs list|run`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{catalog, next_due, run_now, store};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::time::now_ms;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/trabajos", get(list))
        .route("/m/{slug}/trabajos/ejecutar", post(run))
}

/// One row of the screen (times in unix ms, shown in the brand's zone by the template).
#[derive(Serialize)]
struct Row {
    nombre: &'static str,
    descripcion: &'static str,
    cron: &'static str,
    ultima_ejecucion_en: Option<i64>,
    resultado: Option<String>,
    detalle: Option<String>,
    proxima_en: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let brand = b.slug().to_string();
    let tz = b.brand().tz();
    let states = state.registry.control().read(store::list).await?;
    let now = now_ms();
    let mut jobs = Vec::new();
    for spec in catalog().into_iter().filter(|s| s.per_brand) {
        let stored = states
            .iter()
            .find(|s| s.nombre == spec.name && s.marca == brand);
        jobs.push(Row {
            nombre: spec.name,
            descripcion: spec.description,
            cron: spec.cron,
            ultima_ejecucion_en: stored.and_then(|s| s.ultima_ejecucion_en),
            resultado: stored.and_then(|s| s.resultado.clone()),
            detalle: stored.and_then(|s| s.detalle.clone()),
            proxima_en: next_due(&spec.schedule()?, tz, now),
        });
    }
    b.page(&state, "jobs/list.html", "trabajos", context! { jobs })
        .await
}

#[derive(Deserialize)]
struct RunForm {
    nombre: String,
}

/// Runs one per-brand job now for this brand and comes back to the list, which shows the
/// outcome (a failed run is a row marked `error` with its detail, not an error page).
async fn run(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<RunForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    // Only this brand's jobs: an install-wide job (owners' report) is not a brand's to run.
    let specs: Vec<_> = catalog().into_iter().filter(|s| s.per_brand).collect();
    run_now(
        &state.registry,
        &specs,
        form.nombre.trim(),
        Some(b.slug()),
        &Arc::new(state.config.notify.clone()),
    )
    .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/trabajos")))
}
