//! Does a demo brand already hold data, and `--reset`: delete it the way the API would
//! (row by row, so the change feed records every delete and the full-text indexes follow),
//! in bounded transactions so a running server is never locked out for long.

use rusqlite::Connection;

use super::progress::Progress;
use crate::error::AppError;

/// Rows the brand holds in the tables the demo fills.
#[derive(Debug, Clone, Copy, Default)]
pub struct Existing {
    pub clientes: i64,
    pub productos: i64,
    pub pedidos: i64,
    pub interacciones: i64,
}

impl Existing {
    pub fn is_empty(&self) -> bool {
        self.clientes + self.productos + self.pedidos + self.interacciones == 0
    }
}

pub fn existing(conn: &Connection) -> Result<Existing, AppError> {
    Ok(conn.query_row(
        "SELECT (SELECT COUNT(*) FROM clientes), (SELECT COUNT(*) FROM productos),
                (SELECT COUNT(*) FROM pedidos), (SELECT COUNT(*) FROM interacciones)",
        [],
        |r| {
            Ok(Existing {
                clientes: r.get(0)?,
                productos: r.get(1)?,
                pedidos: r.get(2)?,
                interacciones: r.get(3)?,
            })
        },
    )?)
}

/// Children first, so no foreign key ever has to search for referencing rows.
const TABLES: &[&str] = &[
    // Goio extras (tenant V14) reference orders, customers and products.
    "tickets_soporte",
    // Education series progress (tenant V19) references customers and interactions.
    "series_envios",
    "series_inscripciones",
    "garantias",
    "avisos_reposicion",
    "movimientos_stock",
    "interacciones",
    "pedido_estados",
    "pedido_items",
    "pedidos",
    "clientes",
    "productos",
];
const ROWS_PER_TX: i64 = 50_000;

/// Deletes every row the demo writes; returns how many.
pub fn clear(conn: &mut Connection, slug: &str) -> Result<u64, AppError> {
    let mut total = 0i64;
    for table in TABLES {
        total += conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })?;
    }
    let mut progress = Progress::new(&format!("{slug} (reset)"), "filas", total as u64);
    let mut deleted = 0u64;
    for table in TABLES {
        let sql = format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id LIMIT {ROWS_PER_TX})"
        );
        loop {
            let tx = conn.transaction()?;
            let n = tx.execute(&sql, [])? as u64;
            tx.commit()?;
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
            deleted += n;
            progress.advance(n, n);
            if n == 0 {
                break;
            }
        }
    }
    progress.finish();
    Ok(deleted)
}
