//! Timing of the analytics on a big brand (ignored; prints figures):
//! `BENCH_CUSTOMERS=100000 BENCH_ORDERS=1000000 cargo test --release --test analytics
//! dashboard_bench -- --ignored --nocapture`. The brand comes from `autonomo demo` (cached
//! between runs) or, with `BENCH_SOURCE=sql`, from session 5's SQL generator (see
//! `bench_data`). Measures the nightly segments + RFM + CLV recompute phase by phase (twice:
//! the first run after the fill and a second, nightly-like one), the dashboard for several
//! periods at 1 and several requests in flight (p50/p95 and CPU per request), and each
//! dashboard section. `BENCH_SKIP_RECOMPUTE=1` skips the recompute; `BENCH_ROUNDS` sets the
//! dashboards per period and concurrency (default 40).

use std::time::Instant;

use autonomo::analytics::{
    conversion, impact_totals, metrics, refresh, rollups, satisfaction, zone,
};
use autonomo::customers;
use chrono::{Days, NaiveDate, Utc};

use super::bench_data::{Source, big_brand, cpu_seconds, env, load_average, source};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

#[tokio::test]
#[ignore = "timing; run with --ignored --nocapture (release for real figures)"]
async fn dashboard_p95_on_a_big_brand() {
    let customers = env("BENCH_CUSTOMERS", 100_000);
    let orders = env("BENCH_ORDERS", 1_000_000);
    let (_dir, _registry, tenant) = big_brand(customers, orders).await;
    println!("load average at start: {}", load_average());
    let tz = tenant.brand().tz();

    // Customer search as the API runs it (a page of 20, newest first): a word every
    // customer has, a prefix, and a rare pair (names of the SQL brand only).
    let queries: &[&'static str] = match source() {
        Source::Sql => &["cliente", "cli", "Cliente 4242", "Cliente 77"],
        Source::Demo => &[],
    };
    for &q in queries {
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

    if env("BENCH_REBUILD", 0) == 1 {
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
    }

    if std::env::var("BENCH_SKIP_RECOMPUTE").is_err() {
        // The first run changes every buyer's segment (the SQL brand's are all unset; the
        // demo's are set to `sin_compras` here first, as if after an import) and rewrites
        // every RFM/CLV row; the second is the nightly steady state.
        if source() == Source::Demo {
            let t = Instant::now();
            let n = tenant
                .db()
                .write(|c| {
                    Ok(c.execute(
                        "UPDATE clientes SET segmento = 'sin_compras' WHERE segmento <> 'sin_compras'",
                        [],
                    )?)
                })
                .await
                .expect("reset segments");
            println!(
                "(setup: {n} segments reset to sin_compras in {:.2} s, every trigger firing)",
                t.elapsed().as_secs_f64()
            );
        }
        for (run, days) in [("first", 0), ("second", 1)] {
            let (t, cpu) = (Instant::now(), cpu_seconds());
            // The second run is the next night: recency, CLV and the fit move for everyone.
            let now = Utc::now() + chrono::Duration::days(days);
            let plan = tenant
                .db()
                .read(move |c| refresh::compute(c, tz, move || now))
                .await
                .expect("compute");
            let compute = t.elapsed().as_secs_f64();
            let w = plan.timings;
            println!(
                "recompute ({run}): compute {compute:.2} s = read {:.2} + segments {:.2} + RFM {:.2} + CLV fit {:.2} + CLV predict {:.2} s; {} customers{}",
                w.read,
                w.segments,
                w.rfm,
                w.clv_fit,
                w.clv_predict,
                plan.segments.len(),
                plan.clv_error
                    .as_deref()
                    .map(|e| format!(", CLV: {e}"))
                    .unwrap_or_default()
            );
            let t2 = Instant::now();
            let changed = tenant
                .db()
                .write(move |c| refresh::apply(c, &plan))
                .await
                .expect("apply");
            println!(
                "recompute ({run}): write {:.2} s ({changed} segment changes); total {:.2} s wall, {:.2} s CPU of this process; load {}",
                t2.elapsed().as_secs_f64(),
                t.elapsed().as_secs_f64(),
                cpu_seconds() - cpu,
                load_average()
            );
        }
    }
    let today = Utc::now().with_timezone(&tz).date_naive();
    let first_day: NaiveDate = tenant
        .db()
        .read(|c| {
            Ok(c.query_row("SELECT MIN(dia) FROM analitica_dia", [], |r| {
                r.get::<_, Option<String>>(0)
            })?)
        })
        .await
        .expect("first day")
        .and_then(|d| d.parse().ok())
        .unwrap_or(today);
    let whole = (today - first_day).num_days().max(0) as u64 + 1;
    let rounds = env("BENCH_ROUNDS", 40).max(1) as usize;
    let in_flight: Vec<usize> = std::env::var("BENCH_IN_FLIGHT")
        .unwrap_or_else(|_| "1,4,32".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .filter(|v| *v > 0)
        .collect();
    for (name, days) in [
        ("day", 1u64),
        ("week", 7),
        ("month", 30),
        ("year", 365),
        ("whole", whole),
    ] {
        for &k in &in_flight {
            // `rounds` dashboards (at least one per task) ending on dates spread over the
            // data, `k` at a time.
            let per_task = rounds.div_ceil(k);
            let (t, cpu) = (Instant::now(), cpu_seconds());
            let tasks = (0..k).map(|task| {
                let tenant = tenant.clone();
                async move {
                    let mut times = Vec::with_capacity(per_task);
                    for i in 0..per_task {
                        let back =
                            ((task * per_task + i) as u64 * 17) % whole.saturating_sub(days).max(1);
                        let hasta = today.checked_sub_days(Days::new(back)).unwrap_or(today);
                        let desde = hasta.checked_sub_days(Days::new(days - 1)).unwrap_or(hasta);
                        let p = metrics::Period { desde, hasta };
                        let t = Instant::now();
                        let d = tenant
                            .db()
                            .read(move |c| metrics::dashboard(c, p))
                            .await
                            .expect("dashboard");
                        times.push(t.elapsed().as_secs_f64() * 1000.0);
                        assert!(d.totales.pedidos > 0 || days < 30, "{p:?}");
                    }
                    times
                }
            });
            let mut times: Vec<f64> = futures_util::future::join_all(tasks)
                .await
                .into_iter()
                .flatten()
                .collect();
            let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
            times.sort_by(f64::total_cmp);
            println!(
                "dashboard {name:>5} ({days:>3} d), {k:>2} in flight: p50 {:.1} ms, p95 {:.1} ms, {:.0} req/s, CPU {:.1} ms/req ({} req); load {}",
                percentile(&times, 0.5),
                percentile(&times, 0.95),
                times.len() as f64 / wall,
                cpu * 1000.0 / times.len() as f64,
                times.len(),
                load_average()
            );
        }
    }
    // Where the time goes, for one month, one year and the whole range.
    for (label, days) in [("month", 29u64), ("year", 364), ("whole", whole - 1)] {
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
