//! Daily rollups: exact by hand on a small fixed dataset (Lima day boundary, cancelled
//! orders), and equal to a full recomputation after random inserts, status moves,
//! cancellations, edits, re-assignments and deletions — also after the brand changes zone.

use autonomo::analytics::{jobs, rollups};
use autonomo::orders::store::{self as orders, NewOrder};
use autonomo::orders::{ItemInput, Status};
use autonomo::tenants::{BrandInput, BrandPatch, Registry, Slug, Tenant};
use chrono::{TimeZone, Utc};
use rusqlite::{Connection, params};
use std::sync::Arc;

pub async fn brand(dir: &std::path::Path, slug: &str, tz: &str) -> (Arc<Registry>, Arc<Tenant>) {
    let registry = Arc::new(Registry::open(dir, 2).expect("registry"));
    registry
        .create(BrandInput {
            slug: slug.into(),
            nombre: format!("Marca {slug}"),
            moneda: "PEN".into(),
            zona_horaria: tz.into(),
            pais: "PE".into(),
            idioma: "es".into(),
        })
        .await
        .expect("brand");
    let tenant = registry
        .tenant(&Slug::parse(slug).expect("slug"))
        .await
        .expect("tenant");
    (registry, tenant)
}

pub fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("date")
        .timestamp_millis()
}

pub fn add_customer(c: &Connection, n: i64) -> i64 {
    c.execute(
        "INSERT INTO clientes (nombre, telefono, canal_adquisicion, creado_en, actualizado_en)
         VALUES (?1, ?2, 'whatsapp', 0, 0)",
        params![format!("Cliente {n}"), format!("+5199900{n:04}")],
    )
    .expect("customer");
    c.last_insert_rowid()
}

pub fn add_product(c: &Connection, sku: &str, price: i64) {
    c.execute(
        "INSERT INTO productos (sku, nombre, categoria, precio, creado_en, actualizado_en)
         VALUES (?1, ?1, 'comida', ?2, 0, 0)",
        params![sku, price],
    )
    .expect("product");
}

pub fn order(c: &Connection, customer: i64, channel: &str, skus: &[(&str, i64)], at: i64) -> i64 {
    let items: Vec<ItemInput> = skus
        .iter()
        .map(|(sku, q)| ItemInput {
            producto_id: None,
            sku: Some((*sku).to_string()),
            cantidad: *q,
        })
        .collect();
    orders::create(
        c,
        &NewOrder {
            customer_id: customer,
            channel,
            items: &items,
            notes: None,
            external_id: None,
            actor: "test",
            confirm: false,
        },
        at,
    )
    .expect("order")
    .id
}

#[tokio::test]
async fn lima_day_boundary_and_cancelled_orders_by_hand() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_r, tenant) = brand(dir.path(), "lima", "America/Lima").await;
    jobs::ensure_zone(&tenant).await.expect("zone");
    let snap = tenant
        .db()
        .write(|c| {
            add_product(c, "POLLO", 1000);
            add_product(c, "GASEOSA", 500);
            let a = add_customer(c, 1);
            let b = add_customer(c, 2);
            // 04:30 UTC on 1 March is 23:30 on 29 February in Lima.
            order(c, a, "whatsapp", &[("POLLO", 1)], ms(2024, 3, 1, 4, 30));
            // 05:30 UTC is 00:30 on 1 March.
            order(c, a, "web", &[("POLLO", 2)], ms(2024, 3, 1, 5, 30));
            let x = order(c, b, "web", &[("GASEOSA", 10)], ms(2024, 3, 1, 15, 0));
            orders::transition(c, x, Status::Cancelado, "test", None, ms(2024, 3, 1, 16, 0))?;
            // B's first real order is the next day.
            order(c, b, "telefono", &[("GASEOSA", 1)], ms(2024, 3, 2, 15, 0));
            rollups::stored(c)
        })
        .await
        .expect("write");
    let day = |d: &str, ch: &str| snap.days.get(&(d.to_string(), ch.to_string())).copied();
    assert_eq!(day("2024-02-29", "whatsapp"), Some((1, 1000, 0)));
    assert_eq!(
        day("2024-03-01", "web"),
        Some((1, 2000, 1)),
        "cancelled: counted apart, not revenue"
    );
    assert_eq!(day("2024-03-02", "telefono"), Some((1, 500, 0)));
    assert_eq!(snap.days.len(), 3);
    let new: Vec<(&str, i64)> = snap
        .new_customers
        .iter()
        .map(|(d, n)| (d.as_str(), *n))
        .collect();
    assert_eq!(new, [("2024-02-29", 1), ("2024-03-02", 1)]);
    let p = |d: &str, s: &str| snap.products.get(&(d.to_string(), s.to_string())).copied();
    assert_eq!(p("2024-02-29", "POLLO"), Some((1, 1000)));
    assert_eq!(p("2024-03-01", "POLLO"), Some((2, 2000)));
    assert_eq!(
        p("2024-03-01", "GASEOSA"),
        None,
        "a cancelled order sells nothing"
    );
    assert_eq!(p("2024-03-02", "GASEOSA"), Some((1, 500)));
    let cohorts: Vec<(&str, &str, i64)> = snap
        .cohorts
        .iter()
        .map(|((c, m), n)| (c.as_str(), m.as_str(), *n))
        .collect();
    assert_eq!(
        cohorts,
        [
            ("2024-02", "2024-02", 1),
            ("2024-02", "2024-03", 1),
            ("2024-03", "2024-03", 1)
        ],
        "A starts in February (Lima) and comes back in March; B starts in March"
    );
}

pub struct Rng(pub u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One random change to the interactions: inbound messages and calls (often within 24 h of
/// another of the same customer, so starts appear and vanish), outbound ones that never
/// count, deletions, and moves to another customer, channel or time.
fn interaction_op(c: &Connection, rng: &mut Rng, customers: &[i64], at: i64) {
    let ids: Vec<(i64, i64, i64)> = c
        .prepare("SELECT id, cliente_id, creado_en FROM interacciones")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .unwrap_or_default();
    let pick = ids.get(rng.below(ids.len() as u64) as usize).copied();
    let channels = ["whatsapp", "telefono"];
    let customer = customers[rng.below(customers.len() as u64) as usize];
    let say = |customer: i64, canal: &str, dir: &str, tipo: &str, at: i64| {
        c.execute(
            "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
             VALUES (?1, ?2, ?3, ?4, 'hola', ?5)",
            params![customer, canal, dir, tipo, at],
        )
        .expect("interaction");
    };
    match (rng.below(8), pick) {
        (0 | 1, _) | (_, None) => say(
            customer,
            channels[rng.below(2) as usize],
            "entrante",
            ["mensaje", "llamada"][rng.below(2) as usize],
            at,
        ),
        (2 | 3, Some((_, near_customer, near))) => {
            // Close to another one: inside or just outside its 24 h.
            let shift = (rng.below(60) as i64 - 30) * 3_600_000;
            say(
                near_customer,
                channels[rng.below(2) as usize],
                "entrante",
                "mensaje",
                near + shift,
            );
        }
        (4, _) => say(customer, "whatsapp", "saliente", "mensaje", at),
        (5, Some((id, _, _))) => {
            c.execute("DELETE FROM interacciones WHERE id = ?1", [id])
                .expect("delete interaction");
        }
        (6, Some((id, _, near))) => {
            let shift = (rng.below(60) as i64 - 30) * 3_600_000;
            c.execute(
                "UPDATE interacciones SET creado_en = ?2, canal = ?3 WHERE id = ?1",
                params![id, near + shift, channels[rng.below(2) as usize]],
            )
            .expect("move interaction");
        }
        (_, Some((id, _, _))) => {
            c.execute(
                "UPDATE interacciones SET cliente_id = ?2 WHERE id = ?1",
                params![id, customer],
            )
            .expect("reassign interaction");
        }
    }
}

fn random_ops(c: &Connection, rng: &mut Rng, customers: &[i64], steps: usize) {
    // Hours over six weeks: local-day, DST (Madrid, 31 March) and month boundaries.
    random_ops_over(c, rng, customers, steps, ms(2024, 3, 9, 0, 0), 24 * 45);
}

/// `steps` random writes at instants in the `hours` after `base`: orders (new, cancelled,
/// confirmed, moved, re-assigned, edited, deleted), interactions, deliveries and surveys.
pub fn random_ops_over(
    c: &Connection,
    rng: &mut Rng,
    customers: &[i64],
    steps: usize,
    base: i64,
    hours: u64,
) {
    let channels = ["whatsapp", "web", "telefono", "presencial"];
    let skus = ["A", "B", "C"];
    let ids = |c: &Connection| -> Vec<i64> {
        c.prepare("SELECT id FROM pedidos")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .unwrap_or_default()
    };
    for _ in 0..steps {
        let existing = ids(c);
        let pick = existing
            .get(rng.below(existing.len() as u64) as usize)
            .copied();
        let at = base + rng.below(hours) as i64 * 3_600_000 + rng.below(60) as i64 * 60_000;
        interaction_op(c, rng, customers, at);
        super::periods::delivery_or_survey_op(c, rng, at);
        match (rng.below(9), pick) {
            (0..=2, _) | (_, None) => {
                let customer = customers[rng.below(customers.len() as u64) as usize];
                let lines: Vec<(&str, i64)> = (0..=rng.below(2))
                    .map(|_| (skus[rng.below(3) as usize], 1 + rng.below(3) as i64))
                    .collect();
                order(c, customer, channels[rng.below(4) as usize], &lines, at);
            }
            (3, Some(id)) => {
                let _ = orders::transition(c, id, Status::Cancelado, "test", None, at);
            }
            (4, Some(id)) => {
                let _ = orders::transition(c, id, Status::Confirmado, "test", None, at);
            }
            (5, Some(id)) => {
                c.execute(
                    "UPDATE pedidos SET creado_en = ?2 WHERE id = ?1",
                    params![id, at],
                )
                .expect("move date");
            }
            (6, Some(id)) => {
                let to = customers[rng.below(customers.len() as u64) as usize];
                c.execute("UPDATE pedidos SET cliente_id = ?2, canal = ?3, total = total + 7 WHERE id = ?1",
                    params![id, to, channels[rng.below(4) as usize]])
                    .expect("reassign");
            }
            (7, Some(id)) => {
                c.execute(
                    "UPDATE pedido_items SET cantidad = cantidad + 1, total = total + precio_unitario, sku = ?2
                     WHERE id = (SELECT MIN(id) FROM pedido_items WHERE pedido_id = ?1)",
                    params![id, skus[rng.below(3) as usize]],
                )
                .expect("edit line");
            }
            (_, Some(id)) => {
                // May be refused by a foreign key (history rows); then nothing changed.
                let _ = c.execute("DELETE FROM pedidos WHERE id = ?1", [id]);
            }
        }
    }
}

#[tokio::test]
async fn rollups_equal_full_recomputation_after_random_writes() {
    let dir = tempfile::tempdir().expect("tmp");
    let (registry, tenant) = brand(dir.path(), "madrid", "Europe/Madrid").await;
    // Orders written before the zone is known are put right by the rebuild.
    tenant
        .db()
        .write(|c| {
            for (sku, price) in [("A", 1000), ("B", 250), ("C", 4990)] {
                add_product(c, sku, price);
            }
            let customers: Vec<i64> = (0..12).map(|n| add_customer(c, n)).collect();
            random_ops(c, &mut Rng(0x9E37_79B9_7F4A_7C15), &customers, 60);
            Ok(())
        })
        .await
        .expect("first writes");
    jobs::ensure_zone(&tenant).await.expect("zone");
    let tz = tenant.brand().tz();
    for round in 0..4u64 {
        let (stored, fresh) = tenant
            .db()
            .write(move |c| {
                let customers: Vec<i64> = c
                    .prepare("SELECT id FROM clientes")?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                random_ops(c, &mut Rng(round * 7919 + 17), &customers, 150);
                Ok((rollups::stored(c)?, rollups::recompute(c, tz)?))
            })
            .await
            .expect("random writes");
        assert!(!fresh.days.is_empty());
        assert!(
            fresh.conversations.values().any(|v| v.3) && fresh.conversations.values().any(|v| !v.3),
            "converted and unconverted conversations"
        );
        assert!(
            fresh.cohorts.keys().any(|(c, m)| c != m),
            "some customer returns in a later month"
        );
        // The monthly summaries (V27) see surveys, deliveries and returning customers.
        let m = &fresh.monthly;
        assert!(
            m.months.len() >= 2 && !m.satisfaction_days.is_empty(),
            "{m:?}"
        );
        assert!(
            !m.impact_days.is_empty() && !m.delivered_months.is_empty(),
            "{m:?}"
        );
        assert!(m.active_month_days.keys().any(|(_, prev)| !prev.is_empty()));
        assert_eq!(stored, fresh, "round {round}");
    }
    // The brand moves to Lima: every day is re-bucketed.
    registry
        .update(
            tenant.slug(),
            BrandPatch {
                nombre: None,
                moneda: None,
                zona_horaria: Some("America/Lima".into()),
                pais: None,
                idioma: None,
            },
        )
        .await
        .expect("patch");
    jobs::ensure_zone(&tenant).await.expect("rezone");
    let lima = tenant.brand().tz();
    let (stored, fresh) = tenant
        .db()
        .read(move |c| Ok((rollups::stored(c)?, rollups::recompute(c, lima)?)))
        .await
        .expect("read");
    assert_eq!(stored, fresh, "after the zone change");
}

/// The customer-base summaries (segments, RFM grid and groups, CLV histogram) equal a count
/// of their tables after the nightly run, a segment change, a new customer, an edited RFM
/// row and the erasure of a customer (whose RFM row goes by cascade).
#[tokio::test]
async fn customer_base_counts_follow_the_nightly_run_and_every_change() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_registry, tenant) = brand(dir.path(), "base", "America/Lima").await;
    jobs::ensure_zone(&tenant).await.expect("zone");
    let tz = tenant.brand().tz();
    let now = Utc::now().timestamp_millis();
    tenant
        .db()
        .write(move |c| {
            add_product(c, "A", 1000);
            for n in 0..40i64 {
                let customer = add_customer(c, n);
                for k in 0..(n % 5) {
                    let at = now - (n * 9 + k * 23 + 1) * 86_400_000;
                    order(c, customer, "web", &[("A", 1 + n % 3)], at);
                }
            }
            Ok(())
        })
        .await
        .expect("data");
    jobs::recompute(&tenant, Utc::now)
        .await
        .expect("nightly run");
    let check = |label: &'static str| {
        let tenant = tenant.clone();
        async move {
            let (stored, fresh) = tenant
                .db()
                .read(move |c| Ok((rollups::stored(c)?, rollups::recompute(c, tz)?)))
                .await
                .expect("read");
            assert_eq!(stored.segments, fresh.segments, "{label}");
            assert_eq!(stored.rfm_cells, fresh.rfm_cells, "{label}");
            assert_eq!(stored.rfm_groups, fresh.rfm_groups, "{label}");
            assert_eq!(stored.clv_buckets, fresh.clv_buckets, "{label}");
            stored
        }
    };
    let after_run = check("after the nightly run").await;
    assert!(
        after_run.rfm_cells.values().sum::<i64>() > 20,
        "{after_run:?}"
    );
    assert!(after_run.segments.len() > 1, "{after_run:?}");
    tenant
        .db()
        .write(|c| {
            c.execute(
                "UPDATE clientes SET segmento = 'vip' WHERE id = (SELECT MIN(id) FROM clientes)",
                [],
            )?;
            add_customer(c, 99);
            c.execute(
                "UPDATE analitica_clientes SET rfm_r = 1, rfm_f = 5, rfm_grupo = 'cant_lose_them',
                     clv = 750000 WHERE cliente_id = (SELECT MAX(cliente_id) FROM analitica_clientes)",
                [],
            )?;
            let gone: i64 = c.query_row(
                "SELECT MIN(cliente_id) FROM analitica_clientes",
                [],
                |r| r.get(0),
            )?;
            c.execute("DELETE FROM pedidos WHERE cliente_id = ?1", [gone])?;
            c.execute("DELETE FROM clientes WHERE id = ?1", [gone])?;
            Ok(())
        })
        .await
        .expect("changes");
    let after = check("after the changes").await;
    assert_eq!(after.clv_buckets.get(&500_000), Some(&1), "{after:?}");
    assert_eq!(
        after.rfm_cells.values().sum::<i64>(),
        after_run.rfm_cells.values().sum::<i64>() - 1,
        "the erased customer left the grid"
    );
    // The dashboard reads these counts.
    let d = tenant
        .db()
        .read(|c| {
            let today = Utc::now().date_naive();
            autonomo::analytics::metrics::dashboard(
                c,
                autonomo::analytics::metrics::Period {
                    desde: today,
                    hasta: today,
                },
            )
        })
        .await
        .expect("dashboard");
    assert_eq!(
        d.rfm_grilla.iter().flatten().sum::<i64>(),
        after.rfm_cells.values().sum::<i64>()
    );
    assert_eq!(
        d.clv.last().map(|b| (b.desde, b.hasta, b.clientes)),
        Some((500_000, None, 1))
    );
    assert_eq!(
        d.segmentos.iter().map(|s| s.clientes).sum::<i64>(),
        after.segments.values().sum::<i64>()
    );
}
