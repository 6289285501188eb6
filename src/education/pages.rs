//! The education series screens: the list with a form to create a series, and one series with
//! its steps (add a step), each customer's progress and last reply, enrol and remove.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::store::{self, NewStep};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::time::now_ms;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/series", get(list).post(create))
        .route("/m/{slug}/series/{id}", get(detail))
        .route("/m/{slug}/series/{id}/pasos", post(add_step))
        .route("/m/{slug}/series/{id}/activa", post(set_active))
        .route("/m/{slug}/series/{id}/inscripciones", post(enroll))
        .route(
            "/m/{slug}/series/{id}/inscripciones/{enrolment}/baja",
            post(unenroll),
        )
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let series = b.tenant.read(store::list).await?;
    b.page(&state, "series/list.html", "series", context! { series })
        .await
}

#[derive(Deserialize)]
struct CreateForm {
    nombre: String,
    #[serde(default)]
    descripcion: String,
    /// A checkbox: present ("1") when ticked.
    auto_inscribir: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let auto = form.auto_inscribir.is_some();
    let id = b
        .tenant
        .write(move |c| store::create(c, &form.nombre, &form.descripcion, auto, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/series/{id}")))
}

async fn detail(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let s = b.slug().clone();
    let series = b.tenant.read(move |c| super::api::load(c, &s, id)).await?;
    b.page(&state, "series/detail.html", "series", context! { series })
        .await
}

#[derive(Deserialize)]
struct StepForm {
    dias: String,
    #[serde(default)]
    plantilla: String,
    #[serde(default)]
    idioma: String,
    texto: String,
}

async fn add_step(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<StepForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    // A non-number is refused by the store's range check, like an out-of-range one.
    let step = NewStep {
        dias: form.dias.trim().parse().unwrap_or(-1),
        plantilla: Some(form.plantilla),
        idioma: Some(form.idioma),
        texto: form.texto,
    };
    b.tenant
        .write(move |c| store::add_step(c, id, &step, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/series/{id}")))
}

#[derive(Deserialize)]
struct ActiveForm {
    activa: String,
}

async fn set_active(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ActiveForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let on = form.activa == "1";
    b.tenant
        .write(move |c| store::set_active(c, id, on, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/series/{id}")))
}

#[derive(Deserialize)]
struct EnrollForm {
    cliente: String,
}

async fn enroll(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<EnrollForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    // `cli_eco_7` or the number alone.
    let customer = form
        .cliente
        .trim()
        .rsplit('_')
        .next()
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or(AppError::NotFound("cliente"))?;
    b.tenant
        .write(move |c| store::enroll(c, id, customer, "personal", now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/series/{id}")))
}

async fn unenroll(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id, enrolment)): Path<(String, i64, i64)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    b.tenant
        .write(move |c| store::unenroll(c, id, enrolment, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/series/{id}")))
}
