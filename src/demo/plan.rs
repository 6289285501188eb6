//! The demo in memory before it is written: customers with a heavy-tailed appetite (a few
//! VIPs, many occasional buyers, some who stopped coming), exactly `--orders` orders spread
//! over their active months, baskets drawn from the catalogue, and the chats between them.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::aggregate;
use super::calendar::{Calendar, DAY, HOUR, MINUTE};
use super::catalog::{Catalog, Line, Stock, add_line};
use super::catalog_eco::SUBSCRIPTION_PREFIX;
use super::people::{People, Person, pick, weighted};
use super::profile::{CHANNELS, Profile};
use crate::customers::ACQUISITION_CHANNELS;

/// What to generate for one brand.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub customers: u32,
    pub orders: u32,
    pub months: u32,
    pub seed: u64,
    pub now: i64,
}

pub struct PlannedCustomer {
    pub person: Person,
    pub has_phone: bool,
    pub tags: Vec<&'static str>,
    pub notes: Option<&'static str>,
    pub consent: bool,
    pub acquisition: &'static str,
    /// Has written to the brand on WhatsApp (so `wa_id` is known).
    pub wa: bool,
    pub created_at: i64,
    pub orders_count: i64,
    pub total_spent: i64,
    pub first_order_at: Option<i64>,
    pub last_order_at: Option<i64>,
    pub segment: &'static str,
    // Planning state.
    join: i64,
    until: i64,
    appetite: f64,
    channel: usize,
    favourite: usize,
    subscription: Option<(usize, i64)>,
}

pub struct PlannedOrder {
    pub at: i64,
    pub customer: u32,
    pub channel: u8,
    pub first_line: u32,
    pub lines: u16,
    pub subtotal: i64,
    /// Seed of the order's status script.
    pub seed: u64,
}

/// A conversation outside any order (questions, support, staff notes).
pub struct Chat {
    pub at: i64,
    pub customer: u32,
    pub seed: u64,
}

pub struct Plan {
    pub profile: &'static Profile,
    pub catalog: Catalog,
    pub start: i64,
    pub now: i64,
    pub stock: Vec<Option<i64>>,
    pub customers: Vec<PlannedCustomer>,
    pub orders: Vec<PlannedOrder>,
    pub lines: Vec<Line>,
    pub chats: Vec<Chat>,
}

impl Plan {
    pub fn order_lines(&self, o: &PlannedOrder) -> &[Line] {
        let start = o.first_line as usize;
        &self.lines[start..start + usize::from(o.lines)]
    }
}

/// A per-brand seed, so `--tenant X` produces what the full run produces for X.
fn brand_seed(seed: u64, slug: &str) -> u64 {
    slug.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn build(profile: &'static Profile, tz: chrono_tz::Tz, size: Size) -> Plan {
    let mut rng = SmallRng::seed_from_u64(brand_seed(size.seed, profile.slug));
    let calendar = Calendar::new(profile, tz, size.now, size.months);
    let catalog = Catalog::new(profile.catalog, size.now);
    let stock = profile
        .catalog
        .iter()
        .map(|p| match p.stock {
            Stock::Untracked => None,
            Stock::Between(lo, hi) => Some(rng.gen_range(lo..=hi)),
        })
        .collect();
    let mut plan = Plan {
        profile,
        catalog,
        start: calendar.start,
        now: size.now,
        stock,
        customers: Vec::with_capacity(size.customers as usize),
        orders: Vec::with_capacity(size.orders as usize),
        lines: Vec::with_capacity(size.orders as usize * 3),
        chats: Vec::new(),
    };
    let mut people = People::default();
    for _ in 0..size.customers {
        let c = customer(&mut rng, &mut people, &plan, &calendar);
        plan.customers.push(c);
    }
    let counts = allocate(&mut rng, &plan.customers, size.orders);
    for (i, n) in counts.iter().enumerate() {
        orders_of(&mut rng, &mut plan, &calendar, i, *n);
    }
    plan.orders.sort_by_key(|o| (o.at, o.customer));
    aggregate::customers(&mut plan, &mut rng);
    sort_customers(&mut plan);
    chats(&mut rng, &mut plan, &calendar);
    plan
}

fn customer(
    rng: &mut SmallRng,
    people: &mut People,
    plan: &Plan,
    calendar: &Calendar,
) -> PlannedCustomer {
    let p = plan.profile;
    let person = people.person(rng, p.email_pct, 85);
    // A third were already customers when the window opens; the rest join over time,
    // slightly more later: a growing business.
    let span = (plan.now - HOUR - plan.start).max(1) as f64;
    let join = if rng.gen_bool(0.35) {
        plan.start
    } else {
        plan.start + (span * rng.gen_range(0.0f64..1.0).powf(0.85)) as i64
    };
    let buys = rng.gen_bool(0.88);
    let lapsed = rng.gen_bool(0.22);
    let until = if lapsed {
        let days = -75.0 * (1.0 - rng.gen_range(0.0f64..1.0)).ln();
        (join + DAY + (days * DAY as f64) as i64).min(plan.now)
    } else {
        plan.now
    };
    // Pareto(α = 1.25) appetite, capped so one customer cannot eat the whole dataset.
    let appetite = if buys {
        (1.0 - rng.gen_range(0.0f64..1.0))
            .powf(-1.0 / 1.25)
            .min(40.0)
    } else {
        0.0
    };
    let acquisition = *weighted(
        rng,
        &[
            (ACQUISITION_CHANNELS[0], p.acquisition[0]),
            (ACQUISITION_CHANNELS[1], p.acquisition[1]),
            (ACQUISITION_CHANNELS[2], p.acquisition[2]),
            (ACQUISITION_CHANNELS[3], p.acquisition[3]),
            (ACQUISITION_CHANNELS[4], p.acquisition[4]),
            (ACQUISITION_CHANNELS[5], p.acquisition[5]),
        ],
    );
    let channel = CHANNELS
        .iter()
        .position(|c| *c == acquisition)
        .unwrap_or_else(|| order_channel(rng, p));
    let subscription = (buys && p.kind == super::profile::Kind::Eco && rng.gen_bool(0.14))
        .then(|| subscription(rng, plan));
    let mut tags = Vec::new();
    for _ in 0..rng.gen_range(0..3) {
        let t = *pick(rng, p.tags);
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    if subscription.is_some() {
        tags.push("suscriptor");
    }
    let has_phone = person.email.is_none() || rng.gen_bool(0.96);
    let favourite = loop {
        let i = plan.catalog.pick_main(rng, join);
        if plan.catalog.may_be_favourite(i) {
            break i;
        }
    };
    PlannedCustomer {
        has_phone,
        tags,
        notes: rng.gen_bool(0.12).then(|| *pick(rng, p.notes)),
        consent: rng.gen_bool(0.6),
        acquisition,
        wa: has_phone && acquisition == "whatsapp",
        created_at: join,
        orders_count: 0,
        total_spent: 0,
        first_order_at: None,
        last_order_at: None,
        segment: "sin_compras",
        join: calendar.start.max(join),
        until,
        appetite,
        channel,
        favourite,
        subscription,
        person,
    }
}

fn order_channel(rng: &mut SmallRng, p: &Profile) -> usize {
    *weighted(
        rng,
        &[
            (0, p.order_channels[0]),
            (1, p.order_channels[1]),
            (2, p.order_channels[2]),
            (3, p.order_channels[3]),
        ],
    )
}

/// A subscription product and its period in ms.
fn subscription(rng: &mut SmallRng, plan: &Plan) -> (usize, i64) {
    let subs: Vec<usize> = (0..plan.catalog.specs.len())
        .filter(|&i| plan.catalog.specs[i].sku.starts_with(SUBSCRIPTION_PREFIX))
        .collect();
    let i = *weighted(rng, &[(subs[0], 6), (subs[1], 3), (subs[2], 2)]);
    let period = match plan.catalog.specs[i].sku {
        "ECO-SUS-DET" => 28 * DAY,
        "ECO-SUS-CEP" => 61 * DAY,
        _ => 2_629_746_000,
    };
    (i, period)
}

/// Splits exactly `total` orders: subscribers get one per period (up to 30 % of the
/// orders), everyone else a share proportional to appetite × active time, rounded by
/// largest remainder so the sum is exact.
fn allocate(rng: &mut SmallRng, customers: &[PlannedCustomer], total: u32) -> Vec<u32> {
    let mut counts = vec![0u32; customers.len()];
    let mut budget = u64::from(total) * 3 / 10;
    for (i, c) in customers.iter().enumerate() {
        if let Some((_, period)) = c.subscription {
            let n = ((c.until - c.join) / period + 1) as u64;
            if n <= budget {
                counts[i] = n as u32;
                budget -= n;
            }
        }
    }
    let fixed: u64 = counts.iter().map(|n| u64::from(*n)).sum();
    let rest = u64::from(total).saturating_sub(fixed);
    let mut weights: Vec<f64> = customers
        .iter()
        .zip(&counts)
        .map(|(c, n)| {
            if *n > 0 {
                0.0
            } else {
                c.appetite * ((c.until - c.join) as f64 / DAY as f64).max(1.0)
            }
        })
        .collect();
    if weights.iter().sum::<f64>() <= 0.0 {
        // Tiny runs where nobody drew an appetite: everyone may buy.
        weights = customers.iter().map(|_| rng.gen_range(0.5..1.5)).collect();
    }
    let sum: f64 = weights.iter().sum();
    if customers.is_empty() || rest == 0 {
        return counts;
    }
    let mut remainders = Vec::with_capacity(customers.len());
    let mut given = 0u64;
    for (i, w) in weights.iter().enumerate() {
        let exact = rest as f64 * w / sum;
        let n = exact.floor() as u64;
        counts[i] += n as u32;
        given += n;
        remainders.push((exact - n as f64, i));
    }
    remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for k in 0..(rest - given) as usize {
        counts[remainders[k % remainders.len()].1] += 1;
    }
    counts
}

fn orders_of(rng: &mut SmallRng, plan: &mut Plan, calendar: &Calendar, i: usize, n: u32) {
    let c = &plan.customers[i];
    let (join, until, sub) = (c.join, c.until, c.subscription);
    for k in 0..n {
        let at = match sub {
            Some((_, period)) => {
                let due = (join + i64::from(k) * period).min(plan.now - HOUR);
                calendar.place(rng, due, (due + DAY).min(plan.now))
            }
            // New customers sign up with their first order; earlier ones just keep buying.
            None if k == 0 && join > calendar.start => {
                calendar.place(rng, join, (join + 2 * DAY).min(until))
            }
            None => calendar.place(rng, join, until),
        };
        let c = &plan.customers[i];
        let channel = if sub.is_some() {
            if rng.gen_bool(0.8) { 1 } else { 0 }
        } else if rng.gen_bool(0.75) {
            c.channel
        } else {
            order_channel(rng, plan.profile)
        };
        if channel == 0 && c.has_phone {
            plan.customers[i].wa = true;
        }
        let first_line = plan.lines.len() as u32;
        let lines = match sub {
            Some((product, _)) => vec![Line {
                product: product as u16,
                qty: 1,
            }],
            None => basket(rng, plan, i, at),
        };
        let subtotal = lines
            .iter()
            .map(|l| plan.catalog.specs[usize::from(l.product)].precio * i64::from(l.qty))
            .sum();
        plan.lines.extend_from_slice(&lines);
        plan.orders.push(PlannedOrder {
            at,
            customer: i as u32,
            channel: channel as u8,
            first_line,
            lines: lines.len() as u16,
            subtotal,
            seed: rng.r#gen(),
        });
    }
}

/// A main product (often the customer's favourite), its usual companions, and extras.
fn basket(rng: &mut SmallRng, plan: &Plan, customer: usize, at: i64) -> Vec<Line> {
    let p = plan.profile;
    let fav = plan.customers[customer].favourite;
    let main = if plan.catalog.is_sellable(fav, at) && rng.gen_bool(0.45) {
        fav
    } else {
        plan.catalog.pick_main(rng, at)
    };
    let qty = *weighted(
        rng,
        &[
            (1, p.main_qty[0]),
            (2, p.main_qty[1]),
            (3, p.main_qty[2]),
            (4, p.main_qty[3]),
        ],
    );
    let mut lines = Vec::with_capacity(4);
    add_line(&mut lines, main, qty);
    for &(other, pct) in plan.catalog.complements(main) {
        if plan.catalog.is_sellable(other, at) && rng.gen_range(0..100) < pct {
            add_line(&mut lines, other, if rng.gen_bool(0.15) { 2 } else { 1 });
        }
    }
    let more = p.extra_lines / (1.0 + p.extra_lines);
    while lines.len() < 8 && rng.gen_bool(more) {
        let extra = plan.catalog.pick_extra(rng, at);
        add_line(&mut lines, extra, if rng.gen_bool(0.2) { 2 } else { 1 });
    }
    lines
}

/// Orders customers by sign-up time so ids grow with time, as they would through the API.
fn sort_customers(plan: &mut Plan) {
    let mut order: Vec<usize> = (0..plan.customers.len()).collect();
    order.sort_by_key(|&i| (plan.customers[i].created_at, i));
    let mut new_index = vec![0u32; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new as u32;
    }
    let mut slots: Vec<Option<PlannedCustomer>> = plan.customers.drain(..).map(Some).collect();
    plan.customers = order.iter().filter_map(|&old| slots[old].take()).collect();
    for o in &mut plan.orders {
        o.customer = new_index[o.customer as usize];
    }
}

/// Questions, support requests and staff notes, roughly `chat_rate` per order placed.
fn chats(rng: &mut SmallRng, plan: &mut Plan, calendar: &Calendar) {
    for (i, c) in plan.customers.iter().enumerate() {
        let expected = plan.profile.chat_rate * (c.orders_count as f64 + 0.5);
        let n = expected.floor() as u32 + u32::from(rng.gen_bool(expected.fract()));
        let until = (c.last_order_at.unwrap_or(c.created_at) + 30 * DAY).min(plan.now);
        for _ in 0..n {
            plan.chats.push(Chat {
                at: calendar.place(rng, c.created_at + MINUTE, until),
                customer: i as u32,
                seed: rng.r#gen(),
            });
        }
    }
    plan.chats.sort_by_key(|c| (c.at, c.customer));
}
