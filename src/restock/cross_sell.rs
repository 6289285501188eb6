//! Cross-selling in the WhatsApp order flow: the one product to offer for a confirmed cart,
//! the record of each offer and acceptance (interactions of type `venta_cruzada` on the
//! customer's timeline), and the acceptance rate (`GET /api/marcas/{id}/venta-cruzada`).
//!
//! The suggestion uses the same association measures as the counter screen and
//! `/api/productos/{id}/sugerencias` (`analytics::crosssell`), over the same recent orders.

use std::collections::{BTreeMap, HashSet};

use axum::extract::{Path, State};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::analytics::crosssell::{PairOptions, product_pairs};
use crate::api::ApiQuery;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::interactions::{self, NewInteraction};
use crate::tenants::TenantCtx;
use crate::tenants::ids::ProductId;
use crate::time::{now_ms, parse_instant};

/// Interaction type of offers and acceptances.
pub const KIND: &str = "venta_cruzada";

/// The product to offer with a cart.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub producto_id: i64,
    pub sku: String,
    pub nombre: String,
    pub precio: i64,
    /// The cart product it goes with (for the message).
    pub con: String,
    pub confianza: f64,
    pub lift: f64,
}

/// The best product to add to a cart of `cart_skus`: bought with one of them in at least two
/// recent orders, more often than chance (lift > 1), highest confidence first; active, not in
/// the cart, and in stock when its stock is tracked. `None` when nothing qualifies.
pub fn for_cart(c: &Connection, cart_skus: &[String]) -> Result<Option<Offer>, AppError> {
    let mut in_cart: HashSet<i64> = HashSet::new();
    for sku in cart_skus {
        let id: Option<i64> = c
            .prepare_cached("SELECT id FROM productos WHERE sku = ?1")?
            .query_row([sku], |r| r.get(0))
            .ok();
        in_cart.extend(id);
    }
    if in_cart.is_empty() {
        return Ok(None);
    }
    let pairs = product_pairs(&super::suggestions::baskets(c)?, &PairOptions::default());
    let mut candidates: Vec<(f64, f64, i64, i64)> = Vec::new();
    for p in pairs.iter().filter(|p| p.lift > 1.0) {
        if in_cart.contains(&p.product_a) && !in_cart.contains(&p.product_b) {
            candidates.push((p.confidence_a_to_b, p.lift, p.product_b, p.product_a));
        }
        if in_cart.contains(&p.product_b) && !in_cart.contains(&p.product_a) {
            candidates.push((p.confidence_b_to_a, p.lift, p.product_a, p.product_b));
        }
    }
    candidates.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
    });
    for (confianza, lift, product, with) in candidates {
        let row = c
            .prepare_cached(
                "SELECT p.sku, p.nombre, p.precio, (SELECT nombre FROM productos WHERE id = ?2)
                 FROM productos p WHERE p.id = ?1 AND p.activo = 1 AND (p.stock IS NULL OR p.stock > 0)",
            )?
            .query_row(params![product, with], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            });
        if let Ok((sku, nombre, precio, con)) = row {
            return Ok(Some(Offer {
                producto_id: product,
                sku,
                nombre,
                precio,
                con,
                confianza,
                lift,
            }));
        }
    }
    Ok(None)
}

/// `sku` as an offer when it can still be sold (active, in stock when tracked).
pub fn available(c: &Connection, sku: &str) -> Result<Option<Offer>, AppError> {
    let row = c
        .prepare_cached(
            "SELECT id, nombre, precio FROM productos
             WHERE sku = ?1 AND activo = 1 AND (stock IS NULL OR stock > 0)",
        )?
        .query_row([sku], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(row.map(|(producto_id, nombre, precio)| Offer {
        producto_id,
        sku: sku.to_owned(),
        nombre,
        precio,
        con: String::new(),
        confianza: 0.0,
        lift: 0.0,
    }))
}

/// Notes on the customer's timeline that `offer` was offered (`aceptada` false) or accepted;
/// `key` (the WhatsApp message id that caused it) makes a replayed webhook count once.
pub fn record(
    c: &Connection,
    customer: i64,
    offer: &Offer,
    accepted: bool,
    key: &str,
    now: i64,
) -> Result<(), AppError> {
    let (what, body) = if accepted {
        (
            "aceptada",
            format!("Aceptó la sugerencia: {}", offer.nombre),
        )
    } else {
        ("ofrecida", format!("Se le sugirió: {}", offer.nombre))
    };
    interactions::store::insert(
        c,
        &NewInteraction {
            customer_id: customer,
            channel: "whatsapp".into(),
            direction: "interna".into(),
            kind: KIND.into(),
            body,
            external_id: Some(format!("venta:{what}:{key}")),
            order_id: None,
            metadata: json!({ "venta_cruzada": what, "producto_id": offer.producto_id,
                "confianza": offer.confianza, "lift": offer.lift }),
            at: now,
        },
    )?;
    Ok(())
}

/// Offers and acceptances of one product.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductRate {
    pub producto_id: String,
    pub nombre: String,
    pub ofrecidas: i64,
    pub aceptadas: i64,
}

/// The acceptance rate over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rate {
    pub ofrecidas: i64,
    pub aceptadas: i64,
    /// aceptadas / ofrecidas; `null` when nothing was offered.
    pub tasa_aceptacion: Option<f64>,
    pub por_producto: Vec<ProductRate>,
}

/// Offers and acceptances recorded in `[from, to)` (unix ms), per product (local ids).
pub fn rate(c: &Connection, from: i64, to: i64) -> Result<Vec<(i64, String, i64, i64)>, AppError> {
    // The time index narrows to the period; the type filter is cheap on what is left.
    let mut stmt = c.prepare_cached(
        "SELECT json_extract(i.metadatos, '$.producto_id') AS pid, COALESCE(p.nombre, ''),
                SUM(json_extract(i.metadatos, '$.venta_cruzada') = 'ofrecida'),
                SUM(json_extract(i.metadatos, '$.venta_cruzada') = 'aceptada')
         FROM interacciones i LEFT JOIN productos p ON p.id = json_extract(i.metadatos, '$.producto_id')
         WHERE i.creado_en >= ?1 AND i.creado_en < ?2 AND i.tipo = ?3
         GROUP BY pid HAVING pid IS NOT NULL ORDER BY pid",
    )?;
    let rows = stmt.query_map(params![from, to, KIND], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(acceptance))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RateParams {
    /// From (RFC 3339 or a date in the brand's zone); default 90 days ago.
    desde: Option<String>,
    /// Until, exclusive; default now.
    hasta: Option<String>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/venta-cruzada", tag = "productos",
    params(("id" = String, Path, description = "Brand slug"), RateParams),
    responses((status = 200, body = Rate), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn acceptance(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<RateParams>,
) -> Result<axum::Json<Rate>, AppError> {
    let t = TenantCtx::open_slug(&state.registry, &caller, &slug, Access::Read).await?;
    let tz = t.brand().tz();
    let bound = |field: &'static str, v: &Option<String>, default: i64| match v {
        None => Ok(default),
        Some(s) => parse_instant(s.trim(), tz).ok_or_else(|| {
            AppError::validation(field, "invalid", msg("Fecha inválida.", "Invalid date."))
        }),
    };
    let now = now_ms();
    let from = bound("desde", &p.desde, now - 90 * 24 * 3600 * 1000)?;
    let to = bound("hasta", &p.hasta, now + 1)?;
    let rows = t.read(move |c| rate(c, from, to)).await?;
    let slug = t.slug().clone();
    let mut by_product: BTreeMap<i64, ProductRate> = BTreeMap::new();
    let (mut offered, mut accepted) = (0, 0);
    for (pid, nombre, o, a) in rows {
        offered += o;
        accepted += a;
        by_product.insert(
            pid,
            ProductRate {
                producto_id: ProductId::new(&slug, pid).to_string(),
                nombre,
                ofrecidas: o,
                aceptadas: a,
            },
        );
    }
    Ok(axum::Json(Rate {
        ofrecidas: offered,
        aceptadas: accepted,
        tasa_aceptacion: (offered > 0).then(|| accepted as f64 / offered as f64),
        por_producto: by_product.into_values().collect(),
    }))
}
