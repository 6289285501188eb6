//! Subscriptions (suscripciones): plans of products delivered every month or every N weeks.
//! The scheduler creates each period's order through the orders store (same stock and status
//! rules as the API), after telling the customer on WhatsApp with buttons to skip or pause.
//! One row per (subscription, period) in `suscripcion_periodos` keeps every run idempotent.

pub mod actions;
pub mod api;
pub mod bot;
pub mod jobs;
pub mod pages;
pub mod store;
pub mod whatsapp;

use chrono::{Days, Months, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How often a plan delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Monthly,
    Weeks(u32),
}

impl Period {
    pub fn parse(kind: &str, weeks: i64) -> Option<Period> {
        match kind {
            "mensual" => Some(Period::Monthly),
            "semanas" if (1..=52).contains(&weeks) => Some(Period::Weeks(weeks as u32)),
            _ => None,
        }
    }

    /// The date of period `n` for a subscription that started at `start`, in the brand's
    /// zone (so "every month at 09:00" stays 09:00 local).
    pub fn date(self, start: i64, n: i64, tz: chrono_tz::Tz) -> Option<i64> {
        let n = u32::try_from(n).ok()?;
        let local = Utc.timestamp_millis_opt(start).single()?.with_timezone(&tz);
        let naive = local.naive_local();
        let moved = match self {
            Period::Monthly => naive.checked_add_months(Months::new(n))?,
            Period::Weeks(w) => {
                naive.checked_add_days(Days::new(u64::from(n) * 7 * u64::from(w)))?
            }
        };
        tz.from_local_datetime(&moved)
            .earliest()
            .map(|t| t.timestamp_millis())
    }

    /// A period's price as monthly recurring revenue (minor units).
    pub fn monthly_revenue(self, price: i64) -> i64 {
        match self {
            Period::Monthly => price,
            Period::Weeks(w) => price * 52 / (12 * i64::from(w)),
        }
    }
}

/// One line of a plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanItem {
    /// Product id, e.g. `pro_eco_3` (or the local number).
    #[schema(value_type = String)]
    pub producto_id: serde_json::Value,
    pub cantidad: i64,
}

/// A plan as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    pub id: i64,
    pub nombre: String,
    pub items: Vec<PlanItem>,
    pub precio: i64,
    pub periodo: String,
    pub cada_semanas: i64,
    pub activo: bool,
}

/// A subscription as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Subscription {
    pub id: i64,
    pub plan_id: i64,
    pub plan: String,
    pub cliente_id: String,
    pub cliente: String,
    pub estado: String,
    pub precio: i64,
    /// Date of the next order (brand zone, RFC 3339); absent when not active.
    pub proximo_pedido: Option<String>,
    pub proximo_periodo: i64,
    /// Orders created so far.
    pub pedidos: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_dates_keep_the_local_day_and_weeks_step_by_n() {
        let lima: chrono_tz::Tz = "America/Lima".parse().unwrap();
        let start = crate::time::parse_instant("2027-01-31", lima).unwrap();
        let feb = Period::Monthly.date(start, 1, lima).unwrap();
        assert_eq!(
            crate::time::format_in(feb, lima),
            "2027-02-28T00:00:00.000-05:00"
        );
        let w = Period::Weeks(2).date(start, 3, lima).unwrap();
        assert_eq!(
            crate::time::format_in(w, lima),
            "2027-03-14T00:00:00.000-05:00"
        );
        assert_eq!(Period::Weeks(2).monthly_revenue(1200), 2600);
        assert_eq!(Period::parse("semanas", 0), None);
    }
}
