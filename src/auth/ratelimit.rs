//! Login attempt limits, per client IP and per account, kept in memory: a failed login
//! counts against both; too many failures in the window lock that key until it passes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account in [`WINDOW`] (a person mistyping, not a guesser).
pub const PER_ACCOUNT: u32 = 5;
/// Failures allowed per IP in [`WINDOW`] (a shared counter tablet may serve several people).
pub const PER_IP: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys kept at most; the oldest windows are dropped first so memory stays bounded.
const MAX_KEYS: usize = 10_000;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    /// `Err(seconds to wait)` when any of `keys` (with its limit) is locked right now.
    pub fn check(&self, keys: &[(&str, u32)]) -> Result<(), u64> {
        let now = Instant::now();
        let map = match self.failures.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let mut wait = 0u64;
        for (key, limit) in keys {
            if let Some((start, count)) = map.get(*key)
                && now.duration_since(*start) < WINDOW
                && *count >= *limit
            {
                let left = WINDOW.saturating_sub(now.duration_since(*start));
                wait = wait.max(left.as_secs().max(1));
            }
        }
        if wait == 0 { Ok(()) } else { Err(wait) }
    }

    /// Counts a failed attempt against every key.
    pub fn fail(&self, keys: &[&str]) {
        let now = Instant::now();
        let mut map = match self.failures.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if map.len() >= MAX_KEYS {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        for key in keys {
            let entry = map.entry((*key).to_string()).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    /// A successful login clears the account's counter (not the IP's).
    pub fn succeed(&self, account_key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(account_key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_and_success_clears_account() {
        let l = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT {
            assert!(l.check(&[("acct:a", PER_ACCOUNT)]).is_ok());
            l.fail(&["acct:a", "ip:1"]);
        }
        let wait = l.check(&[("acct:a", PER_ACCOUNT)]).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        assert!(
            l.check(&[("acct:b", PER_ACCOUNT), ("ip:1", PER_IP)])
                .is_ok()
        );
        l.succeed("acct:a");
        assert!(l.check(&[("acct:a", PER_ACCOUNT)]).is_ok());
    }
}
