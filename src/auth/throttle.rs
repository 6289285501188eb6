//! Request rate limits per client IP and per API token (`[limits]` in autonomo.toml).
//!
//! GCRA limiters from `governor`, kept in memory: a client may spend a minute's allowance at
//! once, then gets `429` with `Retry-After` until the rate lets it in again. Not counted:
//! the WhatsApp webhook (Meta's bursts are signed and must never be refused), static files,
//! health probes, and requests from this machine itself without `X-Forwarded-For` (the
//! operator's tools; behind a local proxy the forwarded client is the one counted).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::config::LimitsConfig;
use crate::error::AppError;

/// How often (in requests) idle keys are dropped, so memory stays bounded.
const SWEEP_EVERY: u64 = 4096;

pub struct Throttle {
    per_ip: Option<DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Keyed by a hash of the token, so no token sits in this map in clear.
    per_token: Option<DefaultKeyedRateLimiter<[u8; 16]>>,
    seen: AtomicU64,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl Throttle {
    pub fn new(config: &LimitsConfig) -> Throttle {
        Throttle {
            per_ip: limiter(config.per_ip_per_minute),
            per_token: limiter(config.per_token_per_minute),
            seen: AtomicU64::new(0),
        }
    }

    /// `Err(seconds to wait)` when this request is over a limit.
    fn check(&self, ip: Option<std::net::IpAddr>, bearer: Option<&str>) -> Result<(), u64> {
        if self.seen.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        let clock = DefaultClock::default();
        if let (Some(l), Some(ip)) = (&self.per_ip, ip) {
            l.check_key(&ip)
                .map_err(|n| n.wait_time_from(clock.now()).as_secs().max(1))?;
        }
        if let (Some(l), Some(token)) = (&self.per_token, bearer) {
            let digest = Sha256::digest(token.as_bytes());
            let mut key = [0u8; 16];
            key.copy_from_slice(&digest[..16]);
            l.check_key(&key)
                .map_err(|n| n.wait_time_from(clock.now()).as_secs().max(1))?;
        }
        Ok(())
    }

    fn sweep(&self) {
        if let Some(l) = &self.per_ip {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_token {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Paths never counted (see the module comment).
fn exempt(path: &str) -> bool {
    path.starts_with("/api/webhooks/") || path.starts_with("/static/") || path == "/healthz"
}

/// The IP counted for this request: none for this machine's own direct requests.
fn counted_ip(req: &Request) -> Option<std::net::IpAddr> {
    let ip = super::sessions::client_ip(req.headers(), req.extensions())?;
    let direct_local = ip.is_loopback() && !req.headers().contains_key("x-forwarded-for");
    (!direct_local).then_some(ip)
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if exempt(req.uri().path()) {
        return next.run(req).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    match state.throttle.check(counted_ip(&req), bearer.as_deref()) {
        Ok(()) => next.run(req).await,
        Err(retry_after_secs) => AppError::RateLimited { retry_after_secs }.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_over_its_minute_waits_and_other_tokens_do_not() {
        let t = Throttle::new(&LimitsConfig {
            per_ip_per_minute: 0,
            per_token_per_minute: 3,
        });
        for _ in 0..3 {
            assert!(t.check(None, Some("atk_a")).is_ok());
        }
        let wait = t.check(None, Some("atk_a")).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(t.check(None, Some("atk_b")).is_ok());
        assert!(
            t.check(None, None).is_ok(),
            "no token, no IP: nothing to count"
        );
    }

    #[test]
    fn an_ip_over_its_minute_waits_and_zero_means_no_limit() {
        let t = Throttle::new(&LimitsConfig {
            per_ip_per_minute: 2,
            per_token_per_minute: 0,
        });
        let a: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        let b: std::net::IpAddr = "203.0.113.10".parse().unwrap();
        assert!(t.check(Some(a), Some("x")).is_ok());
        assert!(t.check(Some(a), Some("x")).is_ok());
        assert!(t.check(Some(a), Some("x")).is_err());
        assert!(t.check(Some(b), Some("x")).is_ok());
        for _ in 0..100 {
            assert!(t.check(None, Some("x")).is_ok(), "tokens unlimited here");
        }
    }
}
