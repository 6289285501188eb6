//! Keeping `clientes.segmento`, the segment-change log and `analitica_clientes` (RFM, CLV)
//! current: a full recompute (nightly job) and an incremental pass over the customers whose
//! orders changed since the last pass (the change feed, cursor in `analitica_estado`).
//! Functions take the caller's connection; the full recompute (in [`super::nightly`],
//! re-exported here) reads on a reader and writes the differences in one short write.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, params};

pub use super::nightly::{Recompute, Timings, apply, compute};
use super::segments::{self, CustomerActivity, Segment, SegmentRules};
use crate::error::AppError;

/// Non-cancelled orders (time, total) of every customer, or of one.
pub type OrdersByCustomer = HashMap<i64, Vec<(DateTime<Utc>, i64)>>;

pub(super) fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

/// Every customer's non-cancelled orders (a full scan: the nightly recompute's read).
pub(super) const ALL_ORDERS_SQL: &str =
    "SELECT cliente_id, creado_en, total FROM pedidos WHERE estado <> 'cancelado'";
/// One customer's non-cancelled orders, through the `pedidos_cliente` index. A separate
/// statement on purpose: the former shared `(?1 IS NULL OR cliente_id = ?1)` form cannot use
/// any index, so each customer of the segment updater scanned every order of the brand on
/// the writer (≈ 3,000 scans of 100k rows after a burst of orders: writes stalled for
/// seconds).
pub const CUSTOMER_ORDERS_SQL: &str = "SELECT cliente_id, creado_en, total FROM pedidos
     WHERE cliente_id = ?1 AND estado <> 'cancelado'";

pub fn load_orders(conn: &Connection, customer: Option<i64>) -> Result<OrdersByCustomer, AppError> {
    let mut map: OrdersByCustomer = HashMap::new();
    let mut st = match customer {
        None => conn.prepare_cached(ALL_ORDERS_SQL)?,
        Some(_) => conn.prepare_cached(CUSTOMER_ORDERS_SQL)?,
    };
    let row = |r: &rusqlite::Row| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    };
    let rows = match customer {
        None => st.query_map([], row)?,
        Some(id) => st.query_map([id], row)?,
    };
    for row in rows {
        let (c, at, total) = row?;
        map.entry(c).or_default().push((instant(at), total));
    }
    Ok(map)
}

fn state(conn: &Connection, key: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row(
            "SELECT valor FROM analitica_estado WHERE clave = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?)
}

pub(super) fn set_state(conn: &Connection, key: &str, value: &str) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO analitica_estado (clave, valor) VALUES (?1, ?2)
         ON CONFLICT (clave) DO UPDATE SET valor = excluded.valor",
        params![key, value],
    )?;
    Ok(())
}

/// The brand's segment thresholds (`reglas_segmento` in `analitica_estado`, JSON), or the
/// defaults.
pub fn rules(conn: &Connection) -> Result<SegmentRules, AppError> {
    Ok(state(conn, "reglas_segmento")?
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default())
}

pub fn set_rules(conn: &Connection, rules: &SegmentRules) -> Result<(), AppError> {
    let json = serde_json::to_string(rules).map_err(|e| AppError::internal(e.to_string()))?;
    set_state(conn, "reglas_segmento", &json)
}

/// Sets a customer's segment when it differs, logging the change. Returns whether it did.
pub fn set_segment(
    conn: &Connection,
    customer: i64,
    to: Segment,
    at: i64,
) -> Result<bool, AppError> {
    let from: Option<String> = conn
        .prepare_cached("SELECT segmento FROM clientes WHERE id = ?1")?
        .query_row([customer], |r| r.get(0))
        .optional()?;
    let Some(from) = from else {
        return Ok(false);
    };
    change_segment(conn, customer, &from, to, at)
}

/// Moves a customer from segment `from` (what the caller read in this transaction) to `to`,
/// logging the change, unless they are equal. Returns whether it did.
pub(super) fn change_segment(
    conn: &Connection,
    customer: i64,
    from: &str,
    to: Segment,
    at: i64,
) -> Result<bool, AppError> {
    if from == to.key() {
        return Ok(false);
    }
    conn.prepare_cached("UPDATE clientes SET segmento = ?2 WHERE id = ?1")?
        .execute(params![customer, to.key()])?;
    conn.prepare_cached(
        "INSERT INTO segmento_cambios (cliente_id, desde, hacia, en) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![customer, from, to.key(), at])?;
    Ok(true)
}

/// Moves many customers at once: `moves` are (customer, segment read in this transaction,
/// new segment); those that differ are written and logged. Returns how many moved.
///
/// One UPDATE and one INSERT for all of them, through a temporary table: a statement per
/// customer inside one large transaction costs SQLite a statement journal each, and at tens of
/// thousands of customers (a first recompute after an import) that took minutes where one
/// statement takes about a second. The triggers still fire per row: change feed, audit chain,
/// segment counts.
pub(super) fn change_segments<'a>(
    conn: &Connection,
    moves: impl IntoIterator<Item = (i64, &'a str, Segment)>,
    at: i64,
) -> Result<usize, AppError> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS segmento_nuevo (
             cliente_id INTEGER PRIMARY KEY, desde TEXT NOT NULL, hacia TEXT NOT NULL);
         DELETE FROM temp.segmento_nuevo;",
    )?;
    let mut moved = 0;
    {
        let mut add = conn.prepare_cached("INSERT INTO temp.segmento_nuevo VALUES (?1, ?2, ?3)")?;
        for (customer, from, to) in moves {
            if from != to.key() {
                add.execute(params![customer, from, to.key()])?;
                moved += 1;
            }
        }
    }
    if moved > 0 {
        conn.execute(
            "UPDATE clientes SET segmento = (
                 SELECT hacia FROM temp.segmento_nuevo n WHERE n.cliente_id = clientes.id)
             WHERE id IN (SELECT cliente_id FROM temp.segmento_nuevo)",
            [],
        )?;
        conn.execute(
            "INSERT INTO segmento_cambios (cliente_id, desde, hacia, en)
             SELECT cliente_id, desde, hacia, ?1 FROM temp.segmento_nuevo ORDER BY cliente_id",
            [at],
        )?;
        conn.execute("DELETE FROM temp.segmento_nuevo", [])?;
    }
    Ok(moved)
}

/// The VIP cut of the last recompute, and whether it is stored; computed from the rollups
/// (12-month spend per customer) when there is none yet (reads only: the caller stores it).
fn vip_cut(
    conn: &Connection,
    rules: &SegmentRules,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(Option<i64>, bool), AppError> {
    if let Some(v) = state(conn, "corte_vip")? {
        return Ok((v.parse().ok(), true));
    }
    let since = super::cohorts::local_day(now - Duration::days(365), tz)
        .format("%Y-%m-%d")
        .to_string();
    let spends: Vec<i64> = conn
        .prepare(
            "SELECT SUM(ingresos) FROM analitica_cliente_dia WHERE dia > ?1 GROUP BY cliente_id",
        )?
        .query_map([since], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok((segments::vip_spend_cut(spends, rules.vip_top_share), false))
}

/// Whether the change feed moved past the segment updater's cursor (a cheap read, so an
/// idle brand costs no write).
pub fn pending(conn: &Connection) -> Result<bool, AppError> {
    let (cursor, last) = feed_position(conn)?;
    Ok(last > cursor)
}

/// The segment updater's cursor and the change feed's last sequence number.
pub fn feed_position(conn: &Connection) -> Result<(i64, i64), AppError> {
    let cursor: i64 = state(conn, "cursor_segmentos")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let last: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
        r.get(0)
    })?;
    Ok((cursor, last))
}

/// How many order changes wait past `cursor`, counting no further than `cap` (a bounded
/// read: only "more than the cap" matters to the caller).
pub fn order_backlog(conn: &Connection, cursor: i64, cap: i64) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM (SELECT 1 FROM changes WHERE seq > ?1 AND tabla = 'pedidos' LIMIT ?2)",
        params![cursor, cap],
        |r| r.get(0),
    )?)
}

/// Moves the segment updater's cursor to `seq` (never back), in the caller's transaction.
pub fn advance_cursor(conn: &Connection, seq: i64) -> Result<(), AppError> {
    let (cursor, _) = feed_position(conn)?;
    if seq > cursor {
        set_state(conn, "cursor_segmentos", &seq.to_string())?;
    }
    Ok(())
}

/// One read snapshot for a computation of several statements: on a reader, a read
/// transaction (ended when the guard drops); inside the writer's transaction, that one.
pub(super) fn snapshot(conn: &Connection) -> Result<Option<rusqlite::Transaction<'_>>, AppError> {
    Ok(if conn.is_autocommit() {
        Some(conn.unchecked_transaction()?)
    } else {
        None
    })
}

/// The customers whose orders changed in the feed range (`after`, `upto`].
pub(super) fn changed_customers(
    conn: &Connection,
    after: i64,
    upto: i64,
) -> Result<std::collections::BTreeSet<i64>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT p.cliente_id FROM changes c JOIN pedidos p ON p.id = c.fila_id
             WHERE c.tabla = 'pedidos' AND c.seq > ?1 AND c.seq <= ?2",
        )?
        .query_map(params![after, upto], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// What an incremental pass decided: the segment of each customer whose orders changed up
/// to `last` (the change feed's sequence number the read saw), as of `now`.
#[derive(Debug)]
pub struct IncrementalPlan {
    pub last: i64,
    pub now: DateTime<Utc>,
    pub segments: Vec<(i64, Segment)>,
    /// A VIP cut computed because none was stored yet, to remember.
    pub new_vip_cut: Option<Option<i64>>,
}

/// Classifies the customers whose orders changed since the last pass (the change feed after
/// the cursor), reading only and in one snapshot (the caller's transaction, or one of its
/// own on a reader); [`apply_incremental`] writes the result. The clock is read once the
/// snapshot has begun, so no order in it looks like a future one. `None`: nothing new.
pub fn plan_incremental(
    conn: &Connection,
    tz: Tz,
    clock: impl FnOnce() -> DateTime<Utc>,
) -> Result<Option<IncrementalPlan>, AppError> {
    let _snapshot = snapshot(conn)?;
    let (cursor, last) = feed_position(conn)?;
    if last <= cursor {
        return Ok(None);
    }
    let now = clock();
    let customers = changed_customers(conn, cursor, last)?;
    let mut plan = IncrementalPlan {
        last,
        now,
        segments: Vec::with_capacity(customers.len()),
        new_vip_cut: None,
    };
    if customers.is_empty() {
        return Ok(Some(plan));
    }
    let rules = rules(conn)?;
    let (cut, stored) = vip_cut(conn, &rules, now, tz)?;
    if !stored {
        plan.new_vip_cut = Some(cut);
    }
    for id in customers {
        let orders = load_orders(conn, Some(id))?;
        let activity = CustomerActivity::from_orders(
            id,
            orders.get(&id).map(Vec::as_slice).unwrap_or(&[]),
            now,
        );
        plan.segments
            .push((id, segments::classify(&activity, now, &rules, cut)));
    }
    Ok(Some(plan))
}

/// Writes an incremental plan in the caller's transaction: the segments that differ (logged),
/// the VIP cut if it was computed, and the cursor (never moved back). A customer whose orders
/// changed after the plan's snapshot is left alone: those changes sit past the cursor, so
/// the next pass classifies them on newer data. Returns how many segments changed.
pub fn apply_incremental(conn: &Connection, plan: &IncrementalPlan) -> Result<usize, AppError> {
    if let Some(cut) = plan.new_vip_cut {
        conn.execute(
            "INSERT INTO analitica_estado (clave, valor) VALUES ('corte_vip', ?1)
             ON CONFLICT (clave) DO NOTHING",
            [cut.map(|c| c.to_string()).unwrap_or_default()],
        )?;
    }
    let newer = if plan.segments.is_empty() {
        Default::default()
    } else {
        changed_customers(conn, plan.last, i64::MAX)?
    };
    let at = plan.now.timestamp_millis();
    let mut stored = conn.prepare_cached("SELECT segmento FROM clientes WHERE id = ?1")?;
    let mut moves: Vec<(i64, String, Segment)> = Vec::new();
    for (id, seg) in plan.segments.iter().filter(|(id, _)| !newer.contains(id)) {
        if let Some(from) = stored
            .query_row([id], |r| r.get::<_, String>(0))
            .optional()?
        {
            moves.push((*id, from, *seg));
        }
    }
    let changed = change_segments(
        conn,
        moves.iter().map(|(id, from, to)| (*id, from.as_str(), *to)),
        at,
    )?;
    advance_cursor(conn, plan.last)?;
    Ok(changed)
}

/// Reclassifies the customers whose orders changed since the last pass and moves the cursor,
/// in the caller's transaction. Returns how many segments changed.
pub fn incremental(conn: &Connection, tz: Tz, now: DateTime<Utc>) -> Result<usize, AppError> {
    match plan_incremental(conn, tz, || now)? {
        None => Ok(0),
        Some(plan) => apply_incremental(conn, &plan),
    }
}
