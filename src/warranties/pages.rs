//! The support screen: every ticket with status and priority filters, a form to open a ticket
//! on a customer (optionally about one of their orders and warranties) and a status change on
//! each row. The inbox thread shows the customer's open tickets (conversations::pages).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::tickets::{self, PRIORITIES, STATUSES, TicketInput, TicketPatch};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::{AppError, msg};
use crate::time::now_ms;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/soporte", get(list).post(create))
        .route("/m/{slug}/soporte/{id}/estado", post(change))
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    estado: String,
    #[serde(default)]
    prioridad: String,
    /// Prefills the new-ticket form (the customer page and the inbox link here).
    #[serde(default)]
    cliente: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(f): Query<Filters>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let (status, priority) = (some(&f.estado), some(&f.prioridad));
    let rows = b
        .tenant
        .read(move |c| tickets::list(c, status.as_deref(), priority.as_deref()))
        .await?;
    b.page(
        &state,
        "support/list.html",
        "soporte",
        context! { tickets => rows, estados => STATUSES, prioridades => PRIORITIES,
        estado => f.estado, prioridad => f.prioridad, cliente => f.cliente },
    )
    .await
}

/// `cli_goio_7`, `7` or empty; anything else is refused.
fn number(field: &str, value: &str) -> Result<Option<i64>, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.rsplit('_')
        .next()
        .and_then(|n| n.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            AppError::validation(
                field,
                "invalid",
                msg("Escriba el número.", "Type the number."),
            )
        })
}

#[derive(Deserialize)]
struct CreateForm {
    cliente: String,
    asunto: String,
    #[serde(default)]
    detalle: String,
    #[serde(default)]
    prioridad: String,
    #[serde(default)]
    pedido: String,
    #[serde(default)]
    garantia: String,
}

async fn create(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let customer = number("cliente", &form.cliente)?.ok_or(AppError::NotFound("cliente"))?;
    let order = number("pedido", &form.pedido)?;
    let input = TicketInput {
        asunto: form.asunto,
        detalle: form.detalle,
        prioridad: some(&form.prioridad),
        pedido_id: None,
        garantia_id: number("garantia", &form.garantia)?,
    };
    b.tenant
        .write(move |c| {
            let exists = c
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM clientes WHERE id = ?1)")?
                .query_row([customer], |r| r.get::<_, bool>(0))?;
            if !exists {
                return Err(AppError::NotFound("cliente"));
            }
            tickets::create(c, customer, &input, order, "personal", now_ms())
        })
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/soporte")))
}

#[derive(Deserialize)]
struct ChangeForm {
    estado: String,
    #[serde(default)]
    prioridad: String,
}

async fn change(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let patch = TicketPatch {
        estado: some(&form.estado),
        prioridad: some(&form.prioridad),
    };
    b.tenant
        .write(move |c| {
            let customer = tickets::owner(c, id)?.ok_or(AppError::NotFound("ticket"))?;
            tickets::update(c, customer, id, &patch, now_ms())
        })
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/soporte")))
}
