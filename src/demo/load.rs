//! Writes a plan into a brand's database: prepared statements, one transaction, one pass in
//! time order. The per-row insert triggers are set aside and their work redone set-based
//! (`bulk`), so the full-text indexes, change feed and rollups hold what the API would have
//! left for the same records, and the audit trail holds one record for the whole load.

use chrono_tz::Tz;
use rusqlite::{Connection, params};

use super::plan::Plan;
use crate::analytics::refresh;
use crate::error::AppError;

/// Page cache while loading (KiB, negative as SQLite wants); the default is restored after.
const LOAD_CACHE_KIB: i64 = -262_144;
pub(super) const ACTOR: &str = "system:demo";

/// Rows written per table.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Loaded {
    pub productos: u64,
    pub clientes: u64,
    pub pedidos: u64,
    pub pedido_items: u64,
    pub pedido_estados: u64,
    pub interacciones: u64,
}

impl Loaded {
    pub fn rows(&self) -> u64 {
        self.productos
            + self.clientes
            + self.pedidos
            + self.pedido_items
            + self.pedido_estados
            + self.interacciones
    }
}

pub fn load(conn: &mut Connection, plan: &Plan, tz: Tz) -> Result<Loaded, AppError> {
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    let temp: i64 = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
    let keys: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", LOAD_CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    let result = crate::db::functions::with_actor(Some(ACTOR), || load_all(conn, plan, tz));
    // A failed load may have left the rollback journal on.
    back_to_wal(conn);
    conn.pragma_update(None, "cache_size", cache)?;
    conn.pragma_update(None, "temp_store", temp)?;
    // Back on even when the load failed half-way (it is off only inside the transaction).
    conn.pragma_update(None, "foreign_keys", keys)?;
    result
}

/// Leaves WAL for the load's transaction when this is the only connection to the brand
/// (else SQLite refuses, and the load runs in WAL as before). In WAL the load's ≈ 2 GB at a
/// million orders are written twice — to the WAL, then by the checkpoint into the file —
/// and every page read looks the WAL index up; with a rollback journal the new pages go
/// straight into the file, and only the few pages the file already had are journaled. Still
/// one atomic, durable transaction: a load killed half-way leaves a hot journal that the
/// next opening of the brand rolls back (triggers and indexes included).
fn leave_wal(conn: &Connection) -> bool {
    let mode = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    });
    matches!(mode, Ok(m) if m.eq_ignore_ascii_case("delete"))
}

/// Back to WAL, as every connection of the brand expects; if another connection opened the
/// brand meanwhile the switch waits for its next opening (`open_connection` sets WAL).
fn back_to_wal(conn: &Connection) {
    let mode = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
    if !matches!(&mode, Ok(m) if m.eq_ignore_ascii_case("wal")) {
        tracing::warn!(
            ?mode,
            "demo: the brand stays in rollback-journal mode until it is opened again"
        );
    }
}

/// Foreign keys are not checked row by row while the load's transaction runs (≈ 14 million
/// parent lookups at a million orders): every id the rows name was given by the generator
/// from rows written before them. `PRAGMA foreign_keys` only takes effect outside a
/// transaction, hence here. Debug builds (the tests) check the whole brand before the
/// commit instead.
fn without_foreign_keys(conn: &Connection) -> Result<(), AppError> {
    conn.pragma_update(None, "foreign_keys", false)?;
    Ok(())
}

/// Debug builds: no row of the load names a missing parent (`PRAGMA foreign_key_check`).
fn check_foreign_keys(tx: &Connection) -> Result<(), AppError> {
    if cfg!(debug_assertions) {
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        if let Some(table) = broken {
            return Err(AppError::internal(format!(
                "demo load: a row of {table} names a missing parent"
            )));
        }
    }
    Ok(())
}

/// Everything in ONE transaction (see `bulk`): the brand is new or just reset, so holding
/// its write lock for the whole load keeps nobody waiting, and a load killed half-way
/// leaves the brand as it was — triggers included — for a plain re-run.
fn load_all(conn: &mut Connection, plan: &Plan, tz: Tz) -> Result<Loaded, AppError> {
    let mut loaded = Loaded::default();
    let mut phases = Phases::new(plan.profile.slug);
    let rollback_journal = leave_wal(conn);
    without_foreign_keys(conn)?;
    let tx = conn.transaction()?;
    let mut suspended = super::bulk::suspend(&tx)?;
    let products = insert_products(&tx, plan, &mut loaded)?;
    let customers = insert_customers(&tx, plan, &mut loaded)?;
    phases.done("clientes y productos / customers and products");
    let mut inbox = super::rows::load(&tx, plan, &customers, &products, &mut loaded)?;
    phases.done("pedidos e interacciones / orders and interactions");
    // The derivations below query the loaded rows (indexes first) and write ledger rows
    // whose triggers are still set aside: the set-based restore then covers them too.
    suspended.restore_indexes(&tx)?;
    phases.done("índices / indexes");
    super::eco_series::add(&tx, plan, &customers, &mut inbox)?;
    inbox.write(&tx, plan, &customers)?;
    drop(inbox);
    phases.done("bandeja / inbox");
    super::loyalty::seed(&tx, plan.profile.slug, plan.now)?;
    phases.done("fidelidad / loyalty");
    super::goio_extras::add(&tx, plan)?;
    phases.done("extras");
    suspended.restore(&tx, tz, "autonomo demo", &mut |what| phases.done(what))?;
    phases.done("auditoría / audit");
    check_foreign_keys(&tx)?;
    tx.commit()?;
    conn.pragma_update(None, "foreign_keys", true)?;
    if rollback_journal {
        back_to_wal(conn);
    }
    phases.done(if rollback_journal {
        "commit (sin WAL / without WAL)"
    } else {
        "commit"
    });
    super::eco_extras::load(conn, plan)?;
    phases.done("extras eco / eco extras");
    super::automations::load(conn, plan)?;
    phases.done("automatizaciones / automations");
    analyse(conn, tz, plan.now)?;
    phases.done("segmentos, RFM, CLV / segments, RFM, CLV");
    let frames: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(1))?;
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    phases.done(&format!(
        "checkpoint ({} páginas del WAL / WAL pages, {} en la base / in the database)",
        super::progress::group(frames.max(0) as u64),
        super::progress::group(pages.max(0) as u64)
    ));
    Ok(loaded)
}

/// Leaves the brand analysed as the server's jobs would: segments checked against the
/// analytics classifier (the plan already used it, so normally nothing changes), RFM and
/// CLV per customer, and the segment updater's cursor at the end of the change feed — so a
/// server started on fresh demo data has no backlog to work through.
fn analyse(conn: &mut Connection, tz: Tz, now: i64) -> Result<(), AppError> {
    let now = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(now).unwrap_or_default();
    let plan = refresh::compute(conn, tz, || now)?;
    let tx = conn.transaction()?;
    refresh::apply(&tx, &plan)?;
    let (_, last) = refresh::feed_position(&tx)?;
    refresh::advance_cursor(&tx, last)?;
    tx.commit()?;
    Ok(())
}

/// Prints how long each phase of a brand's load took (stderr, like the progress lines): the
/// wall time and the CPU time of the whole process (both threads of the orders phase), which
/// a busy machine disturbs less.
pub(super) struct Phases {
    slug: &'static str,
    last: std::time::Instant,
    cpu: Option<f64>,
}

impl Phases {
    pub(super) fn new(slug: &'static str) -> Phases {
        Phases {
            slug,
            last: std::time::Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    pub(super) fn done(&mut self, what: &str) {
        let cpu = cpu_seconds();
        let spent = match (self.cpu, cpu) {
            (Some(a), Some(b)) => format!(" (CPU {:.1} s)", b - a),
            _ => String::new(),
        };
        eprintln!(
            "  {}: {what} · {:.1} s{spent}",
            self.slug,
            self.last.elapsed().as_secs_f64()
        );
        self.last = std::time::Instant::now();
        self.cpu = cpu;
    }
}

/// User + system CPU seconds of this process so far (Linux `/proc`; `None` elsewhere).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    // Clock ticks: 100 per second on every Linux this runs on (USER_HZ).
    Some((user + system) / 100.0)
}

fn insert_products(
    conn: &Connection,
    plan: &Plan,
    loaded: &mut Loaded,
) -> Result<Vec<i64>, AppError> {
    let mut stmt = conn.prepare(
        "INSERT INTO productos (sku, nombre, categoria, precio, costo, stock, activo, atributos, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?;
    let opened = plan.start - 30 * super::calendar::DAY;
    let mut ids = Vec::with_capacity(plan.catalog.specs.len());
    for (i, p) in plan.catalog.specs.iter().enumerate() {
        stmt.execute(params![
            p.sku,
            p.nombre,
            p.categoria,
            p.precio,
            p.costo,
            plan.stock[i],
            p.active(),
            p.atributos,
            plan.catalog.launched_at(i, opened),
        ])?;
        ids.push(conn.last_insert_rowid());
        loaded.productos += 1;
    }
    Ok(ids)
}

/// The one place customer rows are written (a future sealing of phone and e-mail belongs
/// here; `bulk` indexes `clientes_fts` from what this stored).
fn insert_customers(
    conn: &Connection,
    plan: &Plan,
    loaded: &mut Loaded,
) -> Result<Vec<i64>, AppError> {
    let mut stmt = conn.prepare(
        "INSERT INTO clientes (nombre, telefono, email, direccion, notas, etiquetas, consentimiento_marketing,
            canal_adquisicion, segmento, wa_id, pedidos_count, total_gastado, primer_pedido_en, ultimo_pedido_en,
            creado_en, actualizado_en, telefono_bi, email_bi, wa_id_bi)
         VALUES (?1, pii_seal(?2), pii_seal(?3), pii_seal(?4), pii_seal(?5), ?6, ?7, ?8, ?9, pii_seal(?10), ?11,
            ?12, ?13, ?14, ?15, ?15, pii_bi('telefono', ?2), pii_bi('email', ?3), pii_bi('wa_id', ?10))",
    )?;
    let mut ids = Vec::with_capacity(plan.customers.len());
    for c in &plan.customers {
        let phone = c.has_phone.then(|| super::people::e164(c.person.phone));
        let wa_id = (c.has_phone && c.wa).then(|| format!("51{}", c.person.phone));
        let tags = serde_json::to_string(&c.tags).map_err(AppError::internal)?;
        stmt.execute(params![
            c.person.name,
            phone,
            c.person.email,
            c.person.address,
            c.notes,
            tags,
            c.consent,
            c.acquisition,
            c.segment,
            wa_id,
            c.orders_count,
            c.total_spent,
            c.first_order_at,
            c.last_order_at,
            c.created_at,
        ])?;
        ids.push(conn.last_insert_rowid());
        loaded.clientes += 1;
    }
    Ok(ids)
}
