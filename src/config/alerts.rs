//! `[alerts]`: when system alerts (see `crate::alerts`) are raised.

use serde::Deserialize;

use super::ConfigError;
use super::parse::{invalid, parse_number};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Seconds between checks.
    pub interval_secs: u64,
    /// Free space on the data directory's disk below this many MiB raises an alert.
    pub disk_min_free_mb: u64,
    /// An outgoing message still waiting after this many minutes means delivery is stuck.
    pub outbox_stuck_minutes: u64,
    /// This many badly signed webhook requests within one check interval raise an alert
    /// (`0`: never).
    pub signature_failures: u64,
    /// An alert that lasts is repeated this often.
    pub repeat_hours: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            interval_secs: 60,
            disk_min_free_mb: 1024,
            outbox_stuck_minutes: 15,
            signature_failures: 10,
            repeat_hours: 6,
        }
    }
}

impl AlertsConfig {
    pub(super) fn apply_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        for (key, slot) in [
            ("AUTONOMO_ALERTS_INTERVAL_SECS", &mut self.interval_secs),
            (
                "AUTONOMO_ALERTS_DISK_MIN_FREE_MB",
                &mut self.disk_min_free_mb,
            ),
            (
                "AUTONOMO_ALERTS_OUTBOX_STUCK_MINUTES",
                &mut self.outbox_stuck_minutes,
            ),
            (
                "AUTONOMO_ALERTS_SIGNATURE_FAILURES",
                &mut self.signature_failures,
            ),
            ("AUTONOMO_ALERTS_REPEAT_HOURS", &mut self.repeat_hours),
        ] {
            if let Some(v) = env(key) {
                *slot = parse_number(key, &v)?;
            }
        }
        Ok(())
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.interval_secs == 0 {
            return Err(invalid("alerts.interval_secs", "must be at least 1"));
        }
        if self.repeat_hours == 0 {
            return Err(invalid("alerts.repeat_hours", "must be at least 1"));
        }
        Ok(())
    }
}
