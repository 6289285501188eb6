//! Environmental impact on the dashboard (issue #7, scope 4): kg of CO₂ and grams of
//! plastic avoided by delivered orders in the period (by the order's local day) and all
//! time, with the same per-unit product attributes and rounding as src/impact. `None` for a
//! brand whose catalogue declares no impact attribute, so the dashboard hides the block.
//! Reads delivered units per product per day and month (tenant V27), never the orders: the
//! per-unit figures multiply summed units (products × months rows) instead of each line.

use rusqlite::{Connection, params_from_iter};
use serde::Serialize;
use utoipa::ToSchema;

use super::period::Period;
use super::span::{self, Span};
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

/// Delivered units per product and delivered orders (tenant V27's summaries, whole months
/// from the monthly rows and the ends from the daily rows; `keys` as `Span::keys`), times
/// each product's current per-unit attributes.
fn avoided(conn: &Connection, keys: &[String; 6]) -> Result<Avoided, AppError> {
    let (co2, plastic): (f64, f64) = conn
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM(u.n * COALESCE(json_extract(pr.atributos, '$.co2_kg'), json_extract(pr.atributos, '$.co2_kg_evitado'), 0)), 0.0),
                COALESCE(SUM(u.n * COALESCE(json_extract(pr.atributos, '$.plastico_g'), json_extract(pr.atributos, '$.plastico_g_evitado'), 0)), 0.0)
             FROM (SELECT producto_id, SUM(unidades) AS n FROM {} GROUP BY producto_id) u
             LEFT JOIN productos pr ON pr.id = u.producto_id",
            span::union(
                "analitica_impacto_dia",
                "analitica_impacto_mes",
                "producto_id, unidades"
            )
        ))?
        .query_row(params_from_iter(keys), |r| Ok((r.get(0)?, r.get(1)?)))?;
    let orders: i64 = conn
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM(pedidos), 0) FROM {}",
            span::union(
                "analitica_entregados_dia",
                "analitica_entregados_mes",
                "pedidos"
            )
        ))?
        .query_row(params_from_iter(keys), |r| r.get(0))?;
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
    Ok(Some(ImpactTotals {
        periodo: avoided(conn, &Span::of(p).keys())?,
        historico: avoided(conn, &Span::all_time_keys())?,
    }))
}
