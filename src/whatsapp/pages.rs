//! The WhatsApp settings screen (owners and managers): the brand's number and credentials
//! (secrets never shown again, only masked; a blank secret keeps the stored one), the bot's
//! settings, and the FAQ the bot answers from.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::bot::knowledge::{self, Faq, Settings};
use super::config::{self, NumberInput};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::{AppError, msg};
use crate::time::now_ms;
use crate::web::ui::{Ui, UiBrand, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/ajustes/whatsapp", get(page))
        .route("/m/{slug}/ajustes/whatsapp/numero", post(save_number))
        .route("/m/{slug}/ajustes/whatsapp/bot", post(save_bot))
        .route("/m/{slug}/ajustes/whatsapp/faq", post(add_faq))
        .route("/m/{slug}/ajustes/whatsapp/faq/{id}", post(update_faq))
        .route(
            "/m/{slug}/ajustes/whatsapp/faq/{id}/borrar",
            post(delete_faq),
        )
}

#[derive(Deserialize, Default)]
struct Done {
    hecho: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<Done>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let (keyring, key) = (state.keyring.clone(), b.slug().clone());
    let number = state
        .registry
        .control()
        .read(move |c| config::by_brand(c, &keyring, &key))
        .await?
        .map(|n| n.masked());
    let (settings, faq) = b
        .tenant
        .read(|c| Ok((knowledge::read_settings(c)?, knowledge::list_faq(c)?)))
        .await?;
    let flash = match q.hecho.as_deref() {
        Some("numero") => Some("Número de WhatsApp guardado."),
        Some("bot") => Some("Ajustes del bot guardados."),
        Some("faq") => Some("Preguntas frecuentes actualizadas."),
        _ => None,
    };
    b.page(
        &state,
        "settings/whatsapp.html",
        "ajustes",
        context! { number, settings, faq, flash },
    )
    .await
}

#[derive(Deserialize)]
struct NumberForm {
    phone_number_id: String,
    #[serde(default)]
    business_account_id: String,
    #[serde(default)]
    mps: String,
    #[serde(default)]
    verify_token: String,
    #[serde(default)]
    app_secret: String,
    #[serde(default)]
    access_token: String,
}

fn blank_keeps(new: &str, stored: Option<&String>) -> String {
    match (new.trim(), stored) {
        ("", Some(old)) => old.clone(),
        (v, _) => v.to_owned(),
    }
}

async fn save_number(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<NumberForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let mps = match f.mps.trim() {
        "" => None,
        v => Some(v.parse::<u32>().map_err(|_| {
            AppError::validation(
                "mps",
                "number",
                msg("Escribe un número entero.", "Enter a whole number."),
            )
        })?),
    };
    let (keyring, key) = (state.keyring.clone(), b.slug().clone());
    state
        .registry
        .control()
        .write(move |c| {
            let old = config::by_brand(c, &keyring, &key)?;
            let input = NumberInput {
                phone_number_id: f.phone_number_id.trim().to_owned(),
                waba_id: Some(f.business_account_id.trim().to_owned()).filter(|w| !w.is_empty()),
                verify_token: blank_keeps(&f.verify_token, old.as_ref().map(|o| &o.verify_token)),
                app_secret: blank_keeps(&f.app_secret, old.as_ref().map(|o| &o.app_secret)),
                access_token: blank_keeps(&f.access_token, old.as_ref().map(|o| &o.access_token)),
                mps: mps.or(old.as_ref().map(|o| o.mps)),
            };
            config::set(c, &keyring, &key, &input, now_ms())
        })
        .await?;
    Ok(done(&headers, &b, "numero"))
}

/// The bot form: every field present, blank removes the setting.
#[derive(Deserialize)]
struct BotForm {
    #[serde(default)]
    horario: String,
    #[serde(default)]
    fuera_de_horario: String,
    #[serde(default)]
    plantilla: String,
    #[serde(default)]
    plantilla_idioma: String,
}

async fn save_bot(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<BotForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let s = Settings {
        horario: Some(f.horario),
        fuera_de_horario: Some(f.fuera_de_horario),
        plantilla: Some(f.plantilla),
        plantilla_idioma: Some(f.plantilla_idioma),
    };
    s.check()?;
    b.tenant
        .write(move |c| knowledge::write_settings(c, &s))
        .await?;
    Ok(done(&headers, &b, "bot"))
}

#[derive(Deserialize)]
struct FaqForm {
    pregunta: String,
    respuesta: String,
}

impl FaqForm {
    fn entry(self) -> Faq {
        Faq {
            id: 0,
            pregunta: self.pregunta,
            respuesta: self.respuesta,
        }
    }
}

async fn add_faq(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<FaqForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let entry = f.entry();
    entry.check()?;
    b.tenant
        .write(move |c| knowledge::add_faq(c, &entry, now_ms()))
        .await?;
    Ok(done(&headers, &b, "faq"))
}

async fn update_faq(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<FaqForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let entry = f.entry();
    entry.check()?;
    b.tenant
        .write(move |c| knowledge::update_faq(c, id, &entry))
        .await?;
    Ok(done(&headers, &b, "faq"))
}

async fn delete_faq(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    b.tenant
        .write(move |c| knowledge::delete_faq(c, id))
        .await?;
    Ok(done(&headers, &b, "faq"))
}

fn done(headers: &HeaderMap, b: &UiBrand, what: &str) -> Response {
    see_other(
        headers,
        &format!("/m/{}/ajustes/whatsapp?hecho={what}", b.slug()),
    )
}
