//! The impact screen: the brand's totals and its community leaderboard (opt-in, first names).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use minijinja::context;

use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::web::ui::Ui;

pub fn router() -> Router<AppState> {
    Router::new().route("/m/{slug}/impacto", get(page))
}

async fn page(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let (totals, ranking) = b
        .tenant
        .read(|c| Ok((super::totals(c)?, super::leaderboard(c, 20)?)))
        .await?;
    let levels: Vec<String> = super::LEVELS
        .iter()
        .map(|(t, n)| format!("{n} ≥ {t} kg CO₂"))
        .collect();
    b.page(
        &state,
        "impact/page.html",
        "impacto",
        context! { totals, ranking, levels },
    )
    .await
}
