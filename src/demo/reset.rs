//! Does a demo brand already hold data, and `--reset`: delete it in one transaction, with
//! the per-row delete triggers of the demo's tables set aside and their effect produced
//! set-based, as the bulk load does for inserts (src/demo/bulk.rs):
//! - `changes`: one `delete` row per deleted row (the mirror deletes what the feed names);
//! - `clientes_fts`: rebuilt from the (now empty) customers table;
//! - `analitica_*`: rebuilt from the remaining orders (none);
//! - `auditoria`: ONE record `reinicio_demo` with the row count per table, on the chain.
//!
//! Rows of other tables that reference these (conversations, loyalty ledger, surveys…) go by
//! their foreign keys' `ON DELETE`, with their own triggers firing as usual. A reset killed
//! half-way rolls back to the brand as it was.

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
    // The demo's loyalty ledger (it references orders and customers).
    "fidelidad_movimientos",
    "interacciones",
    "pedido_estados",
    "pedido_items",
    "pedidos",
    "clientes",
    "productos",
];

/// The delete triggers of [`TABLES`] whose effect [`clear`] produces set-based, by suffix:
/// change feed, audit trail, full-text index, analytics rollups. Any other delete trigger
/// keeps firing row by row.
fn replaced(trigger: &str) -> bool {
    trigger.ends_with("_cd")
        || trigger.ends_with("_audit_d")
        || trigger.ends_with("_fts_ad")
        || trigger.contains("_analitica_")
}

/// Deletes every row the demo writes; returns how many.
pub fn clear(conn: &mut Connection, slug: &str) -> Result<u64, AppError> {
    let mut total = 0i64;
    for table in TABLES {
        total += conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })?;
    }
    let mut progress = Progress::new(&format!("{slug} (reset)"), "filas", total as u64);
    let tx = conn.transaction()?;
    let list = TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let triggers: Vec<(String, String)> = tx
        .prepare(&format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({list})
             ORDER BY name"
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let suspended: Vec<(String, String)> = triggers
        .into_iter()
        .filter(|(name, sql)| replaced(name) && sql.to_uppercase().contains(" DELETE ON "))
        .collect();
    for (name, _) in &suspended {
        tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
    }
    let dropped = |name: String| suspended.iter().any(|(n, _)| *n == name);
    let mut detail = serde_json::Map::new();
    let mut deleted = 0u64;
    for table in TABLES {
        if dropped(format!("{table}_cd")) {
            tx.execute(
                &format!(
                    "INSERT INTO changes (tabla, fila_id, op)
                     SELECT '{table}', id, 'delete' FROM {table} ORDER BY id"
                ),
                [],
            )?;
        }
        let n = tx.execute(&format!("DELETE FROM {table}"), [])? as u64;
        detail.insert((*table).to_string(), serde_json::Value::from(n));
        deleted += n;
        progress.advance(n, n);
    }
    if dropped("clientes_fts_ad".into()) {
        tx.execute_batch("INSERT INTO clientes_fts (clientes_fts) VALUES ('rebuild')")?;
    }
    if suspended.iter().any(|(n, _)| n.contains("_analitica_")) {
        crate::analytics::rollups::rebuild(&tx)?;
    }
    for (_, sql) in &suspended {
        tx.execute_batch(sql)?;
    }
    if suspended.iter().any(|(n, _)| n.ends_with("_audit_d")) {
        crate::audit::record(
            &tx,
            "demo",
            None,
            "reinicio_demo",
            &serde_json::Value::Object(detail),
        )?;
    }
    tx.commit()?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    progress.finish();
    Ok(deleted)
}
