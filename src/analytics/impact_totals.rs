//! Environmental impact on the dashboard (issue #7, scope 4): kg of CO₂ and grams of
//! plastic avoided by delivered orders in the period (by the order's local day) and all
//! time, with the same per-unit product attributes and rounding as src/impact. `None` for a
//! brand whose catalogue declares no impact attribute, so the dashboard hides the block.

use rusqlite::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;

use super::period::Period;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Avoided {
    pub co2_kg: f64,
    pub plastico_g: f64,
    /// Delivered orders counted.
    pub pedidos: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct ImpactTotals {
    pub periodo: Avoided,
    pub historico: Avoided,
}

const ATTRS: &str = "COALESCE(json_extract(atributos, '$.co2_kg'), json_extract(atributos, '$.co2_kg_evitado'),
    json_extract(atributos, '$.plastico_g'), json_extract(atributos, '$.plastico_g_evitado')) IS NOT NULL";

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn avoided(conn: &Connection, from: i64, to: i64) -> Result<Avoided, AppError> {
    let (co2, plastic, orders): (f64, f64, i64) = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(i.cantidad * COALESCE(json_extract(pr.atributos, '$.co2_kg'), json_extract(pr.atributos, '$.co2_kg_evitado'), 0)), 0.0),
                COALESCE(SUM(i.cantidad * COALESCE(json_extract(pr.atributos, '$.plastico_g'), json_extract(pr.atributos, '$.plastico_g_evitado'), 0)), 0.0),
                COUNT(DISTINCT p.id)
             FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
             LEFT JOIN productos pr ON pr.id = i.producto_id
             WHERE p.estado = 'entregado' AND p.creado_en >= ?1 AND p.creado_en < ?2",
        )?
        .query_row(params![from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(Avoided {
        co2_kg: round3(co2),
        plastico_g: round3(plastic),
        pedidos: orders,
    })
}

/// The period's and all-time impact, or `None` when no product has impact attributes.
pub fn totals(conn: &Connection, p: Period) -> Result<Option<ImpactTotals>, AppError> {
    let any: bool = conn
        .prepare_cached(&format!(
            "SELECT EXISTS (SELECT 1 FROM productos WHERE {ATTRS})"
        ))?
        .query_row([], |r| r.get(0))?;
    if !any {
        return Ok(None);
    }
    let (from, to) = super::conversion::bounds(conn, p)?;
    Ok(Some(ImpactTotals {
        periodo: avoided(conn, from, to)?,
        historico: avoided(conn, i64::MIN, i64::MAX)?,
    }))
}
