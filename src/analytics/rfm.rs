//! RFM analysis within one brand: recency, frequency and monetary scores 1–5 by quintiles,
//! the 11 standard named RFM groups, and the 5×5 recency × frequency grid.
//!
//! **Scores.** Each metric is turned into a mid-rank percentile
//! PR = (#customers strictly worse + ½ · #customers tied, including oneself) / n, the
//! textbook percentile rank, and the score is 1 + ⌊5·PR⌋ (so 1–5, one quintile each).
//! Ties therefore always share a score, the result does not depend on input order, and a
//! brand where everyone looks the same (or has one customer) scores 3, "no information",
//! instead of an arbitrary 1 or 5. Better means: fewer days since the last order (R), more
//! orders (F), more revenue (M). Recency is counted in whole days of the brand's zone.
//!
//! **Groups.** FM = ⌈(F + M) / 2⌉ and the group is read from this table (rows R, columns
//! FM), a complete version of the usual segment map (Putler / "RFM segments" tables):
//!
//! | R \ FM | 1              | 2                  | 3                  | 4               | 5               |
//! |--------|----------------|--------------------|--------------------|-----------------|-----------------|
//! | 5      | New            | Potential loyalist | Potential loyalist | Champions       | Champions       |
//! | 4      | Promising      | Potential loyalist | Loyal              | Loyal           | Champions       |
//! | 3      | About to sleep | Need attention     | Need attention     | Loyal           | Loyal           |
//! | 2      | Hibernating    | About to sleep     | At risk            | At risk         | Can't lose them |
//! | 1      | Lost           | Hibernating        | At risk            | Can't lose them | Can't lose them |

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// One customer with at least one (non-cancelled) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RfmInput {
    pub customer_id: i64,
    pub last_order: DateTime<Utc>,
    pub orders: u32,
    /// Revenue in minor units over the analysed period.
    pub revenue: i64,
}

/// The 11 named groups. JSON: the snake_case English key (`"champions"`, `"cant_lose_them"`);
/// [`RfmGroup::name_es`] gives the Spanish label for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RfmGroup {
    Champions,
    Loyal,
    PotentialLoyalist,
    New,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLoseThem,
    Hibernating,
    Lost,
}

impl RfmGroup {
    /// All groups, best first (the order of dashboards and legends).
    pub const ALL: [RfmGroup; 11] = [
        Self::Champions,
        Self::Loyal,
        Self::PotentialLoyalist,
        Self::New,
        Self::Promising,
        Self::NeedAttention,
        Self::AboutToSleep,
        Self::AtRisk,
        Self::CantLoseThem,
        Self::Hibernating,
        Self::Lost,
    ];

    /// The group for an R score and an FM score (both clamped to 1–5); see the module table.
    pub fn from_scores(r: u8, fm: u8) -> Self {
        use RfmGroup::*;
        const TABLE: [[RfmGroup; 5]; 5] = [
            [Lost, Hibernating, AtRisk, CantLoseThem, CantLoseThem],
            [Hibernating, AboutToSleep, AtRisk, AtRisk, CantLoseThem],
            [AboutToSleep, NeedAttention, NeedAttention, Loyal, Loyal],
            [Promising, PotentialLoyalist, Loyal, Loyal, Champions],
            [
                New,
                PotentialLoyalist,
                PotentialLoyalist,
                Champions,
                Champions,
            ],
        ];
        let idx = |s: u8| usize::from(s.clamp(1, 5) - 1);
        TABLE[idx(r)][idx(fm)]
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Self::Champions => "Champions",
            Self::Loyal => "Loyal",
            Self::PotentialLoyalist => "Potential loyalist",
            Self::New => "New",
            Self::Promising => "Promising",
            Self::NeedAttention => "Need attention",
            Self::AboutToSleep => "About to sleep",
            Self::AtRisk => "At risk",
            Self::CantLoseThem => "Can't lose them",
            Self::Hibernating => "Hibernating",
            Self::Lost => "Lost",
        }
    }

    pub fn name_es(self) -> &'static str {
        match self {
            Self::Champions => "Campeones",
            Self::Loyal => "Leales",
            Self::PotentialLoyalist => "Leales potenciales",
            Self::New => "Nuevos",
            Self::Promising => "Prometedores",
            Self::NeedAttention => "Necesitan atención",
            Self::AboutToSleep => "A punto de dormirse",
            Self::AtRisk => "En riesgo",
            Self::CantLoseThem => "No podemos perderlos",
            Self::Hibernating => "Hibernando",
            Self::Lost => "Perdidos",
        }
    }
}

/// One customer's scores. JSON: `cliente_id`, `r`, `f`, `m`, `fm`, `grupo`,
/// `dias_desde_ultimo_pedido`, `pedidos`, `ingresos` (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RfmScore {
    #[serde(rename = "cliente_id")]
    pub customer_id: i64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub fm: u8,
    #[serde(rename = "grupo")]
    pub group: RfmGroup,
    #[serde(rename = "dias_desde_ultimo_pedido")]
    pub recency_days: i64,
    #[serde(rename = "pedidos")]
    pub orders: u32,
    #[serde(rename = "ingresos")]
    pub revenue: i64,
}

/// One cell of the grid or one group's totals. JSON: `clientes`, `ingresos`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    #[serde(rename = "clientes")]
    pub customers: u32,
    #[serde(rename = "ingresos")]
    pub revenue: i64,
}

/// A group with its totals. JSON: `grupo`, `nombre` (Spanish label), `clientes`, `ingresos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupTally {
    #[serde(rename = "grupo")]
    pub group: RfmGroup,
    #[serde(rename = "nombre")]
    pub name_es: &'static str,
    #[serde(flatten)]
    pub tally: Tally,
}

/// The brand's RFM picture. JSON: `clientes` (per customer), `grilla` (`grilla[r-1][f-1]`,
/// recency rows × frequency columns) and `grupos` (all 11, best first, zeros included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RfmReport {
    #[serde(rename = "clientes")]
    pub customers: Vec<RfmScore>,
    #[serde(rename = "grilla")]
    pub grid: [[Tally; 5]; 5],
    #[serde(rename = "grupos")]
    pub groups: Vec<GroupTally>,
}

/// Quintile scores 1–5 of `values` (higher is better) by mid-rank percentile; see the
/// module docs. Output is in input order.
pub fn quintile_scores<T: Ord + Copy>(values: &[T]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = values.len() as f64;
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|s| s < v) as f64;
            let tied = sorted.partition_point(|s| s <= v) as f64 - below;
            let pr = (below + 0.5 * tied) / n;
            // pr < 1 always; the clamp only guards rounding.
            (1.0 + (5.0 * pr).floor()).clamp(1.0, 5.0) as u8
        })
        .collect()
}

/// Scores a brand's customers as of `now`, with recency in whole days of `tz`. Customers
/// with zero orders are left out (they have no RFM). Empty input gives an empty report
/// with a zero grid and zero groups.
pub fn analyse(customers: &[RfmInput], now: DateTime<Utc>, tz: Tz) -> RfmReport {
    let today = now.with_timezone(&tz).date_naive();
    let buyers: Vec<&RfmInput> = customers.iter().filter(|c| c.orders > 0).collect();
    let days: Vec<i64> = buyers
        .iter()
        .map(|c| {
            (today - c.last_order.with_timezone(&tz).date_naive())
                .num_days()
                .max(0)
        })
        .collect();
    // Fewer days is better, so score the negated value.
    let r = quintile_scores(&days.iter().map(|d| -d).collect::<Vec<_>>());
    let f = quintile_scores(&buyers.iter().map(|c| c.orders).collect::<Vec<_>>());
    let m = quintile_scores(&buyers.iter().map(|c| c.revenue).collect::<Vec<_>>());
    let mut grid = [[Tally::default(); 5]; 5];
    let mut groups: Vec<GroupTally> = RfmGroup::ALL
        .iter()
        .map(|&g| GroupTally {
            group: g,
            name_es: g.name_es(),
            tally: Tally::default(),
        })
        .collect();
    let mut scores = Vec::with_capacity(buyers.len());
    for (i, c) in buyers.iter().enumerate() {
        let fm = (f[i] + m[i]).div_ceil(2);
        let group = RfmGroup::from_scores(r[i], fm);
        let add = |t: &mut Tally| {
            t.customers += 1;
            t.revenue = t.revenue.saturating_add(c.revenue);
        };
        add(&mut grid[usize::from(r[i] - 1)][usize::from(f[i] - 1)]);
        if let Some(g) = groups.iter_mut().find(|g| g.group == group) {
            add(&mut g.tally);
        }
        scores.push(RfmScore {
            customer_id: c.customer_id,
            r: r[i],
            f: f[i],
            m: m[i],
            fm,
            group,
            recency_days: days[i],
            orders: c.orders,
            revenue: c.revenue,
        });
    }
    RfmReport {
        customers: scores,
        grid,
        groups,
    }
}

#[cfg(test)]
#[path = "rfm_tests.rs"]
mod tests;
