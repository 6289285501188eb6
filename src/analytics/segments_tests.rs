//! Segment rules by hand, and transitions over simulated time.

use chrono::TimeZone;

use super::*;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn day(d: i64) -> DateTime<Utc> {
    base() + Duration::days(d)
}

fn segment_on(orders: &[(DateTime<Utc>, i64)], d: i64, rules: &SegmentRules) -> Segment {
    let now = day(d);
    classify(
        &CustomerActivity::from_orders(1, orders, now),
        now,
        rules,
        None,
    )
}

#[test]
fn activity_from_orders_by_hand() {
    let orders = [
        (day(0), 1000),
        (day(10), 500),
        (day(40), 2500),
        (day(400), 9),
    ];
    let a = CustomerActivity::from_orders(9, &orders, day(380));
    assert_eq!(a.orders, 3); // the day-400 order is in the future
    assert_eq!(a.first_order, Some(day(0)));
    assert_eq!(a.last_order, Some(day(40)));
    // Gaps 10 and 30 → median 20.
    assert_eq!(a.usual_interval_days, Some(20.0));
    // 365 days before day 380 is day 15: only the day-40 order counts.
    assert_eq!((a.orders_12m, a.spend_12m), (1, 2500));
    let none = CustomerActivity::from_orders(9, &[], day(0));
    assert_eq!(
        classify(&none, day(0), &SegmentRules::default(), None),
        Segment::SinCompras
    );
}

#[test]
fn one_customer_moves_through_the_lifecycle() {
    let rules = SegmentRules::default();
    let orders = [(day(0), 1000), (day(45), 1000)];
    // (day, expected): a one-timer is new until 30 days pass, then at risk; the second
    // order (day 45, interval 45 → threshold 90 days) makes them recurring; 90 quiet days
    // later at risk again; lost after 180.
    let timeline = [
        (0, Segment::Nuevo),
        (29, Segment::Nuevo),
        (31, Segment::EnRiesgo),
        (45, Segment::Recurrente),
        (134, Segment::Recurrente),
        (136, Segment::EnRiesgo),
        (225, Segment::EnRiesgo),
        (226, Segment::Perdido),
    ];
    for (d, want) in timeline {
        assert_eq!(segment_on(&orders, d, &rules), want, "day {d}");
    }
}

#[test]
fn the_floor_protects_frequent_buyers() {
    let rules = SegmentRules::default();
    // Daily for ten days: interval 1, 2 × 1 < floor 30, so ten quiet days are fine.
    let daily: Vec<_> = (0..10).map(|d| (day(d), 100)).collect();
    // Last order on day 9: 30 quiet days (day 39) are within the floor, 31 are not.
    assert_eq!(segment_on(&daily, 20, &rules), Segment::Nuevo); // first order 20 days ago
    assert_eq!(segment_on(&daily, 31, &rules), Segment::Recurrente);
    assert_eq!(segment_on(&daily, 39, &rules), Segment::Recurrente);
    assert_eq!(segment_on(&daily, 40, &rules), Segment::EnRiesgo);
    let tight = SegmentRules {
        at_risk_floor_days: 3.0,
        ..rules
    };
    assert_eq!(segment_on(&daily, 13, &tight), Segment::EnRiesgo);
}

#[test]
fn vip_by_orders_and_by_spend() {
    let rules = SegmentRules::default();
    let weekly: Vec<_> = (0..12).map(|w| (day(7 * w), 100)).collect();
    assert_eq!(segment_on(&weekly, 80, &rules), Segment::Vip);
    // Quiet for longer than 2 × 7 days → at risk wins over VIP... unless within the floor.
    assert_eq!(segment_on(&weekly, 77 + 31, &rules), Segment::EnRiesgo);

    // Twenty customers with spends 100, 200, …, 2000: top 10 % = the two largest.
    let now = day(100);
    let brand: Vec<CustomerActivity> = (1..=20)
        .map(|i| CustomerActivity::from_orders(i, &[(day(20), 100 * i), (day(90), 0)], now))
        .collect();
    assert_eq!(
        vip_spend_cut(brand.iter().map(|c| c.spend_12m), 0.10),
        Some(1900)
    );
    let result = classify_brand(&brand, now, &rules);
    assert_eq!(result.vip_cut, Some(1900));
    let vips: Vec<i64> = result
        .customers
        .iter()
        .filter(|c| c.segment == Segment::Vip)
        .map(|c| c.customer_id)
        .collect();
    assert_eq!(vips, [19, 20]);
    assert_eq!(result.counts[2], (Segment::Recurrente, 18));
    let json = serde_json::to_value(&result).unwrap_or_default();
    assert_eq!(json["clientes"][19]["segmento"], "vip");
    assert_eq!(json["corte_vip"], 1900);
}

#[test]
fn spend_cut_edge_cases() {
    assert_eq!(vip_spend_cut([], 0.1), None);
    assert_eq!(vip_spend_cut([0, 0, 0], 0.1), None);
    assert_eq!(vip_spend_cut([5], 0.1), None); // fewer than 10 spenders
    assert_eq!(vip_spend_cut((1..=10).rev(), 0.1), Some(10));
    assert_eq!(vip_spend_cut([5, 5, 5, 1], 0.5), Some(5)); // ties at the cut are all VIP
    assert_eq!(vip_spend_cut([5], 1.0), Some(5));
    assert_eq!(vip_spend_cut([5, 6], 0.0), None);
    assert_eq!(vip_spend_cut([5, 6], f64::NAN), None);
}

#[test]
fn empty_and_zero_spend_brands() {
    let rules = SegmentRules::default();
    let empty = classify_brand(&[], day(0), &rules);
    assert!(empty.customers.is_empty() && empty.vip_cut.is_none());
    assert!(empty.counts.iter().all(|(_, n)| *n == 0));
    let zero: Vec<_> = (0..5)
        .map(|i| CustomerActivity::from_orders(i, &[(day(0), 0)], day(1)))
        .collect();
    let r = classify_brand(&zero, day(1), &rules);
    assert!(r.customers.iter().all(|c| c.segment == Segment::Nuevo));
}

#[test]
fn changes_list_only_moves() {
    let rules = SegmentRules::default();
    let orders = [(day(0), 1000)];
    let at = |d| {
        let c = CustomerActivity::from_orders(1, &orders, day(d));
        classify_brand(&[c], day(d), &rules).customers
    };
    let first = at(1);
    assert_eq!(
        changes(&[], &first),
        [SegmentChange {
            customer_id: 1,
            from: None,
            to: Segment::Nuevo
        }]
    );
    let stored: Vec<(i64, Segment)> = first.iter().map(|c| (c.customer_id, c.segment)).collect();
    assert!(changes(&stored, &at(2)).is_empty());
    assert_eq!(changes(&stored, &at(40))[0].to, Segment::EnRiesgo);
}
