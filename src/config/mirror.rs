//! `[mirror]`: the continuous copy into PostgreSQL (docs/mirror.md).

use serde::Deserialize;

/// `[mirror]`: where and how this appliance copies its brands into Postgres.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MirrorConfig {
    /// `postgres://…`; none: no continuous mirror. Env `AUTONOMO_MIRROR_POSTGRES_URL[_FILE]`.
    pub postgres_url: Option<String>,
    /// This appliance's id in a shared database (default: the host name, else `principal`).
    pub site: String,
    /// Copy phone, e-mail, address, notes and message bodies instead of keyed hashes.
    pub include_personal_data: bool,
    /// Pause between passes of the continuous sync, in ms.
    pub interval_ms: u64,
    /// `/healthz` reports the mirror as lagging past this many seconds.
    pub alert_lag_secs: u64,
}

impl Default for MirrorConfig {
    fn default() -> Self {
        MirrorConfig {
            postgres_url: None,
            site: default_site(),
            include_personal_data: false,
            interval_ms: 1000,
            alert_lag_secs: 300,
        }
    }
}

/// The host name made into a site id, or `principal`.
fn default_site() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let site: String = host
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(63)
        .collect();
    let site = site.trim_matches('-');
    if site.is_empty() {
        "principal".into()
    } else {
        site.to_string()
    }
}
