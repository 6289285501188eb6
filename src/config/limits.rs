//! `[limits]`: how many requests a minute one client may make before it gets `429`.

use serde::Deserialize;

use super::ConfigError;
use super::parse::parse_number;

/// Request rates, in requests a minute (a full minute's worth may come at once, then the
/// rate applies). `0` turns a limit off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Per client IP. Requests from this machine itself (loopback) without
    /// `X-Forwarded-For` are not counted: they are the operator's own tools; behind a local
    /// proxy the forwarded address is the one counted.
    pub per_ip_per_minute: u32,
    /// Per API token, wherever it comes from.
    pub per_token_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        // A busy counter tablet makes a few requests a second; an integration a few dozen.
        LimitsConfig {
            per_ip_per_minute: 1200,
            per_token_per_minute: 6000,
        }
    }
}

impl LimitsConfig {
    pub(super) fn apply_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        for (key, slot) in [
            (
                "AUTONOMO_LIMITS_PER_IP_PER_MINUTE",
                &mut self.per_ip_per_minute,
            ),
            (
                "AUTONOMO_LIMITS_PER_TOKEN_PER_MINUTE",
                &mut self.per_token_per_minute,
            ),
        ] {
            if let Some(v) = env(key) {
                *slot = parse_number(key, &v)?;
            }
        }
        Ok(())
    }
}
