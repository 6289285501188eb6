//! Customer totals and lifecycle segments computed from the planned orders, so the stored
//! customers agree with their orders exactly as if every order had gone through the API.
//!
//! Like `orders::store`, `pedidos_count` and `total_gastado` leave cancelled orders out,
//! while `primer_pedido_en` / `ultimo_pedido_en` are set when an order is created and a
//! later cancellation does not move them back.

use rand::Rng;
use rand::rngs::SmallRng;

use super::calendar::{DAY, MINUTE};
use super::plan::Plan;
use super::script::script;
use crate::orders::Status;

/// The analytics defaults (see the segments rules): VIP = top 10 % of 12-month spend or
/// 12+ orders in 12 months; at risk after 2 usual intervals (at least 30 days); lost after
/// 180 days; new within 30 days of the first order.
const VIP_TOP_SHARE: f64 = 0.10;
const VIP_MIN_ORDERS_12M: u32 = 12;
const AT_RISK_FACTOR: f64 = 2.0;
const AT_RISK_FLOOR_DAYS: f64 = 30.0;
const LOST_AFTER_DAYS: f64 = 180.0;
const NEW_WITHIN_DAYS: f64 = 30.0;

struct Activity {
    first: i64,
    last: i64,
    orders: u32,
    orders_12m: u32,
    spend_12m: i64,
    usual_gap_days: Option<f64>,
}

pub fn customers(plan: &mut Plan, rng: &mut SmallRng) {
    let now = plan.now;
    let mut live: Vec<(u32, i64, i64)> = Vec::with_capacity(plan.orders.len());
    for o in &plan.orders {
        let c = &mut plan.customers[o.customer as usize];
        c.first_order_at = Some(c.first_order_at.map_or(o.at, |f| f.min(o.at)));
        c.last_order_at = Some(c.last_order_at.map_or(o.at, |l| l.max(o.at)));
        let status = script(plan.profile, usize::from(o.channel), o.at, now, o.seed).status();
        if status != Status::Cancelado {
            c.orders_count += 1;
            c.total_spent += o.subtotal;
            live.push((o.customer, o.at, o.subtotal));
        }
    }
    for c in &mut plan.customers {
        if let Some(first) = c.first_order_at {
            // They signed up while placing their first order.
            c.created_at = first - rng.gen_range(MINUTE..20 * MINUTE);
        }
    }
    // Orders are already in time order; a stable sort groups them per customer.
    live.sort_by_key(|(customer, _, _)| *customer);
    let mut activities: Vec<(usize, Activity)> = Vec::new();
    let mut gaps = Vec::new();
    for group in live.chunk_by(|a, b| a.0 == b.0) {
        gaps.clear();
        gaps.extend(
            group
                .windows(2)
                .map(|w| (w[1].1 - w[0].1) as f64 / DAY as f64),
        );
        gaps.sort_by(f64::total_cmp);
        let recent = group.iter().filter(|o| o.1 > now - 365 * DAY);
        activities.push((
            group[0].0 as usize,
            Activity {
                first: group[0].1,
                last: group[group.len() - 1].1,
                orders: group.len() as u32,
                orders_12m: recent.clone().count() as u32,
                spend_12m: recent.map(|o| o.2).sum(),
                usual_gap_days: median(&gaps),
            },
        ));
    }
    let cut = vip_spend_cut(activities.iter().map(|(_, a)| a.spend_12m).collect());
    for (i, a) in &activities {
        plan.customers[*i].segment = segment(a, now, cut);
    }
}

fn median(sorted: &[f64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn vip_spend_cut(mut spends: Vec<i64>) -> i64 {
    spends.retain(|s| *s > 0);
    if spends.is_empty() {
        return i64::MAX;
    }
    spends.sort_unstable_by(|a, b| b.cmp(a));
    let k = ((spends.len() as f64 * VIP_TOP_SHARE).ceil() as usize).max(1);
    spends[k - 1]
}

fn segment(a: &Activity, now: i64, vip_cut: i64) -> &'static str {
    let idle = (now - a.last) as f64 / DAY as f64;
    if idle > LOST_AFTER_DAYS {
        return "perdido";
    }
    let threshold = match a.usual_gap_days {
        Some(gap) => (AT_RISK_FACTOR * gap).max(AT_RISK_FLOOR_DAYS),
        None => NEW_WITHIN_DAYS.max(AT_RISK_FLOOR_DAYS),
    };
    if idle > threshold {
        return "en_riesgo";
    }
    if a.spend_12m >= vip_cut || a.orders_12m >= VIP_MIN_ORDERS_12M {
        return "vip";
    }
    if (now - a.first) as f64 / DAY as f64 <= NEW_WITHIN_DAYS || a.orders < 2 {
        return "nuevo";
    }
    "recurrente"
}
