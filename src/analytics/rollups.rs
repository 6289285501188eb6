//! Daily rollups (`analitica_*` tables of tenant V9, V10 and V25): triggers keep them exact in
//! the same transaction as every order write; this module rebuilds them from scratch (first
//! use, a new zone) and can recompute them independently, in Rust, to prove they match. V25
//! adds what the dashboard used to count per request: active customers per day, each
//! customer-day's previous order day (distinct active customers of a period without
//! DISTINCT), customers per segment, and the RFM grid, groups and CLV histogram of the last
//! nightly run. V27 adds monthly summaries of all that a period sums (`monthly`); V28 the
//! customer-days grouped by day and previous order day (a span of days' distinct customers).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::Connection;

use super::cohorts::local_day;
use crate::error::AppError;

/// SQL for the local day (`YYYY-MM-DD`) of the unix-ms expression `ms`, using the offsets
/// in `analitica_zona` — the same expression the triggers use.
pub fn day_sql(ms: &str) -> String {
    format!(
        "date(({ms} + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= {ms} \
         ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch')"
    )
}

/// Triggers that keep the first-day, month and cohort rollups current one customer-day at
/// a time. A rebuild computes those tables set-based instead: fired once per customer-day,
/// these triggers made the rebuild of a year of a busy brand take a minute.
const DERIVED_TRIGGERS: &[&str] = &[
    "analitica_cliente_dia_ai",
    "analitica_cliente_dia_ad",
    "analitica_cliente_dia_mes_ai",
    "analitica_cliente_dia_mes_ad",
    "analitica_cliente_mes_ai_primero",
    "analitica_cliente_mes_ai_despues",
    "analitica_cliente_mes_ad_primero",
    "analitica_cliente_mes_ad_despues",
    "analitica_cliente_dia_anterior_ai",
    "analitica_cliente_dia_anterior_ad",
    "analitica_cliente_dia_anterior_sin_ai",
    "analitica_cliente_dia_pares_ai",
    "analitica_cliente_dia_pares_ad",
    "analitica_cliente_dia_pares_au",
];

/// The lower edge of the CLV histogram bucket of the SQL expression `clv` (see
/// `metrics::CLV_EDGES`; the same CASE as the triggers of V25).
fn clv_bucket_sql(clv: &str) -> String {
    let edges = super::metrics::CLV_EDGES;
    let mut sql = String::from("CASE");
    for w in edges.windows(2) {
        sql.push_str(&format!(" WHEN {clv} < {} THEN {}", w[1], w[0]));
    }
    sql.push_str(&format!(" ELSE {} END", edges[edges.len() - 1]));
    sql
}

/// Refills the summaries of the last nightly RFM/CLV run (grid cells, named groups, CLV
/// buckets) and the customers per segment from their tables, set-based.
pub fn rebuild_customer_counts(conn: &Connection) -> Result<(), AppError> {
    conn.execute_batch(&format!(
        "DELETE FROM analitica_segmentos;
         DELETE FROM analitica_rfm_celdas;
         DELETE FROM analitica_rfm_grupos;
         DELETE FROM analitica_clv_tramos;
         INSERT INTO analitica_segmentos (segmento, clientes)
         SELECT segmento, COUNT(*) FROM clientes GROUP BY segmento;
         INSERT INTO analitica_rfm_celdas (rfm_r, rfm_f, clientes)
         SELECT rfm_r, rfm_f, COUNT(*) FROM analitica_clientes GROUP BY rfm_r, rfm_f;
         INSERT INTO analitica_rfm_grupos (rfm_grupo, clientes)
         SELECT rfm_grupo, COUNT(*) FROM analitica_clientes GROUP BY rfm_grupo;
         INSERT INTO analitica_clv_tramos (desde, clientes)
         SELECT {} AS tramo, COUNT(*) FROM analitica_clientes WHERE clv >= 0 GROUP BY tramo;",
        clv_bucket_sql("clv")
    ))?;
    Ok(())
}

/// Empties and refills every rollup from `pedidos` and `pedido_items`. The per-row
/// triggers of the derived tables are set aside and recreated from their own SQL in the
/// caller's transaction, so a committed database never lacks them.
pub fn rebuild(conn: &Connection) -> Result<(), AppError> {
    let names = DERIVED_TRIGGERS
        .iter()
        .chain(super::monthly::DERIVED_TRIGGERS);
    let mut saved = Vec::with_capacity(DERIVED_TRIGGERS.len());
    for name in names {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        if let Some(sql) = sql {
            conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
            saved.push(sql);
        }
    }
    let day = day_sql("creado_en");
    let pday = day_sql("p.creado_en");
    conn.execute_batch(&format!(
        "DELETE FROM analitica_dia;
         DELETE FROM analitica_cliente_dia;
         DELETE FROM analitica_nuevos_dia;
         DELETE FROM analitica_cliente_mes;
         DELETE FROM analitica_cohorte;
         DELETE FROM analitica_producto_dia;
         DELETE FROM analitica_activos_dia;
         DELETE FROM analitica_activos_dia_anterior;
         INSERT INTO analitica_dia (dia, canal, pedidos, ingresos, cancelados)
         SELECT dia, canal, SUM(estado <> 'cancelado'), SUM(IIF(estado <> 'cancelado', total, 0)),
                SUM(estado = 'cancelado')
         FROM (SELECT {day} AS dia, canal, estado, total FROM pedidos) GROUP BY dia, canal;
         INSERT INTO analitica_cliente_dia (cliente_id, dia, pedidos, ingresos, anterior)
         SELECT cliente_id, dia, n, s, LAG(dia) OVER (PARTITION BY cliente_id ORDER BY dia)
         FROM (SELECT cliente_id, dia, COUNT(*) AS n, SUM(total) AS s
               FROM (SELECT cliente_id, {day} AS dia, total FROM pedidos WHERE estado <> 'cancelado')
               GROUP BY cliente_id, dia)
         ORDER BY cliente_id, dia;
         INSERT INTO analitica_activos_dia (dia, clientes)
         SELECT dia, COUNT(*) FROM analitica_cliente_dia GROUP BY dia;
         INSERT INTO analitica_activos_dia_anterior (dia, anterior, clientes)
         SELECT dia, COALESCE(anterior, ''), COUNT(*) FROM analitica_cliente_dia
         GROUP BY dia, COALESCE(anterior, '');
         INSERT INTO analitica_producto_dia (dia, sku, unidades, ingresos)
         SELECT dia, sku, SUM(cantidad), SUM(total)
         FROM (SELECT {pday} AS dia, i.sku, i.cantidad, i.total
               FROM pedido_items i JOIN pedidos p ON p.id = i.pedido_id
               WHERE p.estado <> 'cancelado')
         GROUP BY dia, sku;
         -- What the triggers would have left: each customer's first day counted once, the
         -- months each customer ordered in, and each month's customers by first month.
         INSERT INTO analitica_nuevos_dia (dia, clientes)
         SELECT primero, COUNT(*)
         FROM (SELECT MIN(dia) AS primero FROM analitica_cliente_dia GROUP BY cliente_id)
         GROUP BY primero;
         INSERT INTO analitica_cliente_mes (cliente_id, mes)
         SELECT DISTINCT cliente_id, substr(dia, 1, 7) FROM analitica_cliente_dia;
         INSERT INTO analitica_cohorte (cohorte, mes, clientes)
         SELECT f.cohorte, m.mes, COUNT(*)
         FROM analitica_cliente_mes m
         JOIN (SELECT cliente_id, MIN(mes) AS cohorte FROM analitica_cliente_mes
               GROUP BY cliente_id) f ON f.cliente_id = m.cliente_id
         GROUP BY f.cohorte, m.mes;"
    ))?;
    super::conversion::rebuild(conn)?;
    super::monthly::rebuild(conn)?;
    for sql in &saved {
        conn.execute_batch(sql)?;
    }
    rebuild_customer_counts(conn)
}

/// Every rollup's content, comparable with `==`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// (day, channel) → (orders, revenue, cancelled)
    pub days: BTreeMap<(String, String), (i64, i64, i64)>,
    /// (customer, day) → (orders, revenue)
    pub customer_days: BTreeMap<(i64, String), (i64, i64)>,
    /// day → customers whose first order it was
    pub new_customers: BTreeMap<String, i64>,
    /// (day, sku) → (units, revenue)
    pub products: BTreeMap<(String, String), (i64, i64)>,
    /// (first-order month, month) → customers of that cohort active that month
    pub cohorts: BTreeMap<(String, String), i64>,
    /// day → customers with an order that day
    pub active_days: BTreeMap<String, i64>,
    /// (customer, day) → the customer's previous order day
    pub previous_days: BTreeMap<(i64, String), Option<String>>,
    /// (day, previous order day or '') → customers (V28)
    pub active_day_pairs: BTreeMap<(String, String), i64>,
    /// segment → customers
    pub segments: BTreeMap<String, i64>,
    /// (R, F) → customers, of the last nightly RFM run
    pub rfm_cells: BTreeMap<(i64, i64), i64>,
    /// RFM group → customers
    pub rfm_groups: BTreeMap<String, i64>,
    /// CLV bucket lower edge → customers
    pub clv_buckets: BTreeMap<i64, i64>,
    /// conversation-starting interaction → (customer, channel, at, converted)
    pub conversations: BTreeMap<i64, (i64, String, i64, bool)>,
    /// The monthly summaries and the daily tables of tenant V27.
    pub monthly: super::monthly::Summaries,
}

/// Conversation starts and conversions by the rule of `conversion`, in Rust.
fn conversations(conn: &Connection, s: &mut Snapshot) -> Result<(), AppError> {
    use super::conversion::{GAP_MS, WINDOW_MS};
    let mut orders: BTreeMap<i64, std::collections::BTreeSet<i64>> = BTreeMap::new();
    let mut st =
        conn.prepare("SELECT cliente_id, creado_en FROM pedidos WHERE estado <> 'cancelado'")?;
    for r in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (c, at) = r?;
        orders.entry(c).or_default().insert(at);
    }
    let mut st = conn.prepare(
        "SELECT id, cliente_id, canal, creado_en FROM interacciones
         WHERE direccion = 'entrante' AND tipo IN ('mensaje', 'llamada')
         ORDER BY cliente_id, canal, creado_en, id",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut last: Option<(i64, String, i64)> = None;
    for row in rows {
        let (id, customer, channel, at) = row?;
        let quiet = !last
            .as_ref()
            .is_some_and(|(c, ch, t)| *c == customer && *ch == channel && *t > at - GAP_MS);
        if quiet {
            let converted = orders
                .get(&customer)
                .is_some_and(|o| o.range(at..at + WINDOW_MS).next().is_some());
            s.conversations
                .insert(id, (customer, channel.clone(), at, converted));
        }
        last = Some((customer, channel, at));
    }
    Ok(())
}

/// Every row of `sql` as a (key, value) map.
pub(super) fn pairs<K: Ord, V>(
    conn: &Connection,
    sql: &str,
    row: impl Fn(&rusqlite::Row) -> rusqlite::Result<(K, V)>,
) -> Result<BTreeMap<K, V>, AppError> {
    let mut st = conn.prepare(sql)?;
    let out = st.query_map([], row)?.collect::<Result<_, _>>()?;
    Ok(out)
}

/// The customer-base summaries counted from `clientes` and `analitica_clientes` in Rust.
fn customer_counts(conn: &Connection, s: &mut Snapshot) -> Result<(), AppError> {
    let mut st = conn.prepare("SELECT segmento FROM clientes")?;
    for seg in st.query_map([], |r| r.get::<_, String>(0))? {
        *s.segments.entry(seg?).or_default() += 1;
    }
    let mut st = conn.prepare("SELECT rfm_r, rfm_f, rfm_grupo, clv FROM analitica_clientes")?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })?;
    for row in rows {
        let (rr, f, group, clv) = row?;
        *s.rfm_cells.entry((rr, f)).or_default() += 1;
        *s.rfm_groups.entry(group).or_default() += 1;
        if let Some(v) = clv.filter(|v| *v >= 0) {
            let edge = super::metrics::CLV_EDGES
                .iter()
                .rev()
                .find(|&&e| v >= e)
                .copied()
                .unwrap_or(0);
            *s.clv_buckets.entry(edge).or_default() += 1;
        }
    }
    Ok(())
}

/// What the rollup tables hold now.
pub fn stored(conn: &Connection) -> Result<Snapshot, AppError> {
    let mut s = Snapshot::default();
    let mut st =
        conn.prepare("SELECT dia, canal, pedidos, ingresos, cancelados FROM analitica_dia")?;
    for r in st.query_map([], |r| {
        Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?, r.get(4)?)))
    })? {
        let (k, v) = r?;
        s.days.insert(k, v);
    }
    let mut st =
        conn.prepare("SELECT cliente_id, dia, pedidos, ingresos FROM analitica_cliente_dia")?;
    for r in st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))? {
        let (k, v) = r?;
        s.customer_days.insert(k, v);
    }
    let mut st = conn.prepare("SELECT dia, clientes FROM analitica_nuevos_dia")?;
    for r in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (k, v) = r?;
        s.new_customers.insert(k, v);
    }
    let mut st = conn.prepare("SELECT cohorte, mes, clientes FROM analitica_cohorte")?;
    for r in st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))? {
        let (k, v) = r?;
        s.cohorts.insert(k, v);
    }
    let mut st = conn.prepare("SELECT dia, sku, unidades, ingresos FROM analitica_producto_dia")?;
    for r in st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))? {
        let (k, v) = r?;
        s.products.insert(k, v);
    }
    s.active_days = pairs(
        conn,
        "SELECT dia, clientes FROM analitica_activos_dia",
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    s.previous_days = pairs(
        conn,
        "SELECT cliente_id, dia, anterior FROM analitica_cliente_dia",
        |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
    )?;
    s.active_day_pairs = pairs(
        conn,
        "SELECT dia, anterior, clientes FROM analitica_activos_dia_anterior",
        |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
    )?;
    s.segments = pairs(
        conn,
        "SELECT segmento, clientes FROM analitica_segmentos",
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    s.rfm_cells = pairs(
        conn,
        "SELECT rfm_r, rfm_f, clientes FROM analitica_rfm_celdas",
        |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
    )?;
    s.rfm_groups = pairs(
        conn,
        "SELECT rfm_grupo, clientes FROM analitica_rfm_grupos",
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    s.clv_buckets = pairs(
        conn,
        "SELECT desde, clientes FROM analitica_clv_tramos",
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    s.conversations = pairs(
        conn,
        "SELECT interaccion_id, cliente_id, canal, en, convertida FROM analitica_conversaciones",
        |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))),
    )?;
    s.monthly = super::monthly::stored(conn)?;
    Ok(s)
}

pub(super) fn day_of(ms: i64, tz: Tz) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| local_day(t, tz).format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The rollups recomputed from the orders alone, bucketing days with chrono-tz rather
/// than the offset table — an independent check of triggers and table.
pub fn recompute(conn: &Connection, tz: Tz) -> Result<Snapshot, AppError> {
    let mut s = Snapshot::default();
    let mut st = conn.prepare("SELECT cliente_id, canal, estado, total, creado_en FROM pedidos")?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (customer, channel, status, total, at) = row?;
        let day = day_of(at, tz);
        let live = status != "cancelado";
        let e = s.days.entry((day.clone(), channel)).or_default();
        if live {
            e.0 += 1;
            e.1 += total;
            let c = s.customer_days.entry((customer, day)).or_default();
            c.0 += 1;
            c.1 += total;
        } else {
            e.2 += 1;
        }
    }
    let mut first: BTreeMap<i64, String> = BTreeMap::new();
    for (customer, day) in s.customer_days.keys() {
        first.entry(*customer).or_insert_with(|| day.clone());
    }
    let mut months: BTreeMap<i64, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (customer, day) in s.customer_days.keys() {
        months
            .entry(*customer)
            .or_default()
            .insert(day[..7.min(day.len())].to_string());
    }
    for set in months.values() {
        let Some(cohort) = set.first() else { continue };
        for m in set {
            *s.cohorts.entry((cohort.clone(), m.clone())).or_default() += 1;
        }
    }
    for day in first.into_values() {
        *s.new_customers.entry(day).or_default() += 1;
    }
    let mut last: Option<(i64, String)> = None;
    for (customer, day) in s.customer_days.keys() {
        *s.active_days.entry(day.clone()).or_default() += 1;
        let previous = last
            .as_ref()
            .filter(|(c, _)| c == customer)
            .map(|(_, d)| d.clone());
        *s.active_day_pairs
            .entry((day.clone(), previous.clone().unwrap_or_default()))
            .or_default() += 1;
        s.previous_days.insert((*customer, day.clone()), previous);
        last = Some((*customer, day.clone()));
    }
    customer_counts(conn, &mut s)?;
    conversations(conn, &mut s)?;
    let mut st = conn.prepare(
        "SELECT i.sku, i.cantidad, i.total, p.creado_en FROM pedido_items i
         JOIN pedidos p ON p.id = i.pedido_id WHERE p.estado <> 'cancelado'",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (sku, qty, total, at) = row?;
        let e = s.products.entry((day_of(at, tz), sku)).or_default();
        e.0 += qty;
        e.1 += total;
    }
    s.monthly = super::monthly::recompute(conn, tz, &s)?;
    Ok(s)
}
