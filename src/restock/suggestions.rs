//! Cross-selling suggestions for one product, computed on demand from the brand's most recent
//! orders (cancelled ones left out) with the pure measures of `analytics::crosssell`.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::analytics::crosssell::{PairOptions, product_pairs};
use crate::error::AppError;

/// How many recent orders feed the computation (bounded work per request).
pub const MAX_ORDERS: i64 = 5000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestion {
    pub producto_id: i64,
    pub nombre: String,
    /// Orders with both products.
    pub pedidos_juntos: u32,
    /// together / N orders.
    pub soporte: f64,
    /// P(suggested | this product).
    pub confianza: f64,
    pub lift: f64,
}

/// The order baskets (product ids per order), newest orders first.
pub(crate) fn baskets(c: &Connection) -> Result<Vec<Vec<i64>>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT i.pedido_id, i.producto_id FROM pedido_items i
         WHERE i.producto_id IS NOT NULL AND i.pedido_id IN (
             SELECT id FROM pedidos WHERE estado <> 'cancelado' ORDER BY creado_en DESC, id DESC LIMIT ?1)",
    )?;
    let mut by_order: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in stmt.query_map([MAX_ORDERS], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))? {
        let (order, product) = row?;
        by_order.entry(order).or_default().push(product);
    }
    Ok(by_order.into_values().collect())
}

/// Up to `limit` products bought with `product`, by confidence then lift.
pub fn for_product(
    c: &Connection,
    product: i64,
    min_together: u32,
    limit: usize,
) -> Result<Vec<Suggestion>, AppError> {
    let opts = PairOptions {
        min_together,
        ..PairOptions::default()
    };
    let mut out: Vec<Suggestion> = product_pairs(&baskets(c)?, &opts)
        .into_iter()
        .filter_map(|p| {
            let (other, confidence) = if p.product_a == product {
                (p.product_b, p.confidence_a_to_b)
            } else if p.product_b == product {
                (p.product_a, p.confidence_b_to_a)
            } else {
                return None;
            };
            Some(Suggestion {
                producto_id: other,
                nombre: String::new(),
                pedidos_juntos: p.together,
                soporte: p.support,
                confianza: confidence,
                lift: p.lift,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.confianza
            .total_cmp(&a.confianza)
            .then(b.lift.total_cmp(&a.lift))
            .then(a.producto_id.cmp(&b.producto_id))
    });
    out.truncate(limit);
    for s in &mut out {
        s.nombre = c
            .query_row(
                "SELECT nombre FROM productos WHERE id = ?1",
                [s.producto_id],
                |r| r.get(0),
            )
            .unwrap_or_default();
    }
    Ok(out)
}

/// For every product, the names of up to `per_product` products most often bought with it
/// (confidence, then lift), for the counter order screen. One pass over the baskets.
pub fn names_for_all(
    c: &Connection,
    per_product: usize,
) -> Result<HashMap<i64, Vec<String>>, AppError> {
    let pairs = product_pairs(&baskets(c)?, &PairOptions::default());
    let mut ranked: HashMap<i64, Vec<(f64, f64, i64)>> = HashMap::new();
    for p in pairs {
        ranked
            .entry(p.product_a)
            .or_default()
            .push((p.confidence_a_to_b, p.lift, p.product_b));
        ranked
            .entry(p.product_b)
            .or_default()
            .push((p.confidence_b_to_a, p.lift, p.product_a));
    }
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut stmt = c.prepare_cached("SELECT id, nombre FROM productos")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, name) = row?;
        names.insert(id, name);
    }
    Ok(ranked
        .into_iter()
        .map(|(product, mut others)| {
            others.sort_by(|a, b| {
                b.0.total_cmp(&a.0)
                    .then(b.1.total_cmp(&a.1))
                    .then(a.2.cmp(&b.2))
            });
            let top = others
                .into_iter()
                .take(per_product)
                .filter_map(|(_, _, id)| names.get(&id).cloned())
                .collect();
            (product, top)
        })
        .collect())
}
