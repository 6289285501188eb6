//! Monthly cohort retention: customers grouped by the month of their first order, and the
//! share of each cohort that ordered again in each later month. Months are calendar months
//! of the brand's time zone, so an order at 23:00 local on the last day of a month belongs
//! to that month even when it is already the next month in UTC.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// The calendar day of an instant in the brand's zone — the one bucketing rule every daily
/// figure should use.
pub fn local_day(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// Months since year 0 in the brand's zone (a dense index: Dec 2023 + 1 = Jan 2024).
fn month_index(t: DateTime<Utc>, tz: Tz) -> i64 {
    let d = local_day(t, tz);
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

fn month_label(index: i64) -> String {
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

/// One cohort. JSON: `mes` ("2024-03", the first-order month), `clientes` (cohort size),
/// `activos[k]` (customers of the cohort with an order k months later; `activos[0]` is the
/// cohort size) and `retencion[k]` = `activos[k]` / `clientes` (0–1). Rows end at the
/// `as_of` month, so later cohorts have shorter rows (the usual triangle).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortRow {
    #[serde(rename = "mes")]
    pub month: String,
    #[serde(rename = "clientes")]
    pub customers: u32,
    #[serde(rename = "activos")]
    pub active: Vec<u32>,
    #[serde(rename = "retencion")]
    pub retention: Vec<f64>,
}

/// The retention triangle, oldest cohort first. JSON: `cohortes`. Months in which nobody
/// ordered for the first time have no row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortMatrix {
    #[serde(rename = "cohortes")]
    pub cohorts: Vec<CohortRow>,
}

/// Builds the matrix from (customer id, order time) pairs of non-cancelled orders. Orders
/// after `as_of` are ignored; several orders of a customer in one month count once.
pub fn retention_matrix(
    orders: &[(i64, DateTime<Utc>)],
    tz: Tz,
    as_of: DateTime<Utc>,
) -> CohortMatrix {
    let last = month_index(as_of, tz);
    let mut months: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for &(customer, t) in orders.iter().filter(|(_, t)| *t <= as_of) {
        months
            .entry(customer)
            .or_default()
            .insert(month_index(t, tz));
    }
    // cohort month → (size, active count per offset)
    let mut rows: BTreeMap<i64, (u32, Vec<u32>)> = BTreeMap::new();
    for active in months.values() {
        let Some(&first) = active.first() else {
            continue;
        };
        let len = usize::try_from(last - first + 1).unwrap_or(0);
        let row = rows.entry(first).or_insert_with(|| (0, vec![0; len]));
        row.0 += 1;
        for m in active {
            if let Some(slot) = usize::try_from(m - first)
                .ok()
                .and_then(|k| row.1.get_mut(k))
            {
                *slot += 1;
            }
        }
    }
    let cohorts = rows
        .into_iter()
        .map(|(month, (customers, active))| CohortRow {
            month: month_label(month),
            customers,
            retention: active
                .iter()
                .map(|&a| f64::from(a) / f64::from(customers.max(1)))
                .collect(),
            active,
        })
        .collect();
    CohortMatrix { cohorts }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn triangle_by_hand_with_a_day_boundary() {
        let lima: Tz = "America/Lima".parse().unwrap_or(Tz::UTC);
        let orders = [
            (1, utc(2024, 1, 10, 15)),
            (1, utc(2024, 2, 5, 15)),
            (1, utc(2024, 2, 6, 15)), // second order in Feb counts once
            (1, utc(2024, 4, 1, 15)),
            (2, utc(2024, 1, 20, 15)),
            (2, utc(2024, 3, 3, 15)),
            // 1 March 03:00 UTC is 29 February 22:00 in Lima: a February cohort.
            (3, utc(2024, 3, 1, 3)),
            (3, utc(2024, 3, 10, 15)),
            // 1 March 06:00 UTC is 1 March 01:00 in Lima: March.
            (4, utc(2024, 3, 1, 6)),
            (4, utc(2024, 5, 1, 15)), // after as_of: ignored
        ];
        let m = retention_matrix(&orders, lima, utc(2024, 4, 15, 12));
        let rows: Vec<(&str, u32, &[u32])> = m
            .cohorts
            .iter()
            .map(|r| (r.month.as_str(), r.customers, r.active.as_slice()))
            .collect();
        assert_eq!(
            rows,
            [
                ("2024-01", 2, &[2, 1, 1, 1][..]),
                ("2024-02", 1, &[1, 1, 0][..]),
                ("2024-03", 1, &[1, 0][..]),
            ]
        );
        assert_eq!(m.cohorts[0].retention, [1.0, 0.5, 0.5, 0.5]);
        // The same orders bucketed in UTC put customer 3 in March instead.
        let in_utc = retention_matrix(&orders, Tz::UTC, utc(2024, 4, 15, 12));
        assert_eq!(in_utc.cohorts[1].month, "2024-03");
        assert_eq!(in_utc.cohorts[1].customers, 2);
        let json = serde_json::to_value(&m).unwrap_or_default();
        assert_eq!(json["cohortes"][0]["mes"], "2024-01");
        assert_eq!(json["cohortes"][0]["retencion"][1], 0.5);
    }

    #[test]
    fn year_boundary_and_empty_input() {
        let orders = [(1, utc(2023, 12, 31, 12)), (1, utc(2024, 1, 1, 12))];
        let m = retention_matrix(&orders, Tz::UTC, utc(2024, 1, 31, 0));
        assert_eq!(m.cohorts.len(), 1);
        assert_eq!(m.cohorts[0].month, "2023-12");
        assert_eq!(m.cohorts[0].active, [1, 1]);
        assert!(
            retention_matrix(&[], Tz::UTC, utc(2024, 1, 1, 0))
                .cohorts
                .is_empty()
        );
        // Everything in the future: nothing to show, no NaN.
        let future = retention_matrix(&orders, Tz::UTC, utc(2020, 1, 1, 0));
        assert!(future.cohorts.is_empty());
    }

    #[test]
    fn local_day_uses_the_brand_zone() {
        let madrid: Tz = "Europe/Madrid".parse().unwrap_or(Tz::UTC);
        let t = utc(2024, 6, 30, 22); // 00:00 on 1 July in Madrid (CEST)
        assert_eq!(
            local_day(t, madrid),
            NaiveDate::from_ymd_opt(2024, 7, 1).unwrap_or_default()
        );
        assert_eq!(
            local_day(t, Tz::UTC),
            NaiveDate::from_ymd_opt(2024, 6, 30).unwrap_or_default()
        );
    }
}
