//! The order-history upload screen: one CSV in, one per-row report out (owners and
//! managers). Files above the request body limit go through `autonomo import pedidos`.

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::response::Html;
use axum::routing::get;
use minijinja::context;

use super::history;
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::time::now_ms;
use crate::web::ui::Ui;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/m/{slug}/pedidos/importar-historial",
        get(form).post(upload),
    )
}

/// Rows per write, so a big file never holds the writer for long.
const BATCH: usize = 500;

async fn form(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let limit_kb = state.config.max_body_bytes / 1024;
    b.page(
        &state,
        "orders/import_history.html",
        "metricas",
        context! { limite_kb => limit_kb },
    )
    .await
}

async fn upload(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let bytes = crate::customers::uploaded_file(multipart).await?;
    let file = std::sync::Arc::new(history::read(&bytes)?);
    let mut report = Vec::with_capacity(file.rows.len());
    let mut done = 0;
    while done < file.rows.len() {
        let end = (done + BATCH).min(file.rows.len());
        let (f, key, brand) = (file.clone(), b.slug().clone(), b.brand());
        let part = b
            .tenant
            .write(move |c| history::import(c, &key, &brand, &f, &f.rows[done..end], now_ms()))
            .await?;
        report.extend(part);
        done = end;
    }
    let count = |s: &str| report.iter().filter(|r| r.estado == s).count();
    let ctx = context! {
        creados => count("creado"), duplicados => count("duplicado"), errores => count("error"),
        report => report,
    };
    b.page(&state, "orders/import_history_report.html", "metricas", ctx)
        .await
}
