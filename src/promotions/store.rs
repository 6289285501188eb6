//! SQL for promotion rules and order discount lines.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use utoipa::ToSchema;

use super::engine::{self, Applied, Line, Rule};
use crate::error::AppError;

const RULE_COLUMNS: &str = "id, nombre, tipo, porcentaje, producto_id, categoria, dias, minuto_desde, minuto_hasta, segmento, zona_horaria, activo";

fn rule_row(r: &rusqlite::Row) -> rusqlite::Result<Rule> {
    let days: String = r.get(6)?;
    Ok(Rule {
        id: r.get(0)?,
        nombre: r.get(1)?,
        tipo: r.get(2)?,
        porcentaje: r.get(3)?,
        producto_id: r.get(4)?,
        categoria: r.get(5)?,
        dias: engine::parse_days(&days).unwrap_or_default(),
        minuto_desde: r.get(7)?,
        minuto_hasta: r.get(8)?,
        segmento: r.get(9)?,
        zona_horaria: r.get(10)?,
        activo: r.get(11)?,
    })
}

pub fn rules(conn: &Connection) -> Result<Vec<Rule>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {RULE_COLUMNS} FROM promociones ORDER BY id"
        ))?
        .query_map([], rule_row)?
        .collect::<Result<_, _>>()?)
}

pub fn rule(conn: &Connection, id: i64) -> Result<Option<Rule>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {RULE_COLUMNS} FROM promociones WHERE id = ?1"
        ))?
        .query_row([id], rule_row)
        .optional()?)
}

/// Inserts a validated rule.
pub fn insert_rule(conn: &Connection, r: &Rule, now: i64) -> Result<Rule, AppError> {
    let days: Vec<String> = r.dias.iter().map(u32::to_string).collect();
    conn.execute(
        "INSERT INTO promociones (nombre, tipo, porcentaje, producto_id, categoria, dias, minuto_desde, minuto_hasta, segmento, zona_horaria, activo, creado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![r.nombre, r.tipo, r.porcentaje, r.producto_id, r.categoria, days.join(","),
            r.minuto_desde, r.minuto_hasta, r.segmento, r.zona_horaria, r.activo, now],
    )?;
    rule(conn, conn.last_insert_rowid())?.ok_or_else(|| AppError::internal("rule vanished"))
}

/// Replaces a rule's conditions and discount (keeps its id, creation time and `activo`).
pub fn update_rule(conn: &Connection, id: i64, r: &Rule) -> Result<Rule, AppError> {
    let days: Vec<String> = r.dias.iter().map(u32::to_string).collect();
    let changed = conn
        .prepare_cached(
            "UPDATE promociones SET nombre = ?2, tipo = ?3, porcentaje = ?4, producto_id = ?5, categoria = ?6,
                dias = ?7, minuto_desde = ?8, minuto_hasta = ?9, segmento = ?10, zona_horaria = ?11
             WHERE id = ?1",
        )?
        .execute(params![id, r.nombre, r.tipo, r.porcentaje, r.producto_id, r.categoria, days.join(","),
            r.minuto_desde, r.minuto_hasta, r.segmento, r.zona_horaria])?;
    if changed == 0 {
        return Err(AppError::NotFound("promocion"));
    }
    rule(conn, id)?.ok_or(AppError::NotFound("promocion"))
}

/// Switches a rule on or off; an inactive rule is kept but never applied.
pub fn set_rule_active(conn: &Connection, id: i64, active: bool) -> Result<(), AppError> {
    let changed = conn
        .prepare_cached("UPDATE promociones SET activo = ?2 WHERE id = ?1")?
        .execute(params![id, active])?;
    if changed == 0 {
        return Err(AppError::NotFound("promocion"));
    }
    Ok(())
}

/// The lines of an order as the engine sees them (with the product's category).
pub fn order_lines(conn: &Connection, order_id: i64) -> Result<Vec<Line>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT i.producto_id, COALESCE(p.categoria, ''), i.nombre, i.cantidad, i.precio_unitario
             FROM pedido_items i LEFT JOIN productos p ON p.id = i.producto_id
             WHERE i.pedido_id = ?1 ORDER BY i.id",
        )?
        .query_map([order_id], |r| {
            Ok(Line {
                product_id: r.get(0)?,
                category: r.get(1)?,
                name: r.get(2)?,
                quantity: r.get(3)?,
                unit_price: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// What the rules give these lines for this customer at `now` (rules carry the brand zone).
pub fn evaluate(
    conn: &Connection,
    lines: &[Line],
    customer_id: i64,
    now: i64,
) -> Result<Vec<Applied>, AppError> {
    let rules = rules(conn)?;
    let Some(first) = rules.first() else {
        return Ok(Vec::new());
    };
    let tz: chrono_tz::Tz = first.zona_horaria.parse().unwrap_or(chrono_tz::UTC);
    let Some(local) = chrono::DateTime::from_timestamp_millis(now) else {
        return Ok(Vec::new());
    };
    let local = local.with_timezone(&tz).naive_local();
    let segment: String = conn
        .prepare_cached("SELECT segmento FROM clientes WHERE id = ?1")?
        .query_row([customer_id], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    // Purchase-history rules count only for customers whose history meets them.
    let mut eligible = Vec::with_capacity(rules.len());
    for r in rules {
        if history_met(conn, r.id, customer_id, now)? {
            eligible.push(r);
        }
    }
    Ok(engine::evaluate(&eligible, lines, &segment, local))
}

/// A rule's purchase-history condition: bought `sku` in at least `veces` orders.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct History {
    pub sku: String,
    pub veces: i64,
}

pub fn history(conn: &Connection, rule_id: i64) -> Result<Option<History>, AppError> {
    Ok(conn
        .prepare_cached("SELECT sku, veces FROM promocion_historial WHERE promocion_id = ?1")?
        .query_row([rule_id], |r| {
            Ok(History {
                sku: r.get(0)?,
                veces: r.get(1)?,
            })
        })
        .optional()?)
}

pub fn set_history(conn: &Connection, rule_id: i64, h: &History) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO promocion_historial (promocion_id, sku, veces) VALUES (?1, ?2, ?3)
         ON CONFLICT (promocion_id) DO UPDATE SET sku = excluded.sku, veces = excluded.veces",
    )?
    .execute(params![rule_id, h.sku, h.veces])?;
    Ok(())
}

/// Removes a rule's purchase-history condition (the rule then applies to everyone it
/// otherwise matches).
pub fn clear_history(conn: &Connection, rule_id: i64) -> Result<(), AppError> {
    conn.prepare_cached("DELETE FROM promocion_historial WHERE promocion_id = ?1")?
        .execute([rule_id])?;
    Ok(())
}

/// Every rule's purchase-history condition, by rule id (for the list screen).
pub fn histories(conn: &Connection) -> Result<std::collections::HashMap<i64, History>, AppError> {
    let mut stmt =
        conn.prepare_cached("SELECT promocion_id, sku, veces FROM promocion_historial")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            History {
                sku: r.get(1)?,
                veces: r.get(2)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the customer meets the rule's purchase history (orders before `now`, so the order
/// being priced does not count towards its own promotion). No condition: met.
fn history_met(
    conn: &Connection,
    rule_id: i64,
    customer_id: i64,
    now: i64,
) -> Result<bool, AppError> {
    let Some(h) = history(conn, rule_id)? else {
        return Ok(true);
    };
    let times: i64 = conn
        .prepare_cached(
            "SELECT COUNT(DISTINCT p.id) FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
             WHERE p.cliente_id = ?1 AND p.estado <> 'cancelado' AND i.sku = ?2 AND p.creado_en < ?3",
        )?
        .query_row(params![customer_id, h.sku, now], |r| r.get(0))?;
    Ok(times >= h.veces)
}

/// The one call order creation makes: applies the matching promotions to a fresh order,
/// storing each reason as a discount line. Returns the total discount.
pub fn apply_to_new_order(
    conn: &Connection,
    order_id: i64,
    customer_id: i64,
    now: i64,
) -> Result<i64, AppError> {
    let lines = order_lines(conn, order_id)?;
    let mut total = 0;
    for a in evaluate(conn, &lines, customer_id, now)? {
        total += add_discount(conn, order_id, "promocion", &a.motivo, a.monto, now)?;
    }
    Ok(total)
}

/// Adds a discount line (capped at what is left of the total) and keeps the order's and
/// the customer's totals in step. Returns the amount actually taken off.
pub fn add_discount(
    conn: &Connection,
    order_id: i64,
    origin: &str,
    reason: &str,
    amount: i64,
    now: i64,
) -> Result<i64, AppError> {
    let (customer_id, left): (i64, i64) = conn
        .prepare_cached("SELECT cliente_id, total FROM pedidos WHERE id = ?1")?
        .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(AppError::NotFound("pedido"))?;
    let off = amount.clamp(0, left.max(0));
    conn.prepare_cached(
        "INSERT INTO pedido_descuentos (pedido_id, origen, motivo, monto, creado_en) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![order_id, origin, reason, off, now])?;
    if off > 0 {
        conn.prepare_cached(
            "UPDATE pedidos SET descuento = descuento + ?2, total = total - ?2, actualizado_en = ?3 WHERE id = ?1",
        )?
        .execute(params![order_id, off, now])?;
        // Spend is what the customer pays; cancellation later takes `total` back out.
        conn.prepare_cached(
            "UPDATE clientes SET total_gastado = total_gastado - ?2 WHERE id = ?1",
        )?
        .execute(params![customer_id, off])?;
    }
    Ok(off)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Discount {
    pub origen: String,
    pub motivo: String,
    pub monto: i64,
}

/// An order's discount lines, for the ticket.
pub fn discounts(conn: &Connection, order_id: i64) -> Result<Vec<Discount>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT origen, motivo, monto FROM pedido_descuentos WHERE pedido_id = ?1 ORDER BY id",
        )?
        .query_map([order_id], |r| {
            Ok(Discount {
                origen: r.get(0)?,
                motivo: r.get(1)?,
                monto: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}
