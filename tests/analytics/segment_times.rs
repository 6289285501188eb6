//! Segment transitions over simulated time: the change-feed pass moves a customer as
//! orders land, the nightly recompute moves them as time passes, and every move is logged.

use autonomo::analytics::jobs;
use chrono::{DateTime, Utc};

use super::rollups::{add_customer, add_product, brand, ms, order};

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

#[tokio::test]
async fn a_customer_goes_new_vip_at_risk_lost_and_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_r, tenant) = brand(dir.path(), "tiempo", "America/Lima").await;
    jobs::ensure_zone(&tenant).await.expect("zone");
    let start = ms(2024, 1, 1, 15, 0);
    let day = 86_400_000i64;
    let ana = tenant
        .db()
        .write(move |c| {
            add_product(c, "P", 1000);
            let ana = add_customer(c, 1);
            add_customer(c, 2); // never buys
            order(c, ana, "web", &[("P", 1)], start);
            Ok(ana)
        })
        .await
        .expect("setup");
    let segment = |t: &std::sync::Arc<autonomo::tenants::Tenant>| {
        let t = t.clone();
        async move {
            t.db()
                .read(move |c| {
                    Ok(
                        c.query_row("SELECT segmento FROM clientes WHERE id = ?1", [ana], |r| {
                            r.get::<_, String>(0)
                        })?,
                    )
                })
                .await
                .expect("read")
        }
    };
    // The change-feed pass classifies her at once: new.
    jobs::update_segments(&tenant, move || at(start + 60_000))
        .await
        .expect("pass");
    assert_eq!(segment(&tenant).await, "nuevo");
    // Weekly orders: after 12 in a year she is VIP (by order count), on the next pass.
    for week in 1..12 {
        let t = start + week * 7 * day;
        tenant
            .db()
            .write(move |c| {
                order(c, ana, "whatsapp", &[("P", 1)], t);
                Ok(())
            })
            .await
            .expect("order");
        jobs::update_segments(&tenant, move || at(t + 60_000))
            .await
            .expect("pass");
    }
    assert_eq!(segment(&tenant).await, "vip");
    let last = start + 11 * 7 * day;
    // Time passes with no orders: the nightly recompute notices.
    jobs::recompute(&tenant, move || at(last + 10 * day))
        .await
        .expect("night");
    assert_eq!(segment(&tenant).await, "vip");
    jobs::recompute(&tenant, move || at(last + 31 * day))
        .await
        .expect("night");
    assert_eq!(
        segment(&tenant).await,
        "en_riesgo",
        "no order for > max(2×7 days, 30 days)"
    );
    jobs::recompute(&tenant, move || at(last + 181 * day))
        .await
        .expect("night");
    assert_eq!(segment(&tenant).await, "perdido");
    // She comes back: the order moves her at once.
    let back = last + 200 * day;
    tenant
        .db()
        .write(move |c| {
            order(c, ana, "web", &[("P", 1)], back);
            Ok(())
        })
        .await
        .expect("order");
    jobs::update_segments(&tenant, move || at(back + 60_000))
        .await
        .expect("pass");
    assert_eq!(segment(&tenant).await, "vip", "13 orders within 12 months");
    let log: Vec<(Option<String>, String)> = tenant
        .db()
        .read(move |c| {
            let mut st = c.prepare(
                "SELECT desde, hacia FROM segmento_cambios WHERE cliente_id = ?1 ORDER BY id",
            )?;
            let rows = st.query_map([ana], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .expect("log");
    let hops: Vec<&str> = log.iter().map(|(_, to)| to.as_str()).collect();
    // Past the 30-day "new" window she is recurrente until the 12th order makes her VIP.
    assert_eq!(
        hops,
        ["nuevo", "recurrente", "vip", "en_riesgo", "perdido", "vip"]
    );
    assert_eq!(log[0].0.as_deref(), Some("sin_compras"));
    // RFM and CLV rows exist after a nightly run for buyers only.
    let rows: i64 = tenant
        .db()
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM analitica_clientes", [], |r| r.get(0))?))
        .await
        .expect("count");
    assert_eq!(rows, 1);
}

/// After a bulk load (a restore, an import, the demo) the feed holds far more rows than a
/// one-customer-at-a-time pass should replay on the writer: the pass classifies everyone in
/// one recompute instead and moves its cursor to the end of the feed.
#[tokio::test]
async fn a_big_backlog_is_classified_in_one_recompute_and_the_cursor_catches_up() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_r, tenant) = brand(dir.path(), "carga", "America/Lima").await;
    jobs::ensure_zone(&tenant).await.expect("zone");
    let start = ms(2024, 3, 1, 15, 0);
    let (ana, beto) = tenant
        .db()
        .write(move |c| {
            add_product(c, "P", 1000);
            let ana = add_customer(c, 1);
            let beto = add_customer(c, 2);
            order(c, ana, "web", &[("P", 1)], start);
            // A backlog of order changes like a bulk load leaves (all naming her one order:
            // only the size matters here).
            c.execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
                 INSERT INTO changes (tabla, fila_id, op)
                 SELECT 'pedidos', (SELECT MAX(id) FROM pedidos), 'update' FROM n",
            )?;
            Ok((ana, beto))
        })
        .await
        .expect("setup");
    let (_, backlog_end) = tenant
        .db()
        .read(autonomo::analytics::refresh::feed_position)
        .await
        .expect("feed");
    jobs::update_segments(&tenant, move || at(start + 60_000))
        .await
        .expect("pass");
    let (segments, cursor, _) = tenant
        .db()
        .read(move |c| {
            let seg = |id: i64| -> rusqlite::Result<String> {
                c.query_row("SELECT segmento FROM clientes WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
            };
            let (cursor, last) = autonomo::analytics::refresh::feed_position(c)?;
            // The full recompute also scores RFM, which a per-customer pass never does.
            let scored: i64 = c.query_row(
                "SELECT COUNT(*) FROM analitica_clientes WHERE cliente_id = ?1",
                [ana],
                |r| r.get(0),
            )?;
            assert_eq!(scored, 1, "RFM row for the customer with an order");
            Ok(((seg(ana)?, seg(beto)?), cursor, last))
        })
        .await
        .expect("read");
    assert_eq!(segments, ("nuevo".to_string(), "sin_compras".to_string()));
    assert!(
        cursor >= backlog_end,
        "the whole backlog is behind the cursor: {cursor} < {backlog_end}"
    );
    // The next pass finds only the pass's own segment writes: no order, nothing changes.
    assert_eq!(
        jobs::update_segments(&tenant, move || at(start + 120_000))
            .await
            .expect("pass"),
        0
    );
    let (cursor, last) = tenant
        .db()
        .read(autonomo::analytics::refresh::feed_position)
        .await
        .expect("feed");
    assert_eq!(cursor, last);
}

fn segment_of(c: &rusqlite::Connection, id: i64) -> Result<String, autonomo::error::AppError> {
    Ok(
        c.query_row("SELECT segmento FROM clientes WHERE id = ?1", [id], |r| {
            r.get(0)
        })?,
    )
}

/// The live updater classifies on a reader and writes the differences later, behind other
/// writes. An order committed while its write waited is not in its snapshot: the pass must
/// leave that customer (and the cursor) for the next pass rather than write the stale
/// segment or move the cursor past the order, and the next pass must count the order (not
/// judge it by a clock read before it landed, as a future order).
#[tokio::test]
async fn an_order_committed_while_the_pass_waits_for_the_writer_counts() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_r, tenant) = brand(dir.path(), "espera", "America/Lima").await;
    jobs::ensure_zone(&tenant).await.expect("zone");
    let ana = tenant
        .db()
        .write(|c| {
            add_product(c, "P", 1000);
            Ok(add_customer(c, 1))
        })
        .await
        .expect("setup");
    // A slow write holds the writer; the order inside it is stamped when it runs.
    let slow = {
        let tenant = tenant.clone();
        tokio::spawn(async move {
            tenant
                .db()
                .write(move |c| {
                    std::thread::sleep(std::time::Duration::from_millis(400));
                    order(c, ana, "web", &[("P", 1)], Utc::now().timestamp_millis());
                    Ok(())
                })
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    jobs::update_segments(&tenant, Utc::now)
        .await
        .expect("pass");
    slow.await.expect("join").expect("slow write");
    jobs::update_segments(&tenant, Utc::now)
        .await
        .expect("next pass");
    let seg = tenant
        .db()
        .read(move |c| segment_of(c, ana))
        .await
        .expect("read");
    assert_eq!(seg, "nuevo");
}

/// The nightly recompute (and a change of thresholds) computes on a reader and writes
/// later; a customer whose order the live updater classified in between keeps the newer
/// segment instead of going back to the plan's stale one.
#[tokio::test]
async fn a_stale_full_recompute_does_not_undo_a_newer_pass() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_r, tenant) = brand(dir.path(), "viejo", "America/Lima").await;
    jobs::ensure_zone(&tenant).await.expect("zone");
    let start = ms(2024, 5, 1, 15, 0);
    let (ana, beto) = tenant
        .db()
        .write(move |c| {
            add_product(c, "P", 1000);
            let ana = add_customer(c, 1);
            let beto = add_customer(c, 2);
            order(c, beto, "web", &[("P", 1)], start);
            Ok((ana, beto))
        })
        .await
        .expect("setup");
    let tz = tenant.brand().tz();
    let plan = tenant
        .db()
        .read(move |c| autonomo::analytics::refresh::compute(c, tz, move || at(start + 60_000)))
        .await
        .expect("plan");
    tenant
        .db()
        .write(move |c| {
            order(c, ana, "web", &[("P", 1)], start + 120_000);
            Ok(())
        })
        .await
        .expect("order");
    jobs::update_segments(&tenant, move || at(start + 180_000))
        .await
        .expect("pass");
    tenant
        .db()
        .write(move |c| autonomo::analytics::refresh::apply(c, &plan))
        .await
        .expect("apply");
    let (a, b) = tenant
        .db()
        .read(move |c| Ok((segment_of(c, ana)?, segment_of(c, beto)?)))
        .await
        .expect("read");
    assert_eq!(a, "nuevo", "the plan's sin_compras is older than her order");
    assert_eq!(b, "nuevo");
}
