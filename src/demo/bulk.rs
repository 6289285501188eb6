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

use rusqlite::{Connection, params};

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
    // The WhatsApp identities and inbox threads derived from the chats (src/demo/inbox.rs):
    // one audited row each per customer who wrote. Keyed by `cliente_id` (their rowid).
    "wa_contactos",
    "conversaciones",
];

/// The tables the demo derives from the loaded rows after the load: their indexes are
/// built after those derivations instead of before.
const DERIVED: &[&str] = &["fidelidad_movimientos", "wa_contactos", "conversaciones"];

/// Plain indexes kept while loading: the load appends their keys in ascending order (orders
/// in time order, items and status rows with their order), so each insert lands on the
/// index's last page — cheaper than sorting millions of keys to build them afterwards.
const KEPT: &[&str] = &[
    "pedidos_creado",
    "pedido_items_pedido",
    "pedido_estados_pedido",
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
    "wa_contactos_audit_i",
    "conversaciones_ci",
    "conversaciones_audit_i",
    // Dashboard summaries of tenant V25: `rollups::rebuild` recounts them.
    "clientes_analitica_segmento_ai",
    "pedidos_analitica_conversion_ai",
    "interacciones_analitica_conversacion_ai",
    // Delivered units and orders of tenant V27: `rollups::rebuild` recounts them.
    "pedidos_analitica_impacto_ai",
    "pedido_items_analitica_impacto_ai",
];

/// The triggers and indexes taken out and where each table stood before the load.
pub struct Suspended {
    triggers: Vec<(String, String)>,
    /// Plain secondary indexes of [`TABLES`] (table, SQL): built once from sorted data after
    /// the load instead of updated row by row. Unique ones stay (they enforce constraints),
    /// and so do the [`KEPT`] ones.
    indexes: Vec<(String, String)>,
    /// Highest rowid per table of [`TABLES`] before the load: later rows are the loaded ones.
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
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
           AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({list}) ORDER BY name"
    ))?;
    let found = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut indexes = Vec::with_capacity(found.len());
    for (name, table, sql) in found {
        if KEPT.contains(&name.as_str()) {
            continue;
        }
        tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
        indexes.push((table, sql));
    }
    let mut before = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        before.push(tx.query_row(
            &format!("SELECT coalesce(max(rowid), 0) FROM {table}"),
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

    /// Rebuilds the dropped secondary indexes of the loaded tables now, for steps that
    /// query the loaded rows before [`Suspended::restore`] (the demo's inbox and loyalty
    /// derivations). Those of the tables the derivations fill wait for `restore`.
    pub fn restore_indexes(&mut self, tx: &Connection) -> Result<(), AppError> {
        self.build_indexes(tx, |table| !DERIVED.contains(&table))
    }

    fn build_indexes(
        &mut self,
        tx: &Connection,
        now: impl Fn(&str) -> bool,
    ) -> Result<(), AppError> {
        let (build, keep): (Vec<_>, Vec<_>) =
            self.indexes.drain(..).partition(|(table, _)| now(table));
        for (_, sql) in build {
            tx.execute_batch(&sql)?;
        }
        self.indexes = keep;
        Ok(())
    }

    /// Recreates the triggers from their saved SQL, then writes what they would have
    /// written for the rows loaded since [`suspend`]. Same transaction.
    /// `phase` is told when each step is done (the demo prints their times).
    pub fn restore(
        mut self,
        tx: &Connection,
        tz: Tz,
        actor_note: &str,
        phase: &mut dyn FnMut(&str),
    ) -> Result<(), AppError> {
        self.build_indexes(tx, |_| true)?;
        for (_, sql) in &self.triggers {
            tx.execute_batch(sql)?;
        }
        phase("índices, triggers / indexes, triggers");
        let mut detail = serde_json::Map::new();
        // One time for the whole feed (the load is one transaction) instead of the column's
        // default evaluated row by row.
        let at = crate::time::now_ms();
        for (table, &after) in TABLES.iter().zip(&self.before) {
            let (n, first, last): (i64, Option<i64>, Option<i64>) = tx.query_row(
                &format!("SELECT count(*), min(rowid), max(rowid) FROM {table} WHERE rowid > ?1"),
                [after],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            if self.dropped(&format!("{table}_ci")) {
                tx.execute(
                    &format!(
                        "INSERT INTO changes (tabla, fila_id, op, en)
                         SELECT '{table}', rowid, 'insert', ?2 FROM {table} WHERE rowid > ?1
                         ORDER BY rowid"
                    ),
                    params![after, at],
                )?;
            }
            detail.insert(
                (*table).to_string(),
                serde_json::json!({ "filas": n, "desde_id": first, "hasta_id": last }),
            );
        }
        phase("feed");
        if self.dropped("clientes_fts_ai") {
            tx.execute(
                // Only the name is indexed: the other fields are sealed (tenant V18).
                "INSERT INTO clientes_fts (rowid, nombre)
                 SELECT id, nombre FROM clientes WHERE id > ?1 ORDER BY id",
                [self.before[1]],
            )?;
            phase("fts");
        }
        // `zone::ensure` rebuilds on a brand's first use (filling the zone's offsets, as the
        // first dashboard would); otherwise rebuild with the zone already there.
        if (self.dropped("pedidos_analitica_ai") || self.dropped("pedido_items_analitica_ai"))
            && !zone::ensure(tx, tz)?
        {
            rollups::rebuild(tx)?;
        }
        phase("rollups");
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
