//! The counter/phone order screen: find or create the customer from one field (phone or
//! name), pick products by search or category, and confirm in one tap.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::ItemInput;
use super::store::{self, NewOrder};
use crate::app::AppState;
use crate::auth::Access;
use crate::customers::{self, CustomerInput};
use crate::error::{AppError, msg};
use crate::tenants::ids::ProductId;
use crate::time::now_ms;
use crate::web::ui::{Ui, UiBrand, see_other};

/// The form and its customer lookup (the post goes to `/m/{slug}/pedidos`, see [`create`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/pedidos/nuevo", get(new_order))
        .route("/m/{slug}/pedidos/cliente", get(customer_lookup))
}

#[derive(Deserialize, Default)]
struct NewQuery {
    tel: Option<String>,
    hecho: Option<i64>,
}

async fn new_order(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<NewQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    render_new(
        &state,
        &b,
        q.tel.unwrap_or_default(),
        q.hecho,
        None,
        HashMap::new(),
    )
    .await
}

async fn render_new(
    state: &AppState,
    b: &UiBrand,
    cliente: String,
    done: Option<i64>,
    error: Option<Vec<String>>,
    qty: HashMap<i64, i64>,
) -> Result<Html<String>, AppError> {
    let products = b
        .tenant
        .read(|c| {
            let filter = crate::products::store::Filter {
                active: Some(true),
                ..Default::default()
            };
            Ok(crate::products::store::list(c, &filter, None, 500)?.0)
        })
        .await?;
    // Cross-sell hints per product (Goio, every brand): "también llevan …".
    let hints = b
        .tenant
        .read(|c| crate::restock::suggestions::names_for_all(c, 2))
        .await?;
    let mut categories: Vec<String> = products.iter().map(|p| p.category.clone()).collect();
    categories.dedup();
    let brand = b.brand();
    let digits = crate::web::format_minor_digits(&brand.moneda);
    let pattern = crate::web::money_pattern(&brand.moneda);
    let products: Vec<minijinja::Value> = products
        .iter()
        .map(|p| {
            context! { id => p.id, sku => &p.sku, nombre => &p.name, categoria => &p.category,
            precio => p.price, stock => p.stock, q => qty.get(&p.id).copied().unwrap_or(0),
            sugerencias => hints.get(&p.id).cloned().unwrap_or_default() }
        })
        .collect();
    let ctx =
        context! { products, categories, cliente, done, error, digits, money_pattern => pattern };
    b.page(state, "orders/new.html", "nuevo", ctx).await
}

#[derive(Deserialize)]
struct LookupQuery {
    #[serde(default)]
    cliente: String,
}

/// The "who is it" box of the order form: a phone finds the customer or offers to create
/// one; a name lists matches to pick from.
async fn customer_lookup(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<LookupQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let brand = b.brand();
    let text = q.cliente.trim().to_string();
    let phone = looks_like_phone(&text)
        .then(|| customers::normalize_phone(&text, &brand))
        .flatten();
    let (found, matches) = b
        .tenant
        .read({
            let (phone, text) = (phone.clone(), text.clone());
            move |c| {
                if let Some(p) = &phone {
                    return Ok((customers::store::find_by_phone(c, p)?, Vec::new()));
                }
                if text.chars().count() < 2 || looks_like_phone(&text) {
                    return Ok((None, Vec::new()));
                }
                let filter = customers::store::Filter {
                    search: Some(text),
                    ..Default::default()
                };
                let sort = customers::store::SortBy::TopSpenders;
                Ok((None, customers::store::list(c, &filter, sort, None, 5)?.0))
            }
        })
        .await?;
    let puntos = match found.as_ref().map(|c| c.id) {
        Some(id) => {
            let now = crate::time::now_ms();
            b.tenant
                .read(move |c| crate::loyalty::store::summary(c, id, now))
                .await?
        }
        None => None,
    };
    let ctx = context! {
        puntos,
        text, phone, bad_phone => looks_like_phone(&q.cliente) && phone.is_none(),
        found => found.map(|c| context! { id => c.id, nombre => c.name, telefono => c.phone, pedidos => c.orders_count, direccion => c.address }),
        matches => matches.into_iter().map(|c| context! { id => c.id, nombre => c.name, telefono => c.phone }).collect::<Vec<_>>(),
    };
    b.fragment("orders/_customer.html", ctx)
}

/// Digits, spaces and `+()-` with at least six digits: what staff type for a phone.
fn looks_like_phone(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    digits >= 6
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-.".contains(c))
}

/// Creates a confirmed order from the counter/phone form.
pub async fn create(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let brand = b.brand();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut qty: HashMap<i64, i64> = HashMap::new();
    for (k, v) in &fields {
        if let Some(id) = k.strip_prefix("q_").and_then(|i| i.parse::<i64>().ok()) {
            let n: i64 = v.trim().parse().unwrap_or(0);
            if n > 0 {
                *qty.entry(id).or_default() += n;
            }
        }
    }
    let (cliente, nombre, notas) = (get("cliente"), get("nombre"), get("notas"));
    let canal = match get("canal").as_str() {
        "presencial" => "presencial",
        _ => "telefono",
    };
    let picked: Option<i64> = get("cliente_id").parse().ok();
    let items: Vec<ItemInput> = qty
        .iter()
        .map(|(id, n)| ItemInput {
            producto_id: Some(ProductId::new(b.slug(), *id)),
            sku: None,
            cantidad: *n,
        })
        .collect();
    let who = if picked.is_some() {
        None
    } else if cliente.is_empty() {
        Some(CustomerInput {
            nombre: if nombre.is_empty() {
                "Cliente de mostrador".into()
            } else {
                nombre.clone()
            },
            etiquetas: vec!["mostrador".into()],
            canal_adquisicion: Some(canal.into()),
            ..Default::default()
        })
    } else if looks_like_phone(&cliente) {
        Some(CustomerInput {
            nombre: if nombre.is_empty() {
                cliente.clone()
            } else {
                nombre.clone()
            },
            telefono: Some(cliente.clone()),
            canal_adquisicion: Some(canal.into()),
            ..Default::default()
        })
    } else {
        Some(CustomerInput {
            nombre: cliente.clone(),
            canal_adquisicion: Some(canal.into()),
            ..Default::default()
        })
    };
    let result = async {
        let fields = who.map(|w| w.validate(&brand)).transpose()?;
        if notas.chars().count() > 2000 {
            return Err(AppError::validation(
                "notas",
                "too_long",
                msg(
                    "Notas de hasta 2000 caracteres.",
                    "Notes up to 2000 characters.",
                ),
            ));
        }
        let (actor, key, notes) = (b.tenant.actor(), b.slug().clone(), notas.clone());
        b.tenant
            .write(move |c| {
                let now = now_ms();
                let customer_id = match (picked, &fields) {
                    (Some(id), _) => {
                        customers::store::get(c, id)?
                            .ok_or(AppError::NotFound("cliente"))?
                            .id
                    }
                    (None, Some(f))
                        if f.phone.is_none() && f.tags.iter().any(|t| t == "mostrador") =>
                    {
                        walk_in(c, &key, f, now)?
                    }
                    (None, Some(f)) => customers::find_or_create(c, &key, f, now)?.id,
                    (None, None) => return Err(AppError::NotFound("cliente")),
                };
                let new = NewOrder {
                    customer_id,
                    channel: canal,
                    items: &items,
                    notes: (!notes.is_empty()).then_some(notes.as_str()),
                    external_id: None,
                    actor: &actor,
                    confirm: true,
                };
                store::create(c, &new, now)
            })
            .await
    }
    .await;
    match result {
        Ok(order) => Ok(see_other(
            &headers,
            &format!("/m/{slug}/pedidos/nuevo?hecho={}", order.id),
        )),
        Err(AppError::Validation(errors)) => {
            let lang_en = ui.lang() == "en";
            let list = errors
                .iter()
                .map(|e| {
                    if lang_en {
                        e.message.en.clone()
                    } else {
                        e.message.es.clone()
                    }
                })
                .collect();
            let mut html = render_new(&state, &b, cliente, None, Some(list), qty)
                .await?
                .into_response();
            *html.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(html)
        }
        Err(AppError::Conflict { message, .. }) => {
            let text = if ui.lang() == "en" {
                message.en
            } else {
                message.es
            };
            let mut html = render_new(&state, &b, cliente, None, Some(vec![text]), qty)
                .await?
                .into_response();
            *html.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(html)
        }
        Err(e) => Err(e),
    }
}

/// The shared "counter customer" for walk-ins who give no phone: one per brand, so
/// anonymous sales do not create a customer each.
fn walk_in(
    c: &rusqlite::Connection,
    slug: &crate::tenants::Slug,
    f: &customers::CustomerFields,
    now: i64,
) -> Result<i64, AppError> {
    if f.name != "Cliente de mostrador" {
        return Ok(customers::store::insert(c, slug, f, now)?.id);
    }
    let filter = customers::store::Filter {
        tag: Some("mostrador".into()),
        ..Default::default()
    };
    let sort = customers::store::SortBy::OldestFirst;
    match customers::store::list(c, &filter, sort, None, 1)?.0.first() {
        Some(existing) => Ok(existing.id),
        None => Ok(customers::store::insert(c, slug, f, now)?.id),
    }
}
