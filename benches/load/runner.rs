//! A closed-loop load runner: `concurrency` requests in flight until `n` are done; latency of
//! every request, wall time, and the CPU the server burned meanwhile.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use serde::Serialize;

pub type Call = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// What one workload measured.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub name: String,
    pub requests: usize,
    pub errors: usize,
    pub first_error: Option<String>,
    pub secs: f64,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Server CPU over the run, in % of one core.
    pub cpu_pct: f64,
    /// The server's peak RSS during the run (VmHWM, reset when the run starts), in MiB.
    pub peak_rss_mib: f64,
    pub concurrency: usize,
}

/// Runs `n` calls, `concurrency` at a time, while `pid`'s CPU is watched.
pub async fn run<F>(name: &str, n: usize, concurrency: usize, pid: u32, make: F) -> Measured
where
    F: Fn(usize) -> Call,
{
    let cpu0 = crate::server::cpu_secs(pid);
    crate::server::take_peak_mib(pid);
    let start = Instant::now();
    let mut latencies: Vec<Duration> = Vec::with_capacity(n);
    let mut errors = 0;
    let mut first_error = None;
    let mut tasks = tokio::task::JoinSet::new();
    let timed = |i: usize| {
        let call = make(i);
        async move {
            let t = Instant::now();
            let r = call.await;
            (t.elapsed(), r)
        }
    };
    let mut next = 0;
    while next < n.min(concurrency) {
        tasks.spawn(timed(next));
        next += 1;
    }
    while let Some(done) = tasks.join_next().await {
        let (lat, result) = done.unwrap_or((Duration::ZERO, Err("task panicked".into())));
        latencies.push(lat);
        if let Err(e) = result {
            errors += 1;
            first_error.get_or_insert(e);
        }
        if next < n {
            tasks.spawn(timed(next));
            next += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = crate::server::cpu_secs(pid) - cpu0;
    let mut m = summarize(name, latencies, errors, first_error, secs, cpu, concurrency);
    m.peak_rss_mib = crate::server::take_peak_mib(pid);
    m
}

pub fn summarize(
    name: &str,
    mut latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
    secs: f64,
    cpu_secs: f64,
    concurrency: usize,
) -> Measured {
    latencies.sort();
    let pct = |p: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[i].as_secs_f64() * 1000.0
    };
    let n = latencies.len();
    Measured {
        name: name.to_owned(),
        requests: n,
        errors,
        first_error,
        secs,
        per_sec: if secs > 0.0 {
            (n - errors) as f64 / secs
        } else {
            0.0
        },
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        cpu_pct: if secs > 0.0 {
            cpu_secs / secs * 100.0
        } else {
            0.0
        },
        concurrency,
        peak_rss_mib: 0.0,
    }
}

impl Measured {
    pub fn line(&self) -> String {
        format!(
            "{:<28} {:>7} req {:>9.0}/s  p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  cpu {:>4.0}%  peak {:>6.1} MiB  errors {}{}",
            self.name,
            self.requests,
            self.per_sec,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.cpu_pct,
            self.peak_rss_mib,
            self.errors,
            self.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        )
    }
}

/// Turns a response into Ok when its status is one of `ok`.
pub async fn expect(r: reqwest::Result<reqwest::Response>, ok: &[u16]) -> Result<(), String> {
    let r = r.map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    if ok.contains(&status) {
        let _ = r.bytes().await;
        Ok(())
    } else {
        let body = r.text().await.unwrap_or_default();
        Err(format!(
            "{status}: {}",
            body.chars().take(200).collect::<String>()
        ))
    }
}
