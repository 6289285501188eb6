//! Stock screens: every tracked product with its low-stock threshold (low ones first), a
//! product's ledger with the receipt, adjustment and threshold forms, its restock requests
//! with a customer search to add one, and all restock requests of the brand.
//!
//! Anyone who can see the brand may look; adding a customer to a waiting list is a write
//! (as in the API); moving stock and the threshold are for managers and owners (the same
//! `Access::Admin` the catalogue's stock edit asks). A bad form comes back with its error.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::stock::{self, Adjust};
use crate::app::AppState;
use crate::auth::Access;
use crate::customers::store as customers;
use crate::error::{AppError, msg};
use crate::time::now_ms;
use crate::web::ui::{Ui, UiBrand, input_error, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/stock", get(list))
        .route("/m/{slug}/stock/avisos", get(requests))
        .route("/m/{slug}/stock/{id}", get(product))
        .route("/m/{slug}/stock/{id}/recibir", post(receive))
        .route("/m/{slug}/stock/{id}/ajustar", post(adjust))
        .route("/m/{slug}/stock/{id}/minimo", post(threshold))
        .route("/m/{slug}/stock/{id}/avisos", post(add_request))
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let rows = b.tenant.read(stock::overview).await?;
    let low = rows.iter().filter(|r| r.bajo).count();
    b.page(
        &state,
        "stock/list.html",
        "stock",
        context! { rows, low, can_adjust => b.can(Access::Admin) },
    )
    .await
}

/// A restock request with the names staff read.
#[derive(Debug, Serialize)]
struct RequestRow {
    id: i64,
    producto_id: i64,
    producto: String,
    cliente_id: i64,
    cliente: String,
    estado: String,
    origen: String,
    creado_en: i64,
    enviado_en: Option<i64>,
}

fn request_rows(
    c: &rusqlite::Connection,
    product: Option<i64>,
) -> Result<Vec<RequestRow>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT a.id, a.producto_id, p.nombre, a.cliente_id, cl.nombre, a.estado, a.origen,
                a.creado_en, a.enviado_en
         FROM avisos_reposicion a JOIN productos p ON p.id = a.producto_id
         JOIN clientes cl ON cl.id = a.cliente_id
         WHERE ?1 IS NULL OR a.producto_id = ?1
         ORDER BY p.nombre, a.estado = 'esperando' DESC, a.id DESC LIMIT 1000",
    )?;
    Ok(stmt
        .query_map([product], |r| {
            Ok(RequestRow {
                id: r.get(0)?,
                producto_id: r.get(1)?,
                producto: r.get(2)?,
                cliente_id: r.get(3)?,
                cliente: r.get(4)?,
                estado: r.get(5)?,
                origen: r.get(6)?,
                creado_en: r.get(7)?,
                enviado_en: r.get(8)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

async fn requests(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let rows = b.tenant.read(|c| request_rows(c, None)).await?;
    b.page(&state, "stock/requests.html", "stock", context! { rows })
        .await
}

#[derive(Deserialize, Default)]
struct ProductQuery {
    /// Customer search for the waiting-list form: a name or a phone.
    #[serde(default)]
    q: String,
}

/// Which form an error belongs to, and its text.
type FormError = Option<(&'static str, String)>;

async fn product_page(
    state: &AppState,
    b: &UiBrand,
    id: i64,
    search: String,
    error: FormError,
) -> Result<Response, AppError> {
    let brand = b.brand();
    let search = search.trim().to_string();
    let find = (b.can(Access::Write) && search.chars().count() >= 2).then(|| customers::Filter {
        search: Some(search.clone()),
        country: brand.country(),
        ..Default::default()
    });
    let (p, movements, notes, waiting, matches) = b
        .tenant
        .read(move |c| {
            let p = crate::products::store::get(c, id)?.ok_or(AppError::NotFound("producto"))?;
            let matches = match find {
                Some(f) => customers::list(c, &f, customers::SortBy::Name, None, 8)?.0,
                None => Vec::new(),
            };
            Ok((
                p,
                super::ledger::movements(c, id, 200)?,
                stock::notes(c, id)?,
                request_rows(c, Some(id))?,
                matches,
            ))
        })
        .await?;
    let minimo = p.attributes.get("stock_minimo").and_then(|v| v.as_i64());
    let movements: Vec<_> = movements
        .into_iter()
        .map(|m| {
            let nota = notes.get(&m.id).cloned();
            context! { id => m.id, delta => m.delta, stock_resultante => m.stock_resultante,
            tipo => m.tipo, pedido_id => m.pedido_id, creado_en => m.creado_en, nota }
        })
        .collect();
    let matches: Vec<_> = matches
        .into_iter()
        .map(|c| context! { id => c.id, nombre => c.name, telefono => c.phone })
        .collect();
    let (error_form, error) = error.unzip();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = context! {
        p => context! { id => p.id, sku => p.sku, nombre => p.name, stock => p.stock, precio => p.price },
        minimo, bajo => matches!((p.stock, minimo), (Some(s), Some(m)) if s <= m),
        movements, waiting, matches, q => search, searched => !search.is_empty(),
        error_form, error, can_adjust => b.can(Access::Admin),
    };
    let html = b.page(state, "stock/product.html", "stock", ctx).await?;
    Ok((status, html).into_response())
}

async fn product(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<ProductQuery>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    product_page(&state, &b, id, q.q, None).await
}

/// After a post: back to the product on success, or the page again with the form's error.
async fn finish(
    state: &AppState,
    b: &UiBrand,
    headers: &HeaderMap,
    id: i64,
    form: &'static str,
    result: Result<(), AppError>,
) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(see_other(
            headers,
            &format!("/m/{}/stock/{id}", b.slug().as_str()),
        )),
        Err(e) => match input_error(&e, b.ui.lang()) {
            Some(text) => product_page(state, b, id, String::new(), Some((form, text))).await,
            None => Err(e),
        },
    }
}

fn whole(field: &str, text: &str) -> Result<i64, AppError> {
    text.trim()
        .trim_start_matches('+')
        .parse::<i64>()
        .map_err(|_| {
            AppError::validation(
                field,
                "invalid_number",
                msg("Escriba un número entero.", "Type a whole number."),
            )
        })
}

#[derive(Deserialize)]
struct ReceiveForm {
    #[serde(default)]
    cantidad: String,
    #[serde(default)]
    nota: String,
}

async fn receive(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ReceiveForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let result = match whole("cantidad", &form.cantidad) {
        Ok(qty) => {
            b.tenant
                .write(move |c| stock::receive(c, id, qty, &form.nota, now_ms()).map(|_| ()))
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &b, &headers, id, "recibir", result).await
}

#[derive(Deserialize)]
struct AdjustForm {
    /// `contado` (the counted quantity) or `diferencia` (±N).
    #[serde(default)]
    modo: String,
    #[serde(default)]
    cantidad: String,
    #[serde(default)]
    motivo: String,
}

async fn adjust(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<AdjustForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let how = whole("cantidad", &form.cantidad).map(|n| {
        if form.modo == "diferencia" {
            Adjust::By(n)
        } else {
            Adjust::To(n)
        }
    });
    let result = match how {
        Ok(how) => {
            b.tenant
                .write(move |c| stock::adjust(c, id, how, &form.motivo, now_ms()).map(|_| ()))
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &b, &headers, id, "ajustar", result).await
}

#[derive(Deserialize)]
struct ThresholdForm {
    #[serde(default)]
    stock_minimo: String,
}

async fn threshold(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ThresholdForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let min = match form.stock_minimo.trim() {
        "" => Ok(None),
        t => whole("stock_minimo", t).map(Some),
    };
    let result = match min {
        Ok(min) => {
            b.tenant
                .write(move |c| stock::set_threshold(c, id, min, now_ms()))
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &b, &headers, id, "minimo", result).await
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default)]
    cliente_id: String,
}

async fn add_request(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<RequestForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let result = match whole("cliente_id", &form.cliente_id) {
        Ok(customer) => {
            b.tenant
                .write(move |c| super::request(c, customer, id, "personal", now_ms()).map(|_| ()))
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &b, &headers, id, "avisos", result).await
}
