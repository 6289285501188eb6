//! The inbox screen: conversations on the left (all, unread, needs a person, mine), the
//! selected thread on the right with the customer's context, a reply box with quick replies
//! (the brand's FAQ answers) and the approved template when the 24-hour window is closed.
//! Both panes follow the change feed live. Staff and above only: analysts do not read
//! customers' private messages.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use std::collections::HashMap;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::reply::{self, Reply};
use super::store::{self, Filter, Patch};
use super::{Conversation, window_open};
use crate::app::AppState;
use crate::auth::Access;
use crate::customers;
use crate::error::{AppError, msg};
use crate::interactions;
use crate::orders;
use crate::time::now_ms;
use crate::web::ui::{Ui, UiBrand, is_htmx, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/bandeja", get(inbox))
        .route("/m/{slug}/bandeja/lista", get(list_fragment))
        .route("/m/{slug}/bandeja/insignia", get(badge))
        .route("/m/{slug}/bandeja/{id}", get(thread_page))
        .route("/m/{slug}/bandeja/{id}/hilo", get(thread_fragment))
        .route("/m/{slug}/bandeja/{id}/responder", post(send_reply))
        .route("/m/{slug}/bandeja/{id}/accion", post(act))
}

/// How many conversations the list shows.
const LIST_SIZE: u32 = 60;
/// How many messages a thread shows (the newest).
const THREAD_SIZE: u32 = 80;

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    filtro: String,
}

/// The list's filter tabs: (key, label).
const TABS: &[(&str, &str)] = &[
    ("todas", "Todas"),
    ("no_leidos", "No leídos"),
    ("humano", "Necesitan atención"),
    ("mias", "Asignadas a mí"),
];

fn filter_for(key: &str, me: &str) -> (&'static str, Filter) {
    match key {
        "no_leidos" => (
            "no_leidos",
            Filter {
                unread: true,
                ..Filter::default()
            },
        ),
        "humano" => (
            "humano",
            Filter {
                needs_human: true,
                status: Some("abierta".into()),
                ..Filter::default()
            },
        ),
        "mias" => (
            "mias",
            Filter {
                assigned_to: Some(me.to_owned()),
                ..Filter::default()
            },
        ),
        _ => ("todas", Filter::default()),
    }
}

/// A conversation as a row of the list.
#[derive(Serialize)]
struct Row {
    id: i64,
    cliente: String,
    resumen: String,
    en: i64,
    no_leidos: i64,
    humano: bool,
    motivo: Option<String>,
    asignado: Option<String>,
    cerrada: bool,
}

fn row(c: Conversation) -> Row {
    Row {
        id: c.customer_id,
        cliente: c.customer_name,
        resumen: c.last_summary,
        en: c.last_message_at,
        no_leidos: c.unread,
        humano: c.needs_human,
        motivo: c.human_reason,
        asignado: c.assigned_to,
        cerrada: c.status == "cerrada",
    }
}

async fn list_ctx(
    b: &UiBrand,
    tab: &str,
    selected: Option<i64>,
) -> Result<minijinja::Value, AppError> {
    let (tab, filter) = filter_for(tab, &b.tenant.actor());
    let (rows, waiting) = b
        .tenant
        .read(move |c| {
            let rows = store::list(c, &filter, None, LIST_SIZE)?;
            Ok((rows, store::needs_human_count(c)?))
        })
        .await?;
    Ok(context! {
        tab, tabs => TABS, selected, waiting,
        rows => rows.into_iter().map(row).collect::<Vec<_>>(),
    })
}

/// One message bubble.
#[derive(Serialize)]
struct Bubble {
    entrante: bool,
    tipo: String,
    cuerpo: String,
    en: i64,
    /// Delivery state of an outgoing WhatsApp message (pendiente, enviado, entregado, leido, fallido).
    estado: Option<String>,
    error: Option<String>,
}

/// Delivery states of the customer's outgoing WhatsApp messages by outbox id, read in one
/// query for the whole thread (state, error).
fn delivery_states(
    c: &Connection,
    customer: i64,
) -> Result<HashMap<i64, (String, Option<String>)>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT s.outbox_id, s.estado, pii_open(s.error_detalle) FROM wa_salientes s
         JOIN outbox o ON o.id = s.outbox_id WHERE o.cliente_id = ?1",
    )?;
    let rows = stmt.query_map([customer], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Everything the thread pane shows, read in one go.
struct Thread {
    conv: Conversation,
    customer: Option<customers::Customer>,
    bubbles: Vec<Bubble>,
    orders: Vec<orders::Order>,
    quick: Vec<String>,
    template: Option<String>,
    loyalty: Option<crate::loyalty::store::Summary>,
    tickets: Vec<crate::warranties::tickets::Ticket>,
}

fn read_thread(c: &Connection, id: i64) -> Result<Thread, AppError> {
    let conv = store::get(c, id)?.ok_or(AppError::NotFound("conversación"))?;
    let filter = interactions::store::Filter {
        customer_id: Some(id),
        search: None,
        channel: Some("whatsapp".into()),
        kind: None,
        from: None,
        to: None,
    };
    let (mut messages, _) = interactions::store::list(c, &filter, None, THREAD_SIZE)?;
    messages.sort_by_key(|i| (i.created_at, i.id));
    let states = delivery_states(c, id)?;
    let mut bubbles = Vec::with_capacity(messages.len());
    for i in &messages {
        let (estado, error) = i
            .metadata
            .get("outbox_id")
            .and_then(|v| v.as_i64())
            .and_then(|o| states.get(&o).cloned())
            .map_or((None, None), |(s, e)| (Some(s), e));
        bubbles.push(Bubble {
            entrante: i.direction == "entrante",
            tipo: i.kind.clone(),
            cuerpo: i.body.clone(),
            en: i.created_at,
            estado,
            error,
        });
    }
    let order_filter = orders::store::Filter {
        customer_id: Some(id),
        ..orders::store::Filter::default()
    };
    let (recent_orders, _) = orders::store::list(c, &order_filter, None, 3)?;
    let quick = c
        .prepare_cached("SELECT respuesta FROM wa_faq ORDER BY id LIMIT 8")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Thread {
        conv,
        customer: customers::store::get(c, id)?,
        bubbles,
        orders: recent_orders,
        quick,
        template: crate::whatsapp::bot::knowledge::template(c)?.map(|t| t.0),
        loyalty: crate::loyalty::store::summary(c, id, crate::time::now_ms())?,
        tickets: crate::warranties::tickets::open_for_customer(c, id)?,
    })
}

fn thread_ctx(t: Thread, now: i64) -> minijinja::Value {
    let window = window_open(t.conv.last_inbound_at, now);
    context! {
        conv => row(t.conv),
        ventana => window,
        cliente => t.customer.map(|c| context! {
            id => c.id, telefono => c.phone, segmento => c.segment, pedidos => c.orders_count,
            total => c.total_spent, ultimo => c.last_order_at, etiquetas => c.tags,
        }),
        mensajes => t.bubbles,
        pedidos => t.orders.iter().map(|o| context! {
            id => o.id, estado => o.status.label(), total => o.total, en => o.created_at,
        }).collect::<Vec<_>>(),
        rapidas => t.quick,
        plantilla => t.template,
        puntos => t.loyalty,
        tickets => t.tickets,
    }
}

async fn thread_of(b: &UiBrand, id: i64, mark_read: bool) -> Result<minijinja::Value, AppError> {
    if mark_read {
        let now = now_ms();
        let read = Patch {
            read: true,
            ..Patch::default()
        };
        // Opening a thread reads it; a missing conversation is reported by the read below.
        b.tenant
            .write(move |c| match store::update(c, id, &read, now) {
                Err(AppError::NotFound(_)) => Ok(()),
                other => other,
            })
            .await?;
    }
    let t = b.tenant.read(move |c| read_thread(c, id)).await?;
    Ok(thread_ctx(t, now_ms()))
}

/// The nav badge: how many conversations wait for a person (polled by every staff page).
async fn badge(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let waiting = b.tenant.read(store::needs_human_count).await?;
    b.fragment("inbox/_badge.html", context! { waiting })
}

async fn inbox(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let list = list_ctx(&b, &q.filtro, None).await?;
    b.page(
        &state,
        "inbox/index.html",
        "bandeja",
        context! { list, thread => () },
    )
    .await
}

async fn list_fragment(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let selected = headers
        .get("x-inbox-selected")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let list = list_ctx(&b, &q.filtro, selected).await?;
    b.fragment("inbox/_list.html", context! { list })
}

async fn thread_page(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let thread = thread_of(&b, id, true).await?;
    let list = list_ctx(&b, &q.filtro, Some(id)).await?;
    b.page(
        &state,
        "inbox/index.html",
        "bandeja",
        context! { list, thread },
    )
    .await
}

async fn thread_fragment(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    // The screen is open on this thread, so what arrives is being read.
    let thread = thread_of(&b, id, true).await?;
    b.fragment("inbox/_thread.html", context! { thread })
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    texto: String,
    /// "1" sends the brand's template instead of the text.
    #[serde(default)]
    plantilla: String,
    /// A token the form carries so a double submit sends once.
    #[serde(default)]
    envio: String,
}

async fn send_reply(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let what = if form.plantilla == "1" {
        Reply::Template
    } else {
        reply::text(&form.texto)?
    };
    let now = now_ms();
    let nonce = if form.envio.is_empty() {
        format!("{now}:{}", rand::random::<u32>())
    } else {
        form.envio.chars().take(64).collect()
    };
    let key = format!("staff-ui:{id}:{nonce}");
    b.tenant
        .write(move |c| reply::queue(c, id, &what, &key, now))
        .await?;
    after_change(&b, &headers, id).await
}

#[derive(Deserialize)]
struct ActionForm {
    accion: String,
}

async fn act(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let me = b.tenant.actor();
    let patch = match form.accion.as_str() {
        "asignarme" => Patch {
            assigned_to: Some(Some(me)),
            ..Patch::default()
        },
        "liberar" => Patch {
            assigned_to: Some(None),
            ..Patch::default()
        },
        "cerrar" => Patch {
            status: Some("cerrada".into()),
            needs_human: Some(false),
            ..Patch::default()
        },
        "reabrir" => Patch {
            status: Some("abierta".into()),
            ..Patch::default()
        },
        "al_bot" => Patch {
            needs_human: Some(false),
            ..Patch::default()
        },
        _ => {
            return Err(AppError::validation(
                "accion",
                "one_of",
                msg("Acción desconocida.", "Unknown action."),
            ));
        }
    };
    let now = now_ms();
    b.tenant
        .write(move |c| store::update(c, id, &patch, now))
        .await?;
    after_change(&b, &headers, id).await
}

/// htmx gets the refreshed thread; a plain form post goes back to the thread page.
async fn after_change(b: &UiBrand, headers: &HeaderMap, id: i64) -> Result<Response, AppError> {
    if is_htmx(headers) {
        let thread = thread_of(b, id, false).await?;
        return Ok(b
            .fragment("inbox/_thread.html", context! { thread })?
            .into_response());
    }
    Ok(see_other(headers, &format!("/m/{}/bandeja/{id}", b.slug())))
}
