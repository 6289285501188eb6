//! Throughput bench hook for the benchmark engineer: signed webhooks ingested end to end
//! (stored, customer upsert, interaction, auto-reply queued) on one brand, printing
//! webhooks/s and p50/p99 latency of the 200. Run with
//! `cargo test --release --test whatsapp bench:: -- --ignored --nocapture` (WA_BENCH_N, default 2000).

use crate::common;

use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn bench_signed_webhook_ingest() {
    let n: usize = std::env::var("WA_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    seed_gollos(&s, "gollos").await;
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            inbound(
                NUMBER,
                &format!("5199{:07}", i % 500),
                "Bench",
                &format!("wamid.bench.{i}"),
                text("2 pollos broaster y una inca kola"),
            )
        })
        .collect();
    let start = Instant::now();
    let mut latencies: Vec<Duration> = Vec::with_capacity(n);
    let mut tasks = tokio::task::JoinSet::new();
    let concurrency = 16;
    let mut it = bodies.into_iter();
    let post = |body: Vec<u8>| {
        let http = s.http.clone();
        let url = format!("{}/api/webhooks/whatsapp", s.base);
        async move {
            let t = Instant::now();
            let r = http
                .post(url)
                .header(
                    "x-hub-signature-256",
                    autonomo::whatsapp::sign(SECRET.as_bytes(), &body),
                )
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            t.elapsed()
        }
    };
    for body in it.by_ref().take(concurrency) {
        tasks.spawn(post(body));
    }
    while let Some(done) = tasks.join_next().await {
        latencies.push(done.unwrap());
        if let Some(body) = it.next() {
            tasks.spawn(post(body));
        }
    }
    let accepted = start.elapsed();
    s.settle().await;
    let total = start.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    let interactions = s
        .count(
            "gollos",
            "SELECT COUNT(*) FROM interacciones WHERE direccion = 'entrante'",
        )
        .await;
    let replies = s.count("gollos", "SELECT COUNT(*) FROM outbox").await;
    assert_eq!(interactions as usize, n);
    assert_eq!(replies as usize, n, "one auto-reply per message");
    println!(
        "whatsapp ingest: {n} signed webhooks; accepted {:.0}/s, end to end {:.0}/s; 200 p50 {:?} p99 {:?}",
        n as f64 / accepted.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        pct(0.5),
        pct(0.99)
    );
    s.stop().await;
}
