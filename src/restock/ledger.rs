//! The stock movements ledger (written by triggers, tenant V14) and the low-stock list
//! (products whose tracked stock is at or below their `stock_minimo` attribute).

use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Movement {
    pub id: i64,
    pub delta: i64,
    pub stock_resultante: i64,
    /// venta, devolucion, ajuste, ingreso.
    pub tipo: String,
    pub pedido_id: Option<i64>,
    pub creado_en: i64,
}

/// A product's movements, newest first.
pub fn movements(c: &Connection, product: i64, limit: u32) -> Result<Vec<Movement>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, delta, stock_resultante, tipo, pedido_id, creado_en FROM movimientos_stock
         WHERE producto_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    Ok(stmt
        .query_map(rusqlite::params![product, limit], |r| {
            Ok(Movement {
                id: r.get(0)?,
                delta: r.get(1)?,
                stock_resultante: r.get(2)?,
                tipo: r.get(3)?,
                pedido_id: r.get(4)?,
                creado_en: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Low stock: (product id, name, stock, threshold), lowest first.
pub fn low_stock(c: &Connection) -> Result<Vec<(i64, String, i64, i64)>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, nombre, stock, CAST(json_extract(atributos, '$.stock_minimo') AS INTEGER) AS minimo
         FROM productos
         WHERE activo = 1 AND stock IS NOT NULL AND json_extract(atributos, '$.stock_minimo') IS NOT NULL
           AND stock <= CAST(json_extract(atributos, '$.stock_minimo') AS INTEGER)
         ORDER BY stock, nombre LIMIT 200",
    )?;
    Ok(stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?)
}
