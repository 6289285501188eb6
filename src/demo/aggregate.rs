//! Customer totals and lifecycle segments computed from the planned orders, so the stored
//! customers agree with their orders exactly as if every order had gone through the API and
//! the segment updater had classified them (same classifier, default rules).
//!
//! Like `orders::store`, `pedidos_count` and `total_gastado` leave cancelled orders out,
//! while `primer_pedido_en` / `ultimo_pedido_en` are set when an order is created and a
//! later cancellation does not move them back.

use rand::Rng;
use rand::rngs::SmallRng;

use chrono::{DateTime, Utc};

use super::calendar::MINUTE;
use super::plan::Plan;
use super::script::script;
use crate::analytics::segments::{self, CustomerActivity, SegmentRules};
use crate::orders::Status;

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
    // The segments the analytics module's classifier gives as of the demo's "now", with the
    // default rules: the server's segment updater finds nothing to change.
    live.sort_by_key(|(customer, _, _)| *customer);
    let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    let when = at(now);
    let mut orders = Vec::new();
    let mut activities = Vec::with_capacity(plan.customers.len());
    let mut groups = live.chunk_by(|a, b| a.0 == b.0).peekable();
    for i in 0..plan.customers.len() {
        orders.clear();
        if let Some(group) = groups.next_if(|g| g[0].0 as usize == i) {
            orders.extend(group.iter().map(|o| (at(o.1), o.2)));
        }
        activities.push(CustomerActivity::from_orders(i as i64, &orders, when));
    }
    let brand = segments::classify_brand(&activities, when, &SegmentRules::default());
    for (c, s) in plan.customers.iter_mut().zip(&brand.customers) {
        c.segment = s.segment.key();
    }
}
