//! Reminder screens: the brand's open reminders (due ones highlighted, marked done in place)
//! and the form on the customer page.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::api::{ReminderInput, create};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::time::now_ms;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/recordatorios", get(list))
        .route("/m/{slug}/recordatorios/{id}/hecho", post(done))
        .route("/m/{slug}/clientes/{id}/recordatorios", post(add))
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let now = now_ms();
    let reminders = b.tenant.read(|c| super::list(c, None, None, false)).await?;
    let (due, upcoming): (Vec<_>, Vec<_>) = reminders.into_iter().partition(|r| r.vence_en <= now);
    b.page(
        &state,
        "reminders/list.html",
        "recordatorios",
        context! { due, upcoming },
    )
    .await
}

async fn done(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    b.tenant
        .write(move |c| super::done(c, id, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/recordatorios")))
}

#[derive(Deserialize)]
struct AddForm {
    texto: String,
    #[serde(default)]
    vence_en: String,
}

async fn add(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<AddForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let input = ReminderInput {
        texto: form.texto,
        vence_en: Some(form.vence_en),
    };
    create(&b.tenant, id, input).await?;
    Ok(see_other(&headers, &format!("/m/{slug}/recordatorios")))
}
