//! `cargo bench --bench load -- [options]`: the benchmark of issue 11. It drives the real
//! release binary over HTTP on 127.0.0.1 (fresh data dir filled by `autonomo demo`),
//! measures throughput, p50/p99, RSS, CPU, cold start and binary size, optionally runs the
//! same record operations against NocoDB, and writes docs/benchmarks.md.
//! `scripts/bench.sh` is the documented entry point (it builds the binary first).

mod autonomo;
mod fake_graph;
mod nocodb;
mod report;
mod runner;
mod seed;
mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;

use crate::autonomo::Target;
use crate::report::Results;
use crate::seed::{demo_seed, fresh_copy, hundred_brands, sizes};
use crate::server::{Binary, cpu_secs, free_port, peak_mib, rss_mib};

const METRICS_TOKEN: &str = "bench-metrics-token";
/// When idle memory is read, after the start: past tokio's 10 s keep-alive of the blocking
/// threads the start used (each with its stack and allocator heap) and the allocator's
/// purge of what they freed. The figure 2 s after the start is reported beside it.
const IDLE_SETTLED: Duration = Duration::from_secs(20);

fn second_of_minute() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 60)
}

#[derive(Debug, Parser)]
#[command(about = "Autónomo benchmark (issue 11)")]
struct Args {
    /// The release binary to measure.
    #[arg(long, default_value = "target/release/autonomo")]
    bin: PathBuf,
    /// small (10k customers / 100k orders in gollos), medium (30k / 300k) or full (100k / 1M).
    #[arg(long, default_value = "small", value_parser = ["tiny", "small", "medium", "full"])]
    scale: String,
    /// Scratch folder: cached demo data sets and the per-run data dirs.
    #[arg(long, default_value = "/tmp/autonomo-bench")]
    work: PathBuf,
    /// Requests per workload.
    #[arg(long, default_value_t = 4000)]
    requests: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Also measure a peer: `nocodb` (installed by scripts/nocodb-peer.sh).
    #[arg(long)]
    peer: Option<String>,
    /// Where to write the report (`-` for none).
    #[arg(long, default_value = "docs/benchmarks.md")]
    out: String,
    /// The command line shown in the report.
    #[arg(long, default_value = "bash scripts/bench.sh")]
    command: String,
    /// Profiling aid: run only these workloads (webhook, orders, search, page, dashboard), in
    /// the order given (`webhook,orders` = orders right after a webhook burst, as the full run
    /// does), or only the starts and idle memory (`start`); print them, write no report.
    #[arg(long, value_delimiter = ',',
          value_parser = ["webhook", "orders", "search", "page", "dashboard", "start"])]
    only: Vec<String>,
    // `cargo bench` passes --bench to harness=false targets; accept and ignore it.
    #[arg(long, hide = true)]
    bench: bool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    if !args.bench {
        // `cargo test --all-targets` runs bench targets too, without --bench: a benchmark
        // of minutes is not a test, so say how to run it and stop.
        println!(
            "load: run the benchmark with `bash scripts/bench.sh` (or `cargo bench --bench load`)"
        );
        return;
    }
    let bin_path = std::fs::canonicalize(&args.bin)
        .unwrap_or_else(|_| panic!("no binary at {}", args.bin.display()));
    std::fs::create_dir_all(&args.work).expect("work dir");
    let graph = fake_graph::start().await;
    let bin = Binary {
        path: bin_path.clone(),
        env: vec![
            ("AUTONOMO_WHATSAPP_API_BASE".into(), graph),
            ("AUTONOMO_METRICS_TOKEN".into(), METRICS_TOKEN.into()),
            ("AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS".into(), "0".into()),
            // One token drives thousands of requests a second here: a load test, not abuse.
            ("AUTONOMO_LIMITS_PER_TOKEN_PER_MINUTE".into(), "0".into()),
            ("RUST_LOG".into(), "warn".into()),
        ],
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");
    let mut results = Results::new(
        &args.scale,
        sizes(&args.scale),
        args.requests,
        args.concurrency,
        &args.command,
    );
    results.binary_mb = stripped_size(&bin_path, &args.work) as f64 / 1e6;

    // Cold start with 100 brands: three starts, the median. Then memory: idle after the
    // start, right after a request to each brand (all open), and once the idle close (5 s
    // here, 300 s by default) has closed them again.
    let brands = hundred_brands(&bin, &args.work);
    let (mut first, mut starts) = (Vec::new(), Vec::new());
    let only_starts = args.only.iter().any(|w| w == "start");
    let starts_wanted = args.only.is_empty() || only_starts;
    for i in 0..if starts_wanted { 3 } else { 0 } {
        let dir = fresh_copy(&brands, &args.work.join("run-100-brands"));
        let token = bin
            .run(
                &dir,
                &[
                    "token",
                    "create",
                    "--all-tenants",
                    "--scope",
                    "admin",
                    "--label",
                    "bench",
                ],
            )
            .trim()
            .to_owned();
        let mut s = bin.serve_with(
            &dir,
            free_port(),
            &args.work.join(format!("serve-100-{i}.log")),
            &[("AUTONOMO_BRAND_IDLE_CLOSE_SECS", "5")],
        );
        // First any answer, then /healthz 200 (every brand's file checked; a health check
        // opens none).
        first.push(
            s.wait_ready(&http, "/api/openapi.json", Duration::from_secs(60))
                .await,
        );
        starts.push(
            s.wait_ready(&http, "/healthz", Duration::from_secs(60))
                .await,
        );
        tokio::time::sleep(Duration::from_secs(10)).await;
        results.rss_100_idle_mib = rss_mib(s.pid()).0;
        let cpu_before = cpu_secs(s.pid());
        let touched = Instant::now();
        for b in 0..100 {
            let url = format!("{}/api/marcas/marca-{b:03}/clientes", s.base);
            let r = http.get(&url).bearer_auth(&token).send().await;
            assert!(
                r.as_ref().is_ok_and(|r| r.status().is_success()),
                "{url}: {r:?}"
            );
        }
        results.touch_100_ms = touched.elapsed().as_secs_f64() * 1000.0;
        results.touch_100_cpu_ms = (cpu_secs(s.pid()) - cpu_before) * 1000.0;
        results.open_after_touch = s.open_brands(&http).await.0;
        results.rss_100_brands_mib = rss_mib(s.pid()).0;
        tokio::time::sleep(Duration::from_secs(12)).await;
        results.open_after_close = s.open_brands(&http).await.0;
        (results.rss_100_closed_mib, results.peak_100_brands_mib) = rss_mib(s.pid());
        s.stop();
    }
    for v in [&mut starts, &mut first] {
        v.sort();
        v.resize(3, Duration::ZERO);
    }
    results.cold_start_ms = starts[1].as_secs_f64() * 1000.0;
    results.first_answer_ms = first[1].as_secs_f64() * 1000.0;
    if starts_wanted {
        eprintln!(
            "cold start, 100 brands: first answer {:.0} ms, /healthz 200 {:.0} ms (medians of 3)",
            results.first_answer_ms, results.cold_start_ms,
        );
        eprintln!(
            "100 brands (last run): RSS 10 s after start {:.1} MiB; one request to each brand {:.0} ms ({:.0} ms server CPU), then {} open, RSS {:.1} MiB; 12 s later (idle close 5 s) {} open, RSS {:.1} MiB; peak {:.1} MiB",
            results.rss_100_idle_mib,
            results.touch_100_ms,
            results.touch_100_cpu_ms,
            results.open_after_touch,
            results.rss_100_brands_mib,
            results.open_after_close,
            results.rss_100_closed_mib,
            results.peak_100_brands_mib,
        );
    }

    let (seed, fill_secs) = demo_seed(&bin, &args.work, &args.scale);
    results.fill_secs = fill_secs;
    let data = fresh_copy(&seed, &args.work.join("run"));
    let token = bin
        .run(
            &data,
            &[
                "token",
                "create",
                "--all-tenants",
                "--scope",
                "admin",
                "--label",
                "bench",
            ],
        )
        .trim()
        .to_owned();
    // Scheduled jobs start at second 0 of a minute (and open brands, read and write): start
    // where the settling below ends before the next minute, so "idle" is idle.
    while second_of_minute() > 60 - IDLE_SETTLED.as_secs() - 8 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut s = bin.serve(&data, free_port(), &args.work.join("serve.log"));
    let ready = Instant::now();
    results.cold_start_demo_ms = s
        .wait_ready(&http, "/healthz", Duration::from_secs(60))
        .await
        .as_secs_f64()
        * 1000.0;
    tokio::time::sleep(Duration::from_secs(2)).await;
    results.just_started_rss_mib = rss_mib(s.pid()).0;
    tokio::time::sleep(IDLE_SETTLED.saturating_sub(ready.elapsed())).await;
    results.idle_rss_mib = rss_mib(s.pid()).0;
    eprintln!(
        "RSS with three demo brands: {:.1} MiB 2 s after the start, {:.1} MiB idle ({} s after; start to /healthz 200: {:.0} ms)",
        results.just_started_rss_mib,
        results.idle_rss_mib,
        IDLE_SETTLED.as_secs(),
        results.cold_start_demo_ms
    );
    if only_starts {
        s.stop();
        return;
    }

    let mut target = Target {
        http: http.clone(),
        base: s.base.clone(),
        token,
        customers: u64::from(sizes(&args.scale).0),
        skus: Default::default(),
        terms: Default::default(),
        pid: s.pid(),
    };
    target.discover().await;
    let (n, c) = (args.requests, args.concurrency);
    if !args.only.is_empty() {
        eprintln!("server pid {}", s.pid());
        for only in &args.only {
            let m = match only.as_str() {
                "webhook" => {
                    let (acks, e2e) = target.webhooks(n, c, METRICS_TOKEN).await;
                    match e2e {
                        Some(rate) => eprintln!("webhook end to end: {rate:.0} msg/s"),
                        None => eprintln!("webhook end to end: events still pending after 600 s"),
                    }
                    acks
                }
                "orders" => target.create_orders(n, c).await,
                "search" => target.search(n, c).await,
                "dashboard" => match target.dashboard(n, c).await {
                    Some(m) => m,
                    None => {
                        eprintln!("the dashboard endpoint does not exist in this build");
                        continue;
                    }
                },
                _ => target.customer_page(n, c).await,
            };
            eprintln!("{}", m.line());
            eprintln!("  resident now: {}", server::rss_breakdown(s.pid()));
        }
        s.stop();
        return;
    }
    let (hook, e2e) = target.webhooks(n, c, METRICS_TOKEN).await;
    eprintln!("{}", hook.line());
    results.webhook_e2e_per_sec = e2e;
    results.add(hook);
    for m in [
        target.create_orders(n, c).await,
        target.search(n, c).await,
        target.customer_page(n, c).await,
    ] {
        eprintln!("{}", m.line());
        results.add(m);
    }
    // Latency without queueing: the same requests one at a time.
    let probe = (n / 8).max(100);
    let (hook1, _) = target.webhooks(probe, 1, METRICS_TOKEN).await;
    for mut m in [
        hook1,
        target.create_orders(probe, 1).await,
        target.search(probe, 1).await,
    ] {
        m.name = format!("{} · 1 in flight", m.name);
        eprintln!("{}", m.line());
        results.add(m);
    }
    match target.dashboard((n / 10).max(100), c.min(8)).await {
        Some(m) => {
            eprintln!("{}", m.line());
            results.add(m);
        }
        None => eprintln!(
            "dashboard: not available in this build (GET /api/marcas/{{id}}/metricas/dashboard is 404)"
        ),
    }
    let records = (n / 4).max(200);
    for m in [
        target.create_customers(records, c).await,
        target.list_page(records, c).await,
    ] {
        eprintln!("{}", m.line());
        results.add_record(m);
    }
    results.peak_rss_mib = peak_mib(s.pid());
    results.outbox_sent = fake_graph::sent();
    eprintln!("peak RSS: {:.1} MiB", results.peak_rss_mib);
    s.stop();

    if args.peer.as_deref() == Some("nocodb") {
        results.peer = nocodb::measure(&http, &args.work, records.min(1000), c.min(8)).await;
    }

    let text = report::markdown(
        &results,
        &std::fs::read_to_string(&args.out).unwrap_or_default(),
    );
    println!("{}", report::summary(&results));
    if args.out != "-" {
        std::fs::write(&args.out, text).expect("write report");
        eprintln!("wrote {}", args.out);
    }
}

/// The binary's size as shipped: stripped (`strip -o` into the scratch folder), since a build
/// made for `perf` keeps its symbols; the file as it is when `strip` is not installed.
fn stripped_size(bin: &std::path::Path, work: &std::path::Path) -> u64 {
    let copy = work.join("autonomo-stripped");
    let stripped = std::process::Command::new("strip")
        .arg("-o")
        .arg(&copy)
        .arg(bin)
        .status()
        .is_ok_and(|s| s.success());
    let size =
        std::fs::metadata(if stripped { copy.as_path() } else { bin }).map_or(0, |m| m.len());
    let _ = std::fs::remove_file(&copy);
    size
}
