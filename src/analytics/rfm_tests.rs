//! Hand-computed RFM cases.

use chrono::TimeZone;

use super::*;

fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0)
        .single()
        .unwrap_or_default()
}

#[test]
fn quintiles_of_distinct_values_are_pairs() {
    assert_eq!(
        quintile_scores(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    );
    // Input order does not matter.
    assert_eq!(quintile_scores(&[10, 1, 5]), [5, 1, 3]);
}

#[test]
fn ties_share_the_mid_rank_score() {
    // Six 1s: PR = (0 + 3)/10 = 0.3 → 2; two 2s: (6 + 1)/10 = 0.7 → 4; two 3s: 0.9 → 5.
    assert_eq!(
        quintile_scores(&[1, 1, 1, 1, 1, 1, 2, 2, 3, 3]),
        [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]
    );
    assert_eq!(quintile_scores(&[7, 7, 7]), [3, 3, 3]);
    assert_eq!(quintile_scores(&[42]), [3]);
    assert!(quintile_scores::<i64>(&[]).is_empty());
}

#[test]
fn group_table_covers_all_eleven() {
    assert_eq!(RfmGroup::from_scores(5, 5), RfmGroup::Champions);
    assert_eq!(RfmGroup::from_scores(5, 1), RfmGroup::New);
    assert_eq!(RfmGroup::from_scores(4, 1), RfmGroup::Promising);
    assert_eq!(RfmGroup::from_scores(1, 5), RfmGroup::CantLoseThem);
    assert_eq!(RfmGroup::from_scores(1, 1), RfmGroup::Lost);
    assert_eq!(RfmGroup::from_scores(0, 9), RfmGroup::CantLoseThem); // clamped
    let mut seen: Vec<RfmGroup> = (1..=5)
        .flat_map(|r| (1..=5).map(move |fm| RfmGroup::from_scores(r, fm)))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 11);
    assert_eq!(RfmGroup::CantLoseThem.name_es(), "No podemos perderlos");
    assert_eq!(RfmGroup::PotentialLoyalist.name_en(), "Potential loyalist");
}

#[test]
fn analyse_small_brand_by_hand() {
    let lima: Tz = "America/Lima".parse().unwrap_or(Tz::UTC);
    let now = at(2024, 6, 30, 12); // 07:00 on 30 June in Lima
    let c = |id, last, orders, revenue| RfmInput {
        customer_id: id,
        last_order: last,
        orders,
        revenue,
    };
    let input = [
        // 30 June 03:00 UTC is 29 June 22:00 in Lima: one day ago, not zero.
        c(1, at(2024, 6, 30, 3), 10, 50_000),
        c(2, at(2024, 6, 20, 15), 5, 20_000),
        c(3, at(2024, 5, 31, 15), 3, 9_000),
        c(4, at(2024, 3, 1, 15), 8, 40_000),
        c(5, at(2023, 12, 31, 15), 1, 1_000),
        c(6, at(2024, 6, 1, 15), 0, 0), // no orders: no RFM
    ];
    let report = analyse(&input, now, lima);
    let got: Vec<(i64, u8, u8, u8, u8, RfmGroup, i64)> = report
        .customers
        .iter()
        .map(|s| (s.customer_id, s.r, s.f, s.m, s.fm, s.group, s.recency_days))
        .collect();
    use RfmGroup::*;
    assert_eq!(
        got,
        [
            (1, 5, 5, 5, 5, Champions, 1),
            (2, 4, 3, 3, 3, Loyal, 10),
            (3, 3, 2, 2, 2, NeedAttention, 30),
            (4, 2, 4, 4, 4, AtRisk, 121),
            (5, 1, 1, 1, 1, Lost, 182),
        ]
    );
    let cell = |r: usize, f: usize| report.grid[r - 1][f - 1];
    assert_eq!(
        cell(5, 5),
        Tally {
            customers: 1,
            revenue: 50_000
        }
    );
    assert_eq!(
        cell(2, 4),
        Tally {
            customers: 1,
            revenue: 40_000
        }
    );
    assert_eq!(
        cell(1, 1),
        Tally {
            customers: 1,
            revenue: 1_000
        }
    );
    let total: u32 = report.grid.iter().flatten().map(|t| t.customers).sum();
    assert_eq!(total, 5);
    assert_eq!(report.groups.len(), 11);
    assert_eq!(report.groups[0].group, Champions);
    assert_eq!(report.groups[0].tally.revenue, 50_000);
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["clientes"][0]["grupo"], "champions");
    assert_eq!(json["grupos"][0]["nombre"], "Campeones");
    assert_eq!(json["grilla"][4][4]["ingresos"], 50_000);
}

#[test]
fn empty_and_single_customer_brands() {
    let empty = analyse(&[], at(2024, 1, 1, 0), Tz::UTC);
    assert!(empty.customers.is_empty());
    assert!(empty.groups.iter().all(|g| g.tally.customers == 0));
    let one = RfmInput {
        customer_id: 1,
        last_order: at(2024, 1, 1, 0),
        orders: 1,
        revenue: 0,
    };
    let report = analyse(&[one], at(2024, 1, 1, 5), Tz::UTC);
    let s = report.customers[0];
    assert_eq!((s.r, s.f, s.m, s.group), (3, 3, 3, RfmGroup::NeedAttention));
}
