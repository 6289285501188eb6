//! The figures of one run, compared with the targets of issue 11, as text for the terminal
//! and as docs/benchmarks.md (everything below the analysis marker is kept across runs).

use crate::nocodb::Peer;
use crate::runner::Measured;

pub const KEEP_MARKER: &str =
    "<!-- hand-written analysis below: kept when the benchmark rewrites this file -->";

#[derive(Default)]
pub struct Results {
    pub scale: String,
    pub customers: u32,
    pub orders: u32,
    pub requests: usize,
    pub concurrency: usize,
    pub command: String,
    pub binary_mib: f64,
    pub cold_start_ms: f64,
    pub first_answer_ms: f64,
    pub rss_100_idle_mib: f64,
    pub touch_100_ms: f64,
    pub touch_100_cpu_ms: f64,
    pub open_after_touch: usize,
    pub open_after_close: usize,
    pub rss_100_closed_mib: f64,
    pub peak_100_brands_mib: f64,
    pub cold_start_demo_ms: f64,
    pub rss_100_brands_mib: f64,
    pub idle_rss_mib: f64,
    pub peak_rss_mib: f64,
    pub fill_secs: f64,
    pub webhook_e2e_per_sec: Option<f64>,
    pub outbox_sent: u64,
    pub workloads: Vec<Measured>,
    pub records: Vec<Measured>,
    pub peer: Option<Peer>,
}

impl Results {
    pub fn new(
        scale: &str,
        (customers, orders): (u32, u32),
        requests: usize,
        concurrency: usize,
        command: &str,
    ) -> Results {
        Results {
            scale: scale.into(),
            customers,
            orders,
            requests,
            concurrency,
            command: command.into(),
            ..Results::default()
        }
    }
    pub fn add(&mut self, m: Measured) {
        self.workloads.push(m);
    }
    pub fn add_record(&mut self, m: Measured) {
        self.records.push(m);
    }
    fn exact(&self, name: &str) -> Option<&Measured> {
        self.workloads.iter().find(|m| m.name == name)
    }
    fn find(&self, prefix: &str) -> Option<&Measured> {
        self.workloads
            .iter()
            .chain(&self.records)
            .find(|m| m.name.starts_with(prefix))
    }
}

/// One target: the measured figure against the limit, with how far off it is.
struct Check {
    what: &'static str,
    target: String,
    measured: String,
    verdict: String,
}

fn at_most(what: &'static str, unit: &str, limit: f64, v: Option<f64>) -> Check {
    let (measured, verdict) = match v {
        None => ("not available".into(), "—".into()),
        Some(v) if v <= limit => (format!("{v:.1} {unit}"), "met".into()),
        Some(v) => (
            format!("{v:.1} {unit}"),
            format!("**missed by {:.1}×** ({:+.1} {unit})", v / limit, v - limit),
        ),
    };
    Check {
        what,
        target: format!("≤ {limit} {unit}"),
        measured,
        verdict,
    }
}

fn at_least(what: &'static str, unit: &str, limit: f64, v: Option<f64>) -> Check {
    let (measured, verdict) = match v {
        None => ("not available".into(), "—".into()),
        Some(v) if v >= limit => (format!("{v:.0} {unit}"), "met".into()),
        Some(v) => (
            format!("{v:.0} {unit}"),
            format!(
                "**missed by {:.1}×** ({:.0}% of target)",
                limit / v.max(0.001),
                v / limit * 100.0
            ),
        ),
    };
    Check {
        what,
        target: format!("≥ {limit} {unit}"),
        measured,
        verdict,
    }
}

fn checks(r: &Results) -> Vec<Check> {
    let hook = r.find("webhook");
    vec![
        at_most(
            "Idle RSS, three demo brands",
            "MiB",
            30.0,
            Some(r.idle_rss_mib),
        ),
        at_most("Peak RSS under load", "MiB", 100.0, Some(r.peak_rss_mib)),
        at_most(
            "Cold start to /healthz 200, 100 brands",
            "ms",
            300.0,
            Some(r.cold_start_ms),
        ),
        at_most(
            "Cold start to first answer, 100 brands",
            "ms",
            300.0,
            Some(r.first_answer_ms),
        ),
        at_least(
            "Webhook ingest, end to end",
            "msg/s",
            5000.0,
            r.webhook_e2e_per_sec,
        ),
        at_least(
            "Webhook ingest, HTTP ack",
            "msg/s",
            5000.0,
            hook.map(|m| m.per_sec),
        ),
        at_most("Webhook ack p99", "ms", 20.0, hook.map(|m| m.p99_ms)),
        at_most(
            "Webhook ack p99, 1 in flight",
            "ms",
            20.0,
            r.exact("webhook ingest (ack) · 1 in flight")
                .map(|m| m.p99_ms),
        ),
        at_least(
            "Order creation",
            "orders/s",
            3000.0,
            r.find("order").map(|m| m.per_sec),
        ),
        at_most(
            "Customer search p99",
            "ms",
            10.0,
            r.find("customer search").map(|m| m.p99_ms),
        ),
        at_most(
            "Customer search p99, 1 in flight",
            "ms",
            10.0,
            r.exact("customer search (q=, 20) · 1 in flight")
                .map(|m| m.p99_ms),
        ),
        at_most(
            "Dashboard p95",
            "ms",
            50.0,
            r.find("dashboard").map(|m| m.p95_ms),
        ),
        at_most("Release binary", "MiB", 40.0, Some(r.binary_mib)),
    ]
}

pub fn summary(r: &Results) -> String {
    let mut s =
        String::from("\nTarget                                    Measured              Verdict\n");
    for c in checks(r) {
        s.push_str(&format!(
            "{:<42}{:<22}{} (target {})\n",
            c.what,
            c.measured,
            c.verdict.replace("**", ""),
            c.target
        ));
    }
    if r.find("dashboard").is_none() {
        s.push_str("dashboard: not available (endpoint /api/marcas/{id}/metricas/dashboard not in this build)\n");
    }
    s
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = cpu.lines().filter(|l| l.starts_with("processor")).count();
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let total = mem
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1_048_576.0;
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{model}, {cores} cores visible, {total:.1} GiB RAM (`free`), Linux {}; load average at the end of the run {} (other jobs share the machine)",
        kernel.trim(),
        load.join(" ")
    )
}

fn table(rows: &[Measured]) -> String {
    let mut s = String::from(
        "| Workload | Requests | Errors | Throughput (/s) | p50 ms | p95 ms | p99 ms | max ms | Server CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {:.0}% |\n",
            m.name,
            m.requests,
            m.errors,
            m.per_sec,
            m.p50_ms,
            m.p95_ms,
            m.p99_ms,
            m.max_ms,
            m.cpu_pct
        ));
    }
    s
}

fn peer_section(r: &Results) -> String {
    let Some(p) = &r.peer else {
        return "Not run in this invocation (add `--peer nocodb`; the install takes ≈ 6 min and 1.4 GB).\n".into();
    };
    let mut s = format!(
        "Peer: **{}**, started by the same run on 127.0.0.1.\n\n",
        p.name
    );
    if let Some(e) = &p.error {
        s.push_str(&format!("Peer problem: `{e}`\n\n"));
    }
    if p.ops.is_empty() {
        return s;
    }
    let ours = |name: &str| r.find(name);
    s.push_str("| Operation | Autónomo /s | NocoDB /s | Throughput ratio | Autónomo p99 ms | NocoDB p99 ms | p99 ratio |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for theirs in &p.ops {
        if let Some(o) = ours(&theirs.name) {
            s.push_str(&format!(
                "| {} | {:.0} | {:.0} | **{:.0}×** | {:.2} | {:.1} | **{:.0}×** |\n",
                theirs.name,
                o.per_sec,
                theirs.per_sec,
                o.per_sec / theirs.per_sec.max(0.001),
                o.p99_ms,
                theirs.p99_ms,
                theirs.p99_ms / o.p99_ms.max(0.001)
            ));
        }
    }
    s.push_str(&format!(
        "\n| Memory | Autónomo | NocoDB | Ratio |\n|---|---:|---:|---:|\n| Idle RSS | {:.1} MiB | {:.0} MiB | **{:.0}×** |\n| Peak RSS | {:.1} MiB | {:.0} MiB | **{:.0}×** |\n| Start to serving | {:.0} ms | {:.0} ms | **{:.0}×** |\n",
        r.idle_rss_mib, p.idle_rss_mib, p.idle_rss_mib / r.idle_rss_mib.max(0.001),
        r.peak_rss_mib, p.peak_rss_mib, p.peak_rss_mib / r.peak_rss_mib.max(0.001),
        r.cold_start_demo_ms, p.start_ms, p.start_ms / r.cold_start_demo_ms.max(0.001)
    ));
    s.push_str(&format!(
        "\nNocoDB ran with {} requests in flight (with that many its p50 is already {:.0} ms, so more would only queue), Autónomo with {} (its figures above).\n\n{}",
        p.ops.first().map(|m| m.concurrency).unwrap_or(0),
        p.ops.first().map(|m| m.p50_ms).unwrap_or(0.0),
        r.concurrency,
        table(&p.ops)
    ));
    s
}

pub fn markdown(r: &Results, previous: &str) -> String {
    let kept = previous
        .split_once(KEEP_MARKER)
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_else(|| {
            "\n\n## Analysis\n\n(write why targets are missed and what would fix them here)\n"
                .into()
        });
    let mut s = String::from(
        "# Benchmarks\n\nGenerated by the benchmark; the analysis at the end is written by hand.\n\n",
    );
    s.push_str(&format!(
        "- **Date:** {}\n- **Machine:** {}\n- **Command:** `{}`\n- **Data:** brand `gollos` with {} customers and {} orders (scale `{}`) from `autonomo demo`, plus `goio` and `eco-eterno` with 1,000 customers / 10,000 orders each; a fresh copy of the data dir per run\n- **Load:** {} requests per workload, {} in flight, HTTP/1.1 keep-alive from a Rust client (tokio + reqwest) on the same machine, which shares the 2 cores with the server\n- **Build:** release (`lto = \"thin\"`, stripped), durable writes (`synchronous=FULL`, WAL)\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"), machine(), r.command, r.customers, r.orders, r.scale, r.requests, r.concurrency
    ));
    s.push_str(
        "## Targets (issue 11)\n\n| Target | Limit | Measured | Verdict |\n|---|---|---|---|\n",
    );
    for c in checks(r) {
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.what, c.target, c.measured, c.verdict
        ));
    }
    s.push_str("\n## Workloads\n\n");
    s.push_str(&table(&r.workloads));
    if r.find("dashboard").is_none() {
        s.push_str("\nDashboard: **not available** in this build (`GET /api/marcas/{id}/metricas/dashboard` answers 404); the row appears once the endpoint lands.\n");
    }
    s.push_str(&format!(
        "\nWebhook end to end = accepted messages ÷ time until `autonomo_whatsapp_events_pending` is 0 (customer upserted, interaction stored, auto-reply queued): **{}**. The fake Graph API received {} auto-replies during the run.\n",
        r.webhook_e2e_per_sec.map(|v| format!("{v:.0} msg/s")).unwrap_or_else(|| "not measured".into()), r.outbox_sent
    ));
    s.push_str(&format!(
        "\n## Start, memory, size\n\n| Figure | Value |\n|---|---:|\n| Cold start to the first HTTP answer (`/api/openapi.json`), 100 empty brands (median of 3) | {:.0} ms |\n| Cold start to `/healthz` 200 (every brand's file checked, none opened by the check), 100 empty brands (median of 3) | {:.0} ms |\n| 100 brands: RSS 10 s after the start | {:.1} MiB |\n| 100 brands: one request to each ({:.0} ms, {:.0} ms server CPU), then {} open, RSS | {:.1} MiB |\n| 100 brands: 12 s later, idle close at 5 s ({} open), RSS / peak | {:.1} / {:.1} MiB |\n| Cold start, three demo brands | {:.0} ms |\n| Idle RSS, three demo brands (2 s after start) | {:.1} MiB |\n| Peak RSS (VmHWM) after every workload | {:.1} MiB |\n| Release binary | {:.1} MiB |\n| `autonomo demo` fill of gollos (cached between runs) | {:.0} s |\n",
        r.first_answer_ms, r.cold_start_ms, r.rss_100_idle_mib, r.touch_100_ms, r.touch_100_cpu_ms, r.open_after_touch, r.rss_100_brands_mib, r.open_after_close, r.rss_100_closed_mib, r.peak_100_brands_mib, r.cold_start_demo_ms, r.idle_rss_mib, r.peak_rss_mib, r.binary_mib, r.fill_secs
    ));
    s.push_str("\n## Record operations side by side\n\n");
    s.push_str(&table(&r.records));
    s.push('\n');
    s.push_str(&peer_section(r));
    s.push('\n');
    s.push_str(KEEP_MARKER);
    s.push_str(&kept);
    s
}
