//! Order screens: the counter/phone order form, the live board (one column per status),
//! the kitchen view, the printable ticket and the server-sent event stream behind them.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use futures_util::Stream;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::counter;
use super::store::{self, Filter};
use super::{Order, Status};
use crate::app::AppState;
use crate::auth::Access;
use crate::customers;
use crate::error::{AppError, msg};
use crate::time::now_ms;
use crate::web::ui::{Ui, UiBrand, is_htmx, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/pedidos", get(board).post(counter::create))
        .route("/m/{slug}/pedidos/tablero", get(board_fragment))
        .route("/m/{slug}/pedidos/{id}", get(ticket))
        .route("/m/{slug}/pedidos/{id}/estado", post(move_order))
        .route("/m/{slug}/cocina", get(kitchen))
        .route("/m/{slug}/cocina/tablero", get(kitchen_fragment))
        .route("/m/{slug}/eventos", get(events))
        .merge(counter::router())
}

/// An order as a card shows it.
#[derive(Serialize)]
struct Card {
    id: i64,
    estado: &'static str,
    canal: String,
    cliente: String,
    telefono: Option<String>,
    items: Vec<(i64, String)>,
    total: i64,
    notas: Option<String>,
    creado_en: i64,
    nuevo: bool,
    siguientes: Vec<(&'static str, &'static str)>,
}

fn card(o: Order, names: &HashMap<i64, (String, Option<String>)>) -> Card {
    let (cliente, telefono) = names.get(&o.customer_id).cloned().unwrap_or_default();
    Card {
        id: o.id,
        estado: o.status.as_str(),
        canal: o.channel,
        cliente,
        telefono,
        items: o.items.into_iter().map(|i| (i.quantity, i.name)).collect(),
        total: o.total,
        notas: o.notes,
        creado_en: o.created_at,
        nuevo: now_ms() - o.created_at < 3 * 60 * 1000,
        siguientes: o
            .status
            .next()
            .iter()
            .filter(|s| **s != Status::Cancelado)
            .map(|s| (s.as_str(), s.label()))
            .collect(),
    }
}

/// Orders in `statuses` (newest `per_status` of each) as cards, with customer names.
async fn cards(
    b: &UiBrand,
    statuses: &'static [Status],
    per_status: u32,
) -> Result<Vec<Card>, AppError> {
    b.tenant
        .read(move |c| {
            let mut orders = Vec::new();
            for s in statuses {
                let filter = Filter {
                    status: Some(*s),
                    ..Filter::default()
                };
                orders.extend(store::list(c, &filter, None, per_status)?.0);
            }
            let mut names = HashMap::new();
            for o in &orders {
                if !names.contains_key(&o.customer_id)
                    && let Some(cu) = customers::store::get(c, o.customer_id)?
                {
                    names.insert(o.customer_id, (cu.name, cu.phone));
                }
            }
            // Oldest first inside a column: the one waiting longest is on top.
            orders.sort_by_key(|o| (o.created_at, o.id));
            Ok(orders.into_iter().map(|o| card(o, &names)).collect())
        })
        .await
}

const BOARD: &[Status] = &[
    Status::Recibido,
    Status::Confirmado,
    Status::EnPreparacion,
    Status::Listo,
    Status::EnCamino,
    Status::Entregado,
];
const KITCHEN: &[Status] = &[Status::Confirmado, Status::EnPreparacion, Status::Listo];

async fn board_ctx(b: &UiBrand) -> Result<minijinja::Value, AppError> {
    let all = cards(b, BOARD, 60).await?;
    let columns: Vec<minijinja::Value> = BOARD
        .iter()
        .map(|s| {
            let mut list: Vec<&Card> = all.iter().filter(|c| c.estado == s.as_str()).collect();
            if *s == Status::Entregado {
                // Done orders: only the latest few, newest first.
                list.reverse();
                list.truncate(12);
            }
            context! { estado => s.as_str(), label => s.label(), cards => list }
        })
        .collect();
    Ok(context! { columns })
}

async fn board(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let ctx = board_ctx(&b).await?;
    b.page(&state, "orders/board.html", "pedidos", ctx).await
}

async fn board_fragment(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let ctx = board_ctx(&b).await?;
    b.fragment("orders/_board.html", ctx)
}

async fn kitchen_ctx(b: &UiBrand) -> Result<minijinja::Value, AppError> {
    Ok(context! { cards => cards(b, KITCHEN, 60).await? })
}

async fn kitchen(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let ctx = kitchen_ctx(&b).await?;
    b.page(&state, "orders/kitchen.html", "cocina", ctx).await
}

async fn kitchen_fragment(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let ctx = kitchen_ctx(&b).await?;
    b.fragment("orders/_kitchen.html", ctx)
}

#[derive(Deserialize)]
struct MoveForm {
    estado: String,
    #[serde(default)]
    vista: String,
}

/// Moves an order one step; htmx gets the refreshed board (or kitchen) back.
async fn move_order(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let to = Status::parse(&form.estado).ok_or_else(|| {
        AppError::validation(
            "estado",
            "invalid_status",
            msg("Estado desconocido.", "Unknown status."),
        )
    })?;
    let actor = b.tenant.actor();
    b.tenant
        .write(move |c| store::transition(c, id, to, &actor, None, now_ms()))
        .await?;
    if !is_htmx(&headers) {
        let back = match form.vista.as_str() {
            "cocina" => format!("/m/{slug}/cocina"),
            "ticket" => format!("/m/{slug}/pedidos/{id}"),
            _ => format!("/m/{slug}/pedidos"),
        };
        return Ok(see_other(&headers, &back));
    }
    match form.vista.as_str() {
        "cocina" => Ok(b
            .fragment("orders/_kitchen.html", kitchen_ctx(&b).await?)?
            .into_response()),
        "ticket" => Ok(see_other(&headers, &format!("/m/{slug}/pedidos/{id}"))),
        _ => Ok(b
            .fragment("orders/_board.html", board_ctx(&b).await?)?
            .into_response()),
    }
}

async fn ticket(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let (order, customer, descuentos) = b
        .tenant
        .read(move |c| {
            let o = store::get(c, id)?.ok_or(AppError::NotFound("pedido"))?;
            let cu = customers::store::get(c, o.customer_id)?;
            Ok((o, cu, crate::promotions::store::discounts(c, id)?))
        })
        .await?;
    let history: Vec<minijinja::Value> = order
        .history
        .iter()
        .map(|h| context! { label => h.status.label(), actor => &h.actor, en => h.at, nota => &h.note })
        .collect();
    let can_cancel = order.status.next().contains(&Status::Cancelado);
    let ctx = context! {
        order => card(order.clone(), &HashMap::new()),
        lines => order.items.iter().map(|i| context! { q => i.quantity, nombre => &i.name, precio => i.unit_price, total => i.total }).collect::<Vec<_>>(),
        subtotal => order.subtotal, descuento => order.discount, descuentos,
        estado_label => order.status.label(),
        cliente => customer.map(|c| context! { id => c.id, nombre => c.name, telefono => c.phone, direccion => c.address }),
        history, can_cancel,
    };
    b.page(&state, "orders/ticket.html", "pedidos", ctx).await
}

/// Which screens a batch of changed tables concerns: orders win (the board is the busiest
/// screen); the inbox follows conversations and their messages.
fn event_name(tables: &[String]) -> Option<&'static str> {
    if tables.iter().any(|t| t.starts_with("pedido")) {
        Some("pedidos")
    } else if tables
        .iter()
        .any(|t| t == "conversaciones" || t == "interacciones")
    {
        Some("conversaciones")
    } else {
        None
    }
}

/// Server-sent events: `pedidos` whenever an order of this brand changes, `conversaciones`
/// when the inbox moves.
async fn events(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let rx = state.live.subscribe(state.registry.clone(), b.slug());
    let shutdown = state.live.shutdown_signal();
    let stream = futures_util::stream::unfold(
        (rx, shutdown),
        |(mut rx, mut shutdown)| async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                tokio::select! {
                    r = rx.recv() => match r {
                        Ok(change) => {
                            if let Some(name) = event_name(&change.tables) {
                                let event = Event::default().event(name).data(change.seq.to_string());
                                return Some((Ok(event), (rx, shutdown)));
                            }
                        }
                        Err(RecvError::Lagged(_)) => {
                            let event = Event::default().event("pedidos").data("lagged");
                            return Some((Ok(event), (rx, shutdown)));
                        }
                        Err(RecvError::Closed) => return None,
                    },
                    _ = shutdown.changed() => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
