//! The loyalty settings screen (`/m/{slug}/fidelidad`): the program (points per amount spent
//! or stamps per qualifying order, minimum order, expiry, on/off) and the rewards with their
//! cost, created, edited and deactivated in place. Amounts are typed in the brand's currency
//! and stored in minor units. Everyone in the brand may look; changes are for managers and
//! owners (`Access::Admin`). A bad form comes back with its error and changes nothing.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Program, RewardInput, store};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::{AppError, msg};
use crate::time::now_ms;
use crate::web::ui::{Ui, UiBrand, input_error, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/fidelidad", get(page))
        .route("/m/{slug}/fidelidad/programa", post(save_program))
        .route("/m/{slug}/fidelidad/recompensas", post(create_reward))
        .route("/m/{slug}/fidelidad/recompensas/{id}", post(update_reward))
        .route(
            "/m/{slug}/fidelidad/recompensas/{id}/activo",
            post(toggle_reward),
        )
}

/// Which form an error belongs to (`programa`, `nueva` or a reward id) and its text.
struct FormError {
    form: String,
    text: String,
}

async fn render(
    state: &AppState,
    b: &UiBrand,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let (program, rewards) = b
        .tenant
        .read(|c| Ok((store::program(c)?, store::rewards(c)?)))
        .await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = context! {
        program, configured => program.is_some(), rewards,
        error_form => error.as_ref().map(|e| e.form.clone()),
        error => error.map(|e| e.text),
        can_edit => b.can(Access::Admin),
    };
    let html = b
        .page(state, "loyalty/settings.html", "fidelidad", ctx)
        .await?;
    Ok((status, html).into_response())
}

async fn page(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    render(&state, &b, None).await
}

/// Back to the screen on success, or the screen again with the form's error.
async fn finish(
    state: &AppState,
    b: &UiBrand,
    headers: &HeaderMap,
    form: String,
    result: Result<(), AppError>,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(see_other(
            headers,
            &format!("/m/{}/fidelidad", b.slug().as_str()),
        )),
        Err(e) => match input_error(&e, b.ui.lang()) {
            Some(text) => render(state, b, Some(FormError { form, text })).await,
            None => Err(e),
        },
    }
}

fn whole(field: &str, text: &str) -> Result<i64, AppError> {
    text.trim().parse::<i64>().map_err(|_| {
        AppError::validation(
            field,
            "invalid_number",
            msg("Escriba un número entero.", "Type a whole number."),
        )
    })
}

#[derive(Deserialize, Serialize)]
struct ProgramForm {
    #[serde(default)]
    tipo: String,
    /// Amount spent per point, in the brand's currency (e.g. "1.00").
    #[serde(default)]
    monto_por_punto: String,
    #[serde(default)]
    pedido_minimo: String,
    /// Days; empty: points never expire.
    #[serde(default)]
    vigencia_dias: String,
    activo: Option<String>,
}

fn program_input(b: &UiBrand, f: &ProgramForm) -> Result<Program, AppError> {
    let per_point = match f.monto_por_punto.trim() {
        // Stamps ignore it; keep the column's default.
        "" if f.tipo == "sellos" => 100,
        t => b.amount("monto_por_punto", t)?,
    };
    let minimum = match f.pedido_minimo.trim() {
        "" => 0,
        t => b.amount("pedido_minimo", t)?,
    };
    let expiry = match f.vigencia_dias.trim() {
        "" => None,
        t => Some(whole("vigencia_dias", t)?),
    };
    let p = Program {
        tipo: f.tipo.clone(),
        monto_por_punto: per_point,
        pedido_minimo: minimum,
        vigencia_dias: expiry,
        activo: f.activo.is_some(),
    };
    p.validate()?;
    Ok(p)
}

async fn save_program(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<ProgramForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let result = match program_input(&b, &form) {
        Ok(p) => {
            b.tenant
                .write(move |c| store::set_program(c, &p, now_ms()))
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &b, &headers, "programa".into(), result).await
}

#[derive(Deserialize)]
struct RewardForm {
    #[serde(default)]
    nombre: String,
    #[serde(default)]
    costo: String,
    #[serde(default)]
    descuento: String,
}

fn reward_input(b: &UiBrand, f: &RewardForm) -> Result<RewardInput, AppError> {
    Ok(RewardInput {
        nombre: f.nombre.clone(),
        costo: whole("costo", &f.costo)?,
        descuento: match f.descuento.trim() {
            "" => 0,
            t => b.amount("descuento", t)?,
        },
    })
}

async fn create_reward(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<RewardForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let result = match reward_input(&b, &form) {
        Ok(input) => {
            b.tenant
                .write(move |c| store::create_reward(c, &input, now_ms()).map(|_| ()))
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &b, &headers, "nueva".into(), result).await
}

async fn update_reward(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<RewardForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let result = match reward_input(&b, &form) {
        Ok(input) => {
            b.tenant
                .write(move |c| store::update_reward(c, id, &input).map(|_| ()))
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &b, &headers, id.to_string(), result).await
}

#[derive(Deserialize)]
struct ToggleForm {
    #[serde(default)]
    activo: String,
}

async fn toggle_reward(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ToggleForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let on = form.activo == "1";
    b.tenant
        .write(move |c| store::set_reward_active(c, id, on))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/fidelidad")))
}
