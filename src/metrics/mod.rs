//! Prometheus metrics: request counts and latency histograms per route (recorded by a route
//! layer), plus gauges read at scrape time (writers, outbox, WhatsApp backlog, job runs).
//! `GET /metrics` itself lives in `health.rs`; this module renders the text it serves.

mod gauges;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

pub use gauges::render_gauges;

/// Upper bounds of the latency buckets, in seconds (1 ms … 10 s).
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct RouteStats {
    /// Responses by status class (`2xx`…`5xx`).
    by_class: BTreeMap<&'static str, u64>,
    /// Cumulative counts per bucket, plus the +Inf bucket at the end.
    buckets: [u64; BUCKETS.len() + 1],
    sum_secs: f64,
    count: u64,
}

/// Process-wide, like the process it describes; keyed by (method, route template).
static ROUTES: LazyLock<Mutex<BTreeMap<(String, String), RouteStats>>> =
    LazyLock::new(Default::default);

fn class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records one finished request (the route template, never the raw path: ids would explode
/// the number of series).
pub fn record(method: &str, route: &str, status: u16, secs: f64) {
    let Ok(mut routes) = ROUTES.lock() else {
        return;
    };
    let s = routes
        .entry((method.to_owned(), route.to_owned()))
        .or_default();
    *s.by_class.entry(class(status)).or_default() += 1;
    let at = BUCKETS
        .iter()
        .position(|b| secs <= *b)
        .unwrap_or(BUCKETS.len());
    for b in &mut s.buckets[at..] {
        *b += 1;
    }
    s.sum_secs += secs;
    s.count += 1;
}

/// Route layer: times every routed request under its matched path.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let response = next.run(req).await;
    record(
        &method,
        &route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The request counters and latency histograms in Prometheus text format.
pub fn render_requests() -> String {
    let mut out = String::new();
    let Ok(routes) = ROUTES.lock() else {
        return out;
    };
    let _ = writeln!(
        out,
        "# HELP autonomo_http_requests_total Requests answered, by route and status class."
    );
    let _ = writeln!(out, "# TYPE autonomo_http_requests_total counter");
    for ((method, route), s) in routes.iter() {
        for (class, n) in &s.by_class {
            let _ = writeln!(
                out,
                "autonomo_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{class}\"}} {n}",
                escape(route)
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP autonomo_http_request_duration_seconds Time to answer, by route."
    );
    let _ = writeln!(
        out,
        "# TYPE autonomo_http_request_duration_seconds histogram"
    );
    for ((method, route), s) in routes.iter() {
        let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
        for (i, n) in s.buckets.iter().enumerate() {
            let le = BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(
                out,
                "autonomo_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "autonomo_http_request_duration_seconds_sum{{{labels}}} {}",
            s.sum_secs
        );
        let _ = writeln!(
            out,
            "autonomo_http_request_duration_seconds_count{{{labels}}} {}",
            s.count
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_labelled_by_route() {
        record("GET", "/api/test-metrics/{id}", 200, 0.003);
        record("GET", "/api/test-metrics/{id}", 404, 20.0);
        let text = render_requests();
        assert!(text.contains(
            "autonomo_http_requests_total{method=\"GET\",route=\"/api/test-metrics/{id}\",status=\"2xx\"} 1"
        ));
        assert!(text.contains(
            "autonomo_http_requests_total{method=\"GET\",route=\"/api/test-metrics/{id}\",status=\"4xx\"} 1"
        ));
        let bucket = |le: &str| {
            format!(
                "autonomo_http_request_duration_seconds_bucket{{method=\"GET\",route=\"/api/test-metrics/{{id}}\",le=\"{le}\"}}"
            )
        };
        assert!(text.contains(&format!("{} 0", bucket("0.0025"))));
        assert!(text.contains(&format!("{} 1", bucket("0.005"))));
        assert!(text.contains(&format!("{} 1", bucket("10"))));
        assert!(text.contains(&format!("{} 2", bucket("+Inf"))));
    }
}
