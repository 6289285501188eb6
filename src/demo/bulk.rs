//! The demo's bulk path: the per-row INSERT triggers of the six tables the demo fills (change
//! feed, audit trail, full-text indexes, analytics rollups) are set aside while the rows go
//! in, then their effect is produced in a few set-based statements. Everything happens in
//! the load's one transaction — drop, load, recreate (from the schema's own SQL), rebuild —
//! so the triggers (and the secondary indexes, also dropped and rebuilt after the load) are
//! never missing from a committed database: a load killed half-way
//! rolls back to the brand as it was, and `autonomo demo` simply runs again.
//!
//! What the set-based rebuild leaves:
//! - `changes`: one `insert` row per loaded row, as the triggers would have written (the
//!   mirror's incremental sync reads row ids from the feed, so one row per table would not
//!   do). Rows are fed table by table, parents first.
//! - `clientes_fts`: the loaded customers' names indexed (message bodies are sealed and
//!   not indexed since tenant V18).
//! - `analitica_*`: rebuilt from `pedidos`/`pedido_items` by [`zone::ensure`] /
//!   [`rollups::rebuild`], the code the analytics module runs for a brand's first dashboard.
//! - `auditoria`: ONE record `carga_demo` with the row counts and id ranges per table, on
//!   the chain as usual (so `autonomo audit verify` still passes), instead of one per row.
//!
//! Insert triggers not in [`REPLACED`] (e.g. the consent log's) keep firing row by row.

use rusqlite::Connection;

use chrono_tz::Tz;

use crate::analytics::{rollups, zone};
use crate::error::AppError;

/// The tables the demo bulk-loads, parents first.
pub const TABLES: &[&str] = &[
    "productos",
    "clientes",
    "pedidos",
    "pedido_items",
    "pedido_estados",
    "interacciones",
    // The loyalty ledger the demo derives from the orders (src/demo/loyalty.rs): one
    // audited row per qualifying order, as many as the orders themselves.
    "fidelidad_movimientos",
];

/// Triggers whose work [`Suspended::restore`] redoes set-based. Only these are dropped.
pub const REPLACED: &[&str] = &[
    "productos_ci",
    "productos_audit_i",
    "clientes_ci",
    "clientes_audit_i",
    "clientes_fts_ai",
    "pedidos_ci",
    "pedidos_audit_i",
    "pedidos_analitica_ai",
    "pedido_items_ci",
    "pedido_items_audit_i",
    "pedido_items_analitica_ai",
    "pedido_estados_ci",
    "pedido_estados_audit_i",
    "interacciones_ci",
    "interacciones_audit_i",
    "fidelidad_movimientos_ci",
    "fidelidad_movimientos_audit_i",
    // Dashboard summaries of tenant V25: `rollups::rebuild` recounts them.
    "clientes_analitica_segmento_ai",
    "pedidos_analitica_conversion_ai",
    "interacciones_analitica_conversacion_ai",
];

/// The triggers and indexes taken out and where each table stood before the load.
pub struct Suspended {
    triggers: Vec<(String, String)>,
    /// Plain secondary indexes of [`TABLES`]: built once from sorted data after the load
    /// instead of updated row by row. Unique ones stay (they enforce constraints).
    indexes: Vec<String>,
    /// Highest id per table of [`TABLES`] before the load: later ids are the loaded rows.
    before: Vec<i64>,
}

/// Drops the [`REPLACED`] triggers and the plain indexes; call inside the load's transaction.
pub fn suspend(tx: &Connection) -> Result<Suspended, AppError> {
    let mut triggers = Vec::new();
    let mut stmt =
        tx.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1")?;
    for name in REPLACED {
        let sql: Option<String> = stmt
            .query_row([name], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        if let Some(sql) = sql {
            tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
            triggers.push(((*name).to_string(), sql));
        }
    }
    let list = TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = tx.prepare(&format!(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
           AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({list}) ORDER BY name"
    ))?;
    let found = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut indexes = Vec::with_capacity(found.len());
    for (name, sql) in found {
        tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
        indexes.push(sql);
    }
    let mut before = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        before.push(tx.query_row(
            &format!("SELECT coalesce(max(id), 0) FROM {table}"),
            [],
            |r| r.get(0),
        )?);
    }
    Ok(Suspended {
        triggers,
        indexes,
        before,
    })
}

impl Suspended {
    fn dropped(&self, name: &str) -> bool {
        self.triggers.iter().any(|(n, _)| n == name)
    }

    /// Rebuilds the dropped secondary indexes now, for steps that query the loaded rows
    /// before [`Suspended::restore`] (the demo's inbox and loyalty derivations).
    pub fn restore_indexes(&mut self, tx: &Connection) -> Result<(), AppError> {
        for sql in self.indexes.drain(..) {
            tx.execute_batch(&sql)?;
        }
        Ok(())
    }

    /// Recreates the triggers from their saved SQL, then writes what they would have
    /// written for the rows loaded since [`suspend`]. Same transaction.
    pub fn restore(mut self, tx: &Connection, tz: Tz, actor_note: &str) -> Result<(), AppError> {
        self.restore_indexes(tx)?;
        for (_, sql) in &self.triggers {
            tx.execute_batch(sql)?;
        }
        let mut detail = serde_json::Map::new();
        for (table, &after) in TABLES.iter().zip(&self.before) {
            let (n, first, last): (i64, Option<i64>, Option<i64>) = tx.query_row(
                &format!("SELECT count(*), min(id), max(id) FROM {table} WHERE id > ?1"),
                [after],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            if self.dropped(&format!("{table}_ci")) {
                tx.execute(
                    &format!(
                        "INSERT INTO changes (tabla, fila_id, op)
                         SELECT '{table}', id, 'insert' FROM {table} WHERE id > ?1 ORDER BY id"
                    ),
                    [after],
                )?;
            }
            detail.insert(
                (*table).to_string(),
                serde_json::json!({ "filas": n, "desde_id": first, "hasta_id": last }),
            );
        }
        if self.dropped("clientes_fts_ai") {
            tx.execute(
                // Only the name is indexed: the other fields are sealed (tenant V18).
                "INSERT INTO clientes_fts (rowid, nombre)
                 SELECT id, nombre FROM clientes WHERE id > ?1 ORDER BY id",
                [self.before[1]],
            )?;
        }
        // `zone::ensure` rebuilds on a brand's first use (filling the zone's offsets, as the
        // first dashboard would); otherwise rebuild with the zone already there.
        if (self.dropped("pedidos_analitica_ai") || self.dropped("pedido_items_analitica_ai"))
            && !zone::ensure(tx, tz)?
        {
            rollups::rebuild(tx)?;
        }
        if self.triggers.iter().any(|(n, _)| n.ends_with("_audit_i")) {
            detail.insert("nota".into(), serde_json::Value::from(actor_note));
            crate::audit::record(
                tx,
                "demo",
                None,
                "carga_demo",
                &serde_json::Value::Object(detail),
            )?;
        }
        Ok(())
    }
}
