//! The nightly recompute reads every order in one scan and groups it in memory: its
//! segments, RFM scores and CLV equal those computed customer by customer from each one's
//! own orders (the index path the change-feed pass uses), and its write changes exactly the
//! segments that differ.

use autonomo::analytics::clv::{self, ClvOptions};
use autonomo::analytics::refresh::{self, load_orders};
use autonomo::analytics::rfm::{self, RfmInput};
use autonomo::analytics::segments::{self, CustomerActivity};
use autonomo::orders::Status;
use autonomo::orders::store as orders;
use chrono::{DateTime, Utc};

use super::rollups::{add_customer, add_product, brand, order};

#[tokio::test]
async fn the_one_scan_recompute_equals_a_customer_by_customer_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_r, tenant) = brand(dir.path(), "noche", "America/Lima").await;
    autonomo::analytics::jobs::ensure_zone(&tenant)
        .await
        .expect("zone");
    let tz = tenant.brand().tz();
    let now = Utc::now();
    let now_ms = now.timestamp_millis();
    let day = 86_400_000i64;
    // 60 customers (every 7th never buys); orders interleaved across customers over two
    // years, a few in the future (ignored as of now), every 11th cancelled.
    tenant
        .db()
        .write(move |c| {
            add_product(c, "A", 1250);
            let ids: Vec<i64> = (0..60).map(|n| add_customer(c, n)).collect();
            let mut seed = 0x2545_F491_4F6C_DD1Du64;
            let mut next = move |n: u64| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed % n
            };
            for k in 0..900i64 {
                let who = next(60) as usize;
                if who.is_multiple_of(7) {
                    continue;
                }
                let at = now_ms - next(730) as i64 * day - next(day as u64) as i64 + 5 * day;
                let id = order(c, ids[who], "web", &[("A", 1 + (k % 3))], at);
                if k % 11 == 0 {
                    orders::transition(c, id, Status::Cancelado, "test", None, at + 1)?;
                }
            }
            Ok(())
        })
        .await
        .expect("data");
    let (plan, by_customer) = tenant
        .db()
        .read(move |c| {
            let plan = refresh::compute(c, tz, move || now)?;
            let ids: Vec<i64> = c
                .prepare("SELECT id FROM clientes ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut lists = Vec::new();
            for id in ids {
                let list = load_orders(c, Some(id))?.remove(&id).unwrap_or_default();
                lists.push((id, list));
            }
            Ok((plan, lists))
        })
        .await
        .expect("compute");
    let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).expect("instant");
    let now = at(plan.now);
    let rules = segments::SegmentRules::default();
    let activity: Vec<CustomerActivity> = by_customer
        .iter()
        .map(|(id, list)| CustomerActivity::from_orders(*id, list, now))
        .collect();
    let brand_segments = segments::classify_brand(&activity, now, &rules);
    let expected: Vec<(i64, segments::Segment)> = brand_segments
        .customers
        .iter()
        .map(|c| (c.customer_id, c.segment))
        .collect();
    assert_eq!(plan.segments, expected);
    assert_eq!(plan.vip_cut, brand_segments.vip_cut);
    let kinds: std::collections::BTreeSet<_> = expected.iter().map(|s| s.1).collect();
    assert!(kinds.len() >= 3, "a varied brand: {kinds:?}");
    let rfm_input: Vec<RfmInput> = by_customer
        .iter()
        .filter_map(|(id, list)| {
            let past: Vec<_> = list.iter().filter(|o| o.0 <= now).collect();
            Some(RfmInput {
                customer_id: *id,
                last_order: past.iter().map(|o| o.0).max()?,
                orders: past.len() as u32,
                revenue: past.iter().map(|o| o.1).sum(),
            })
        })
        .collect();
    assert_eq!(plan.rfm, rfm::analyse(&rfm_input, now, tz).customers);
    let summaries: Vec<clv::CustomerSummary> = by_customer
        .iter()
        .filter_map(|(id, list)| clv::summarize(*id, list, now, tz))
        .collect();
    let model = clv::fit_model(&summaries).expect("fit");
    assert_eq!(
        plan.clv,
        clv::predict_all(&model, &summaries, &ClvOptions::default())
    );
    assert!(plan.clv.len() > 40 && plan.clv_error.is_none());

    // The write changes exactly the segments that differ from the stored ones (all of the
    // buyers here: the stored segment is still the default), logs each change, and a second
    // run on the same data changes nothing.
    let stored_before: Vec<(i64, String)> = tenant
        .db()
        .read(|c| {
            Ok(c.prepare("SELECT id, segmento FROM clientes ORDER BY id")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?)
        })
        .await
        .expect("stored");
    let differing = plan
        .segments
        .iter()
        .zip(&stored_before)
        .filter(|((_, seg), (_, stored))| seg.key() != stored)
        .count();
    assert!(differing > 0);
    let changed = tenant
        .db()
        .write(move |c| refresh::apply(c, &plan))
        .await
        .expect("apply");
    assert_eq!(changed, differing);
    let (logged, stored_after): (i64, Vec<(i64, String)>) = tenant
        .db()
        .read(|c| {
            let logged = c.query_row("SELECT COUNT(*) FROM segmento_cambios", [], |r| r.get(0))?;
            let rows = c
                .prepare("SELECT id, segmento FROM clientes ORDER BY id")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok((logged, rows))
        })
        .await
        .expect("after");
    assert_eq!(logged as usize, differing);
    let expected_after: Vec<(i64, String)> = expected
        .iter()
        .map(|(id, s)| (*id, s.key().to_string()))
        .collect();
    assert_eq!(stored_after, expected_after);
    let again = tenant
        .db()
        .read(move |c| refresh::compute(c, tz, move || now))
        .await
        .expect("compute again");
    let changed = tenant
        .db()
        .write(move |c| refresh::apply(c, &again))
        .await
        .expect("apply again");
    assert_eq!(changed, 0);
}
