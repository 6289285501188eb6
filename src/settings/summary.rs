//! Today's numbers for a brand, read straight from its tables: orders, revenue, open
//! orders, customers and the best sellers. A stop-gap until analytics owns dashboards.

use chrono::{TimeZone, Utc};
use rusqlite::Connection;
use serde::Serialize;

use crate::error::AppError;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub pedidos_hoy: i64,
    pub ventas_hoy: i64,
    pub ticket_medio: i64,
    pub abiertos: i64,
    pub clientes: i64,
    pub clientes_nuevos_hoy: i64,
    pub top: Vec<(String, i64)>,
    pub por_canal: Vec<(String, i64)>,
}

/// Start of today in `tz`, as unix ms.
pub fn start_of_today(tz: chrono_tz::Tz) -> i64 {
    let now = Utc::now().with_timezone(&tz);
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|m| tz.from_local_datetime(&m).earliest())
        .map(|t| t.timestamp_millis())
        .unwrap_or(0)
}

pub fn today(conn: &Connection, since: i64) -> Result<Summary, AppError> {
    let (pedidos_hoy, ventas_hoy): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(total), 0) FROM pedidos WHERE creado_en >= ?1 AND estado != 'cancelado'",
        [since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let abiertos: i64 = conn.query_row(
        "SELECT COUNT(*) FROM pedidos WHERE estado NOT IN ('entregado', 'cancelado')",
        [],
        |r| r.get(0),
    )?;
    let (clientes, clientes_nuevos_hoy): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(creado_en >= ?1), 0) FROM clientes",
        [since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let top = conn
        .prepare(
            "SELECT i.nombre, SUM(i.cantidad) AS q FROM pedido_items i JOIN pedidos p ON p.id = i.pedido_id
             WHERE p.creado_en >= ?1 AND p.estado != 'cancelado' GROUP BY i.nombre ORDER BY q DESC LIMIT 5",
        )?
        .query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let por_canal = conn
        .prepare(
            "SELECT canal, COUNT(*) FROM pedidos WHERE creado_en >= ?1 AND estado != 'cancelado'
             GROUP BY canal ORDER BY 2 DESC",
        )?
        .query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Summary {
        pedidos_hoy,
        ventas_hoy,
        ticket_medio: if pedidos_hoy > 0 {
            ventas_hoy / pedidos_hoy
        } else {
            0
        },
        abiertos,
        clientes,
        clientes_nuevos_hoy,
        top,
        por_canal,
    })
}
