//! Timing of the analytics on a big brand (ignored; prints figures):
//! `BENCH_CUSTOMERS=100000 BENCH_ORDERS=1000000 cargo test --release --test analytics
//! dashboard_bench -- --ignored --nocapture`. Generates the data with SQL (the rollup
//! triggers fire for every order, as in production), then measures the zone rebuild, the
//! dashboard for several period lengths (p50/p95 over random end dates), and the nightly
//! segments + RFM + CLV recompute.

use std::time::Instant;

use autonomo::analytics::{
    conversion, impact_totals, metrics, refresh, rollups, satisfaction, zone,
};
use autonomo::customers;
use chrono::{Days, Utc};

use super::rollups::brand;

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

#[tokio::test]
#[ignore = "timing; run with --ignored --nocapture (release for real figures)"]
async fn dashboard_p95_on_a_big_brand() {
    let customers = env("BENCH_CUSTOMERS", 100_000);
    let orders = env("BENCH_ORDERS", 1_000_000);
    let dir = tempfile::tempdir().expect("tmp");
    let (_r, tenant) = brand(dir.path(), "grande", "America/Lima").await;
    autonomo::analytics::jobs::ensure_zone(&tenant)
        .await
        .expect("zone");
    // Three years of orders ending now.
    let end = Utc::now().timestamp_millis();
    let span: i64 = 3 * 365 * 86_400_000;
    let started = Instant::now();
    tenant
        .db()
        .write(move |c| {
            c.execute_batch(&format!(
                "INSERT INTO productos (sku, nombre, categoria, precio, creado_en, actualizado_en)
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
                 SELECT 'SKU' || i, 'Producto ' || i, 'cat' || (i % 6), 500 + i * 100, 0, 0 FROM n;
                 INSERT INTO clientes (nombre, telefono, canal_adquisicion, creado_en, actualizado_en)
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {customers})
                 SELECT 'Cliente ' || i, pii_seal('+519' || (10000000 + i)), 'whatsapp', i, i FROM n;
                 UPDATE clientes SET email = pii_seal('cliente' || id || '@example.com'),
                                     direccion = pii_seal('Av. Arequipa ' || id);"
            ))?;
            // Orders in time order, customers skewed (some buy often), 5 % cancelled.
            c.execute_batch(&format!(
                "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, creado_en, actualizado_en)
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {orders})
                 SELECT 1 + abs(random() % (1 + abs(random() % {customers}))),
                        CASE abs(random() % 4) WHEN 0 THEN 'whatsapp' WHEN 1 THEN 'web' WHEN 2 THEN 'telefono' ELSE 'presencial' END,
                        CASE WHEN abs(random() % 20) = 0 THEN 'cancelado' ELSE 'entregado' END,
                        0, 0, 0, {end} - {span} + i * ({span} / {orders}), 0
                 FROM n;
                 INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
                 SELECT p.id, pr.id, pr.sku, pr.nombre, 1 + (p.id % 3), pr.precio, (1 + (p.id % 3)) * pr.precio
                 FROM pedidos p JOIN productos pr ON pr.id = 1 + (p.id * 7) % 40;
                 UPDATE pedidos SET total = (SELECT SUM(total) FROM pedido_items WHERE pedido_id = pedidos.id),
                                    subtotal = (SELECT SUM(total) FROM pedido_items WHERE pedido_id = pedidos.id);
                 -- Conversations: an inbound message ten minutes before each order (on
                 -- WhatsApp), and as many again at random instants that lead to nothing.
                 INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
                 SELECT cliente_id, 'whatsapp', 'entrante', 'mensaje', 'hola', creado_en - 600000 FROM pedidos;
                 INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
                 SELECT 1 + abs(random() % {customers}), 'whatsapp', 'entrante', 'mensaje', 'consulta',
                        {end} - abs(random() % {span}) FROM pedidos;
                 UPDATE clientes SET
                    pedidos_count = (SELECT COUNT(*) FROM pedidos WHERE cliente_id = clientes.id AND estado <> 'cancelado'),
                    total_gastado = (SELECT COALESCE(SUM(total), 0) FROM pedidos WHERE cliente_id = clientes.id AND estado <> 'cancelado'),
                    ultimo_pedido_en = (SELECT MAX(creado_en) FROM pedidos WHERE cliente_id = clientes.id AND estado <> 'cancelado');"
            ))?;
            Ok(())
        })
        .await
        .expect("generate");
    let generate = started.elapsed();
    println!(
        "generated {customers} customers / {orders} orders (+1 line each, triggers on) in {:.1} s",
        generate.as_secs_f64()
    );

    // Customer search as the API runs it (a page of 20, newest first): a word every
    // customer has, a prefix, and a rare pair.
    for q in ["cliente", "cli", "Cliente 4242", "Cliente 77"] {
        let times = tenant
            .db()
            .read(move |c| {
                let filter = customers::store::Filter {
                    search: Some(q.to_string()),
                    ..Default::default()
                };
                let mut times = Vec::new();
                for _ in 0..200 {
                    let t = Instant::now();
                    let (rows, _) = customers::store::list(
                        c,
                        &filter,
                        customers::store::SortBy::default(),
                        None,
                        20,
                    )?;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    assert!(!rows.is_empty(), "{q}");
                }
                Ok(times)
            })
            .await
            .expect("search");
        let mut times = times;
        times.sort_by(f64::total_cmp);
        println!(
            "search {q:>14}: p50 {:.2} ms, p99 {:.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }

    let tz = tenant.brand().tz();
    let t = Instant::now();
    tenant
        .db()
        .write(move |c| {
            c.execute(
                "DELETE FROM analitica_estado WHERE clave = 'zona_horaria'",
                [],
            )?;
            zone::ensure(c, tz)
        })
        .await
        .expect("rebuild");
    println!("full rollup rebuild: {:.2} s", t.elapsed().as_secs_f64());

    if std::env::var("BENCH_SKIP_RECOMPUTE").is_err() {
        let t = Instant::now();
        let now = Utc::now();
        let plan = tenant
            .db()
            .read(move |c| refresh::compute(c, tz, move || now))
            .await
            .expect("compute");
        let compute = t.elapsed();
        let t = Instant::now();
        tenant
            .db()
            .write(move |c| refresh::apply(c, &plan))
            .await
            .expect("apply");
        println!(
            "nightly recompute (segments + RFM + CLV fit): compute {:.2} s, write {:.2} s",
            compute.as_secs_f64(),
            t.elapsed().as_secs_f64()
        );
    }
    let today = Utc::now().with_timezone(&tz).date_naive();
    for (name, days) in [
        ("day", 1u64),
        ("week", 7),
        ("month", 30),
        ("quarter", 91),
        ("year", 365),
    ] {
        let mut times = Vec::new();
        for k in 0..env("BENCH_ROUNDS", 40) as u64 {
            let hasta = today
                .checked_sub_days(Days::new((k * 17) % 700))
                .unwrap_or(today);
            let desde = hasta.checked_sub_days(Days::new(days - 1)).unwrap_or(hasta);
            let p = metrics::Period { desde, hasta };
            let t = Instant::now();
            let d = tenant
                .db()
                .read(move |c| metrics::dashboard(c, p))
                .await
                .expect("dashboard");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(d.totales.pedidos > 0 || days == 1);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "dashboard {name:>7}: p50 {:.1} ms, p95 {:.1} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
    // Where the time goes, for one month and one year.
    for (label, days) in [("month", 29u64), ("year", 364)] {
        let month = metrics::Period {
            desde: today.checked_sub_days(Days::new(days)).unwrap_or(today),
            hasta: today,
        };
        let parts = tenant
            .db()
            .read(move |c| {
                let mut out = Vec::new();
                let mut time =
                    |name: &'static str, f: &dyn Fn() -> Result<(), autonomo::error::AppError>| {
                        let t = Instant::now();
                        let r = f();
                        out.push((name, t.elapsed().as_secs_f64() * 1000.0, r.is_ok()));
                    };
                time("series", &|| metrics::series(c, month).map(drop));
                time("totals", &|| metrics::totals(c, month).map(drop));
                time("channels", &|| metrics::channels(c, month).map(drop));
                time("products", &|| metrics::products(c, month, None).map(drop));
                time("segments", &|| metrics::segment_counts(c).map(drop));
                time("clv buckets", &|| metrics::clv_buckets(c).map(drop));
                time("cohorts", &|| metrics::cohort_matrix(c, month).map(drop));
                time("rfm", &|| metrics::rfm_picture(c).map(drop));
                time("conversion", &|| conversion::by_channel(c, month).map(drop));
                time("satisfaction", &|| satisfaction::kpis(c, month).map(drop));
                time("impact", &|| impact_totals::totals(c, month).map(drop));
                time("whole", &|| metrics::dashboard(c, month).map(drop));
                Ok(out)
            })
            .await
            .expect("parts");
        for (name, ms, ok) in parts {
            println!(
                "  {label:>5} {name:>12}: {ms:.1} ms{}",
                if ok { "" } else { " (failed)" }
            );
        }
    }
    // The rollups still equal a recomputation at this size.
    let (stored, fresh) = tenant
        .db()
        .read(move |c| Ok((rollups::stored(c)?, rollups::recompute(c, tz)?)))
        .await
        .expect("compare");
    assert!(stored == fresh, "rollups drifted from recomputation");
}
