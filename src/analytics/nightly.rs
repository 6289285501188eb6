//! The nightly full recompute of a brand: every customer's segment, RFM scores and CLV from
//! one scan of the orders (read on a reader, [`compute`]), then the differences written in
//! one short write ([`apply`]). The change-feed pass in [`super::refresh`] keeps segments
//! current between runs.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, params};

use super::clv::{self, ClvOptions, CustomerClv};
use super::refresh::{
    ALL_ORDERS_SQL, change_segments, changed_customers, feed_position, instant, rules, set_state,
    snapshot,
};
use super::rfm::{self, RfmInput, RfmScore};
use super::segments::{self, CustomerActivity, Segment};
use crate::error::AppError;

/// Everything the nightly recompute decided, ready to write.
pub struct Recompute {
    pub now: i64,
    /// The change feed's last sequence number in the snapshot the plan was computed from:
    /// customers whose orders changed after it are left to the incremental pass, which
    /// sees newer data than the plan.
    pub seen_seq: i64,
    pub segments: Vec<(i64, Segment)>,
    pub vip_cut: Option<i64>,
    pub rfm: Vec<RfmScore>,
    pub clv: Vec<CustomerClv>,
    /// Why no CLV could be fitted, if so.
    pub clv_error: Option<String>,
    pub timings: Timings,
}

/// Seconds each step of [`compute`] took: the job log and the benchmark report them, so a
/// slow nightly run says where its time went.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Reading every order and customer.
    pub read: f64,
    pub segments: f64,
    pub rfm: f64,
    /// BG/NBD and Gamma-Gamma maximum likelihood (with the per-customer summaries).
    pub clv_fit: f64,
    /// Expected purchases, P(alive) and 12-month CLV of every customer.
    pub clv_predict: f64,
}

/// Every customer of the brand (id order) with their non-cancelled orders (time, total):
/// one scan of `pedidos` sorted in memory, each customer's orders a slice of one vector
/// (no map of 100k vectors to build for the nightly run).
struct BrandOrders {
    ids: Vec<i64>,
    orders: Vec<(DateTime<Utc>, i64)>,
    /// Per customer of `ids`, the range of `orders` that is theirs.
    spans: Vec<std::ops::Range<usize>>,
}

impl BrandOrders {
    fn read(conn: &Connection) -> Result<Self, AppError> {
        let mut rows: Vec<(i64, i64, i64)> = conn
            .prepare(ALL_ORDERS_SQL)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        rows.sort_unstable();
        let mut ids: Vec<i64> = conn
            .prepare("SELECT id FROM clientes ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.sort_unstable();
        let mut spans = Vec::with_capacity(ids.len());
        let mut at = 0;
        for id in &ids {
            // Orders of ids missing from `clientes` (none, by the foreign key) are skipped.
            while at < rows.len() && rows[at].0 < *id {
                at += 1;
            }
            let start = at;
            while at < rows.len() && rows[at].0 == *id {
                at += 1;
            }
            spans.push(start..at);
        }
        let orders = rows
            .iter()
            .map(|&(_, t, total)| (instant(t), total))
            .collect();
        Ok(Self { ids, orders, spans })
    }

    /// (customer, their orders) in id order.
    fn each(&self) -> impl Iterator<Item = (i64, &[(DateTime<Utc>, i64)])> {
        self.ids
            .iter()
            .zip(&self.spans)
            .map(|(id, span)| (*id, &self.orders[span.clone()]))
    }
}

/// Classifies every customer, scores RFM and fits CLV (reads only), in one snapshot. The
/// clock is read once the snapshot has begun, so no order in it looks like a future one.
pub fn compute(
    conn: &Connection,
    tz: Tz,
    clock: impl FnOnce() -> DateTime<Utc>,
) -> Result<Recompute, AppError> {
    let _snapshot = snapshot(conn)?;
    let (_, seen_seq) = feed_position(conn)?;
    let now = clock();
    let rules = rules(conn)?;
    let mut timings = Timings::default();
    let mut step = Instant::now();
    let mut lap = |slot: &mut f64| {
        *slot = step.elapsed().as_secs_f64();
        step = Instant::now();
    };
    let brand_orders = BrandOrders::read(conn)?;
    lap(&mut timings.read);
    let activity: Vec<CustomerActivity> = brand_orders
        .each()
        .map(|(id, list)| CustomerActivity::from_orders(id, list, now))
        .collect();
    let brand = segments::classify_brand(&activity, now, &rules);
    lap(&mut timings.segments);
    let rfm_input: Vec<RfmInput> = brand_orders
        .each()
        .filter_map(|(id, list)| {
            let past = list.iter().filter(|o| o.0 <= now);
            Some(RfmInput {
                customer_id: id,
                last_order: past.clone().map(|o| o.0).max()?,
                orders: u32::try_from(past.clone().count()).unwrap_or(u32::MAX),
                revenue: past.map(|o| o.1).sum(),
            })
        })
        .collect();
    let report = rfm::analyse(&rfm_input, now, tz);
    lap(&mut timings.rfm);
    let summaries: Vec<clv::CustomerSummary> = brand_orders
        .each()
        .filter_map(|(id, list)| clv::summarize(id, list, now, tz))
        .collect();
    let fitted = clv::fit_model(&summaries);
    lap(&mut timings.clv_fit);
    let (clv, clv_error) = match fitted {
        Ok(model) => (
            clv::predict_all(&model, &summaries, &ClvOptions::default()),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    lap(&mut timings.clv_predict);
    Ok(Recompute {
        now: now.timestamp_millis(),
        seen_seq,
        segments: brand
            .customers
            .iter()
            .map(|c| (c.customer_id, c.segment))
            .collect(),
        vip_cut: brand.vip_cut,
        rfm: report.customers,
        clv,
        clv_error,
        timings,
    })
}

/// Writes a recompute: changed segments (logged), the VIP cut, RFM and CLV per customer.
/// Returns how many segments changed.
pub fn apply(conn: &Connection, r: &Recompute) -> Result<usize, AppError> {
    let newer = changed_customers(conn, r.seen_seq, i64::MAX)?;
    // Every stored segment in one read (a lookup per customer cost 100k statements a
    // night); only the customers whose segment moved are written, in one statement, and the
    // change feed, the audit log and the segment counts follow as for any other update.
    let stored: HashMap<i64, String> = conn
        .prepare("SELECT id, segmento FROM clientes")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let moves = r
        .segments
        .iter()
        .filter(|(id, _)| !newer.contains(id))
        .filter_map(|(id, seg)| stored.get(id).map(|from| (*id, from.as_str(), *seg)));
    let changed = change_segments(conn, moves, r.now)?;
    set_state(
        conn,
        "corte_vip",
        &r.vip_cut.map(|c| c.to_string()).unwrap_or_default(),
    )?;
    let clv: HashMap<i64, &CustomerClv> = r.clv.iter().map(|c| (c.customer_id, c)).collect();
    // Every row may move: the summary triggers stand aside (V25) and the summaries are
    // refilled set-based below, in this same transaction.
    set_state(conn, "rfm_en_bloque", "1")?;
    // Rows are updated in place and only where a value moved, not deleted and inserted
    // again: at 100k customers the rewrite of every row (a delete and an insert per row, the
    // deleted cells zeroed by secure_delete, the group index rebuilt) was most of the
    // nightly write. Customers no longer scored (no past order) lose their row.
    let scored: std::collections::HashSet<i64> = r.rfm.iter().map(|s| s.customer_id).collect();
    let stale: Vec<i64> = conn
        .prepare("SELECT cliente_id FROM analitica_clientes")?
        .query_map([], |r| r.get(0))?
        .filter(|id| !matches!(id, Ok(id) if scored.contains(id)))
        .collect::<Result<_, _>>()?;
    let mut delete = conn.prepare_cached("DELETE FROM analitica_clientes WHERE cliente_id = ?1")?;
    for id in stale {
        delete.execute([id])?;
    }
    // One statement over a JSON array of every row, not a statement per row: each statement
    // ending inside the writer's savepoint costs SQLite a walk of the savepoint's in-memory
    // sub-journal, so 100k statements after a large segment move were quadratic (minutes at
    // 1M orders).
    let rows: Vec<serde_json::Value> = r
        .rfm
        .iter()
        .map(|s| {
            let c = clv.get(&s.customer_id);
            serde_json::json!([
                s.customer_id,
                s.r,
                s.f,
                s.m,
                s.group,
                c.map(|c| c.clv),
                c.map(|c| c.p_alive),
                c.map(|c| c.expected_purchases)
            ])
        })
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| AppError::internal(e.to_string()))?;
    conn.execute(
        "INSERT INTO analitica_clientes (cliente_id, rfm_r, rfm_f, rfm_m, rfm_grupo, clv,
             prob_activo, compras_esperadas, calculado_en)
         SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4,
                j.value ->> 5, j.value ->> 6, j.value ->> 7, ?2
         FROM json_each(?1) AS j
         WHERE EXISTS (SELECT 1 FROM clientes WHERE id = j.value ->> 0)
         ON CONFLICT (cliente_id) DO UPDATE SET rfm_r = excluded.rfm_r, rfm_f = excluded.rfm_f,
             rfm_m = excluded.rfm_m, rfm_grupo = excluded.rfm_grupo, clv = excluded.clv,
             prob_activo = excluded.prob_activo, compras_esperadas = excluded.compras_esperadas,
             calculado_en = excluded.calculado_en
         WHERE (rfm_r, rfm_f, rfm_m, rfm_grupo, clv, prob_activo, compras_esperadas)
             IS NOT (excluded.rfm_r, excluded.rfm_f, excluded.rfm_m, excluded.rfm_grupo,
                     excluded.clv, excluded.prob_activo, excluded.compras_esperadas)",
        params![rows, r.now],
    )?;
    super::rollups::rebuild_customer_counts(conn)?;
    conn.execute(
        "DELETE FROM analitica_estado WHERE clave = 'rfm_en_bloque'",
        [],
    )?;
    Ok(changed)
}
