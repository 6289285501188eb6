//! Lifecycle segment of each customer (`sin_compras`, `nuevo`, `recurrente`, `vip`,
//! `en_riesgo`, `perdido`) from their order history, with per-brand thresholds.
//!
//! Rules, checked in this order (the first that applies wins; "days" are elapsed time,
//! fractional, and "more than" is strict):
//! 1. **sin_compras** — no (non-cancelled) order yet.
//! 2. **perdido** — no order for more than `lost_after_days`.
//! 3. **en_riesgo** — no order for more than the customer's own threshold:
//!    `at_risk_factor` × their usual interval (the median gap between consecutive orders),
//!    but never less than `at_risk_floor_days`, so a daily buyer is not "at risk" after
//!    two quiet days. A one-order customer has no interval and uses
//!    max(`new_within_days`, `at_risk_floor_days`): a first-time buyer who has not come back
//!    by the end of their "new" window is the one to re-engage.
//! 4. **vip** — 12-month spend at or above the brand's cut (the spend of the customer at
//!    the `vip_top_share` boundary among customers with any 12-month spend, see
//!    [`vip_spend_cut`]) or at least `vip_min_orders_12m` orders in the last 12 months.
//!    At-risk VIPs show as `en_riesgo` on purpose: that is the list to act on.
//! 5. **nuevo** — first order within `new_within_days`.
//! 6. **recurrente** — everyone else with two or more orders; a one-order customer who is
//!    past the new window but not yet at risk (only possible when the floor exceeds the
//!    window) stays **nuevo**.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A lifecycle segment. JSON and SQL: the snake_case Spanish key (`"en_riesgo"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    SinCompras,
    Nuevo,
    Recurrente,
    Vip,
    EnRiesgo,
    Perdido,
}

impl Segment {
    pub const ALL: [Segment; 6] = [
        Self::SinCompras,
        Self::Nuevo,
        Self::Recurrente,
        Self::Vip,
        Self::EnRiesgo,
        Self::Perdido,
    ];

    /// The stored key, e.g. `"en_riesgo"`.
    pub fn key(self) -> &'static str {
        match self {
            Self::SinCompras => "sin_compras",
            Self::Nuevo => "nuevo",
            Self::Recurrente => "recurrente",
            Self::Vip => "vip",
            Self::EnRiesgo => "en_riesgo",
            Self::Perdido => "perdido",
        }
    }

    /// The label for the UI, e.g. `"En riesgo"`.
    pub fn name_es(self) -> &'static str {
        match self {
            Self::SinCompras => "Sin compras",
            Self::Nuevo => "Nuevo",
            Self::Recurrente => "Recurrente",
            Self::Vip => "VIP",
            Self::EnRiesgo => "En riesgo",
            Self::Perdido => "Perdido",
        }
    }
}

/// A brand's thresholds; stored in its settings. Defaults suit a shop or restaurant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentRules {
    /// Share of 12-month spenders that are VIP by spend (0.10 = top 10 %; 0 disables).
    pub vip_top_share: f64,
    /// Orders in the last 12 months that make a customer VIP regardless of spend (0 disables).
    pub vip_min_orders_12m: u32,
    /// At risk after this many usual intervals without an order.
    pub at_risk_factor: f64,
    /// Lower bound of the at-risk threshold, days.
    pub at_risk_floor_days: f64,
    /// Lost after this many days without an order.
    pub lost_after_days: f64,
    /// New while the first order is at most this many days old.
    pub new_within_days: f64,
}

impl Default for SegmentRules {
    fn default() -> Self {
        Self {
            vip_top_share: 0.10,
            vip_min_orders_12m: 12,
            at_risk_factor: 2.0,
            at_risk_floor_days: 30.0,
            lost_after_days: 180.0,
            new_within_days: 30.0,
        }
    }
}

/// What the rules need about one customer, as of some instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerActivity {
    pub customer_id: i64,
    pub first_order: Option<DateTime<Utc>>,
    pub last_order: Option<DateTime<Utc>>,
    /// Non-cancelled orders, ever.
    pub orders: u32,
    /// Orders in the 365 days up to now.
    pub orders_12m: u32,
    /// Spend in the 365 days up to now, minor units.
    pub spend_12m: i64,
    /// Median days between consecutive orders (`None` with fewer than two orders).
    pub usual_interval_days: Option<f64>,
}

const DAY_SECONDS: f64 = 86_400.0;

fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / DAY_SECONDS
}

impl CustomerActivity {
    /// Builds the activity from a customer's non-cancelled orders (time, total in minor
    /// units); orders after `now` are ignored, so past states can be replayed.
    pub fn from_orders(
        customer_id: i64,
        orders: &[(DateTime<Utc>, i64)],
        now: DateTime<Utc>,
    ) -> Self {
        let mut times: Vec<DateTime<Utc>> =
            orders.iter().map(|o| o.0).filter(|t| *t <= now).collect();
        times.sort_unstable();
        let year_ago = now - Duration::days(365);
        let recent = orders.iter().filter(|(t, _)| *t > year_ago && *t <= now);
        let mut gaps: Vec<f64> = times.windows(2).map(|w| days_between(w[0], w[1])).collect();
        gaps.sort_unstable_by(f64::total_cmp);
        let usual_interval_days = match gaps.len() {
            0 => None,
            n if n % 2 == 1 => Some(gaps[n / 2]),
            n => Some((gaps[n / 2 - 1] + gaps[n / 2]) / 2.0),
        };
        Self {
            customer_id,
            first_order: times.first().copied(),
            last_order: times.last().copied(),
            orders: u32::try_from(times.len()).unwrap_or(u32::MAX),
            orders_12m: u32::try_from(recent.clone().count()).unwrap_or(u32::MAX),
            spend_12m: recent.fold(0i64, |acc, (_, v)| acc.saturating_add(*v)),
            usual_interval_days,
        }
    }
}

/// The brand's VIP spend cut: sort the positive 12-month spends descending, take
/// k = ⌊share · n⌋ and return the k-th spend. Ties at the cut are all VIP, so the group can
/// be slightly larger than the share. `None` when k = 0 — fewer than 1/share spenders (10
/// with the default) make "the top 10 %" meaningless, so a brand's first customer is not
/// VIP just for being alone — or when share ≤ 0.
pub fn vip_spend_cut(spends_12m: impl IntoIterator<Item = i64>, share: f64) -> Option<i64> {
    let mut spends: Vec<i64> = spends_12m.into_iter().filter(|s| *s > 0).collect();
    if share.is_nan() || share <= 0.0 {
        return None;
    }
    spends.sort_unstable_by(|a, b| b.cmp(a));
    let k = ((share.min(1.0) * spends.len() as f64).floor() as usize).min(spends.len());
    k.checked_sub(1).map(|i| spends[i])
}

/// Classifies one customer as of `now`; `vip_cut` comes from [`vip_spend_cut`] over the
/// brand. See the module docs for the rules.
pub fn classify(
    c: &CustomerActivity,
    now: DateTime<Utc>,
    rules: &SegmentRules,
    vip_cut: Option<i64>,
) -> Segment {
    let (Some(first), Some(last)) = (c.first_order, c.last_order) else {
        return Segment::SinCompras;
    };
    if c.orders == 0 {
        return Segment::SinCompras;
    }
    let since_last = days_between(last, now).max(0.0);
    if since_last > rules.lost_after_days {
        return Segment::Perdido;
    }
    let threshold = match c.usual_interval_days {
        Some(gap) if c.orders >= 2 && gap.is_finite() => {
            (rules.at_risk_factor * gap).max(rules.at_risk_floor_days)
        }
        _ => rules.new_within_days.max(rules.at_risk_floor_days),
    };
    if since_last > threshold {
        return Segment::EnRiesgo;
    }
    let vip_by_spend = vip_cut.is_some_and(|cut| c.spend_12m > 0 && c.spend_12m >= cut);
    let vip_by_orders = rules.vip_min_orders_12m > 0 && c.orders_12m >= rules.vip_min_orders_12m;
    if vip_by_spend || vip_by_orders {
        return Segment::Vip;
    }
    if days_between(first, now) <= rules.new_within_days || c.orders < 2 {
        return Segment::Nuevo;
    }
    Segment::Recurrente
}

/// One customer's segment. JSON: `cliente_id`, `segmento`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CustomerSegment {
    #[serde(rename = "cliente_id")]
    pub customer_id: i64,
    #[serde(rename = "segmento")]
    pub segment: Segment,
}

/// A whole brand classified. JSON: `clientes`, `conteo` (every segment with its count, in
/// [`Segment::ALL`] order) and `corte_vip` (the spend cut used, minor units, or null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrandSegments {
    #[serde(rename = "clientes")]
    pub customers: Vec<CustomerSegment>,
    #[serde(rename = "conteo")]
    pub counts: Vec<(Segment, u32)>,
    #[serde(rename = "corte_vip")]
    pub vip_cut: Option<i64>,
}

/// Classifies every customer of a brand as of `now` (input order is kept).
pub fn classify_brand(
    customers: &[CustomerActivity],
    now: DateTime<Utc>,
    rules: &SegmentRules,
) -> BrandSegments {
    let vip_cut = vip_spend_cut(customers.iter().map(|c| c.spend_12m), rules.vip_top_share);
    let segs: Vec<CustomerSegment> = customers
        .iter()
        .map(|c| CustomerSegment {
            customer_id: c.customer_id,
            segment: classify(c, now, rules, vip_cut),
        })
        .collect();
    let counts = Segment::ALL
        .iter()
        .map(|&s| (s, segs.iter().filter(|c| c.segment == s).count() as u32))
        .collect();
    BrandSegments {
        customers: segs,
        counts,
        vip_cut,
    }
}

/// A customer whose segment changed. JSON: `cliente_id`, `desde` (null for a customer not
/// seen before), `hacia`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SegmentChange {
    #[serde(rename = "cliente_id")]
    pub customer_id: i64,
    #[serde(rename = "desde")]
    pub from: Option<Segment>,
    #[serde(rename = "hacia")]
    pub to: Segment,
}

/// The changes between the stored segments and a fresh classification, in the order of
/// `current`, so storage can record "became VIP this week".
pub fn changes(previous: &[(i64, Segment)], current: &[CustomerSegment]) -> Vec<SegmentChange> {
    let before: HashMap<i64, Segment> = previous.iter().copied().collect();
    current
        .iter()
        .filter_map(|c| {
            let from = before.get(&c.customer_id).copied();
            (from != Some(c.segment)).then_some(SegmentChange {
                customer_id: c.customer_id,
                from,
                to: c.segment,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "segments_tests.rs"]
mod tests;
