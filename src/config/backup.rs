//! `[backup]`: S3 replication and local copies, from the file and `AUTONOMO_BACKUP_*`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::parse::{invalid, parse_bool, parse_duration, parse_number};

/// `[backup]` in autonomo.toml / `AUTONOMO_BACKUP_*`. S3 replication is on when `bucket` is
/// set; credentials come from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (or `*_FILE`) and
/// are read when the backup starts, never stored here.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupConfig {
    /// e.g. `http://127.0.0.1:9000` (MinIO) or `https://<account>.r2.cloudflarestorage.com`;
    /// `None` = AWS S3 in `region`.
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    /// Key prefix of this installation; brands go to `<prefix>/tenants/<slug>`.
    pub prefix: String,
    pub region: String,
    /// Path-style URLs; `None` = on when an endpoint is given (what self-hosted stores need).
    pub path_style: Option<bool>,
    /// How often changes are uploaded (changes are captured every second regardless).
    pub interval: Duration,
    /// How long old backups are kept before deletion.
    pub retention: Duration,
    /// How often a full snapshot starts a new chain (bounds restore time).
    pub snapshot_interval: Duration,
    /// Bound of the local upload queue; beyond it a fresh snapshot replaces the queue.
    pub max_spool_bytes: u64,
    /// `/healthz` turns 503 when changes wait longer than this to reach S3.
    pub lag_alert_secs: u64,
    /// Scheduled local compressed copies go here (off when `None`).
    pub local_dir: Option<PathBuf>,
    pub local_keep: usize,
    pub local_interval: Duration,
    /// How often the server restores every database from S3 and checks it.
    pub verify_interval: Duration,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            endpoint: None,
            bucket: None,
            prefix: String::new(),
            region: "us-east-1".into(),
            path_style: None,
            interval: Duration::from_secs(1),
            retention: Duration::from_secs(7 * 24 * 3600),
            snapshot_interval: Duration::from_secs(24 * 3600),
            max_spool_bytes: 1 << 30,
            lag_alert_secs: 300,
            local_dir: None,
            local_keep: 7,
            local_interval: Duration::from_secs(24 * 3600),
            verify_interval: Duration::from_secs(24 * 3600),
        }
    }
}

impl BackupConfig {
    /// S3 replication is configured.
    pub fn s3_enabled(&self) -> bool {
        self.bucket.is_some()
    }

    pub fn path_style(&self) -> bool {
        self.path_style.unwrap_or(self.endpoint.is_some())
    }
}

/// `[backup]` as written in the file; durations are `"90s"`, `"5m"`, `"7d"` or seconds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BackupFile {
    endpoint: Option<String>,
    bucket: Option<String>,
    prefix: Option<String>,
    region: Option<String>,
    path_style: Option<bool>,
    interval: Option<toml::Value>,
    retention: Option<toml::Value>,
    snapshot_interval: Option<toml::Value>,
    max_spool_bytes: Option<u64>,
    lag_alert_secs: Option<u64>,
    local_dir: Option<PathBuf>,
    local_keep: Option<usize>,
    local_interval: Option<toml::Value>,
    verify_interval: Option<toml::Value>,
}

impl BackupConfig {
    pub(super) fn apply_file(&mut self, f: BackupFile) -> Result<(), ConfigError> {
        let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(v) = text(f.endpoint) {
            self.endpoint = Some(v);
        }
        if let Some(v) = text(f.bucket) {
            self.bucket = Some(v);
        }
        if let Some(v) = f.prefix {
            self.prefix = v.trim().trim_matches('/').to_string();
        }
        if let Some(v) = text(f.region) {
            self.region = v;
        }
        if let Some(v) = f.path_style {
            self.path_style = Some(v);
        }
        let durations = [
            ("backup.interval", f.interval, &mut self.interval),
            ("backup.retention", f.retention, &mut self.retention),
            (
                "backup.snapshot_interval",
                f.snapshot_interval,
                &mut self.snapshot_interval,
            ),
            (
                "backup.local_interval",
                f.local_interval,
                &mut self.local_interval,
            ),
            (
                "backup.verify_interval",
                f.verify_interval,
                &mut self.verify_interval,
            ),
        ];
        for (key, value, slot) in durations {
            match value {
                None => {}
                Some(toml::Value::Integer(n)) if n > 0 => *slot = Duration::from_secs(n as u64),
                Some(toml::Value::String(s)) => *slot = parse_duration(key, &s)?,
                Some(other) => {
                    return Err(invalid(
                        key,
                        format!("`{other}` is not a duration like \"30s\""),
                    ));
                }
            }
        }
        if let Some(v) = f.max_spool_bytes {
            self.max_spool_bytes = v;
        }
        if let Some(v) = f.lag_alert_secs {
            self.lag_alert_secs = v;
        }
        if let Some(v) = f.local_dir {
            self.local_dir = Some(v);
        }
        if let Some(v) = f.local_keep {
            self.local_keep = v;
        }
        Ok(())
    }

    pub(super) fn apply_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let get = |k: &str| {
            env(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = get("AUTONOMO_BACKUP_S3_ENDPOINT") {
            self.endpoint = Some(v);
        }
        if let Some(v) = get("AUTONOMO_BACKUP_S3_BUCKET") {
            self.bucket = Some(v);
        }
        if let Some(v) = env("AUTONOMO_BACKUP_S3_PREFIX") {
            self.prefix = v.trim().trim_matches('/').to_string();
        }
        if let Some(v) = get("AUTONOMO_BACKUP_S3_REGION") {
            self.region = v;
        }
        if let Some(v) = get("AUTONOMO_BACKUP_S3_PATH_STYLE") {
            self.path_style = Some(parse_bool("AUTONOMO_BACKUP_S3_PATH_STYLE", &v)?);
        }
        let durations = [
            ("AUTONOMO_BACKUP_INTERVAL", &mut self.interval),
            ("AUTONOMO_BACKUP_RETENTION", &mut self.retention),
            (
                "AUTONOMO_BACKUP_SNAPSHOT_INTERVAL",
                &mut self.snapshot_interval,
            ),
            ("AUTONOMO_BACKUP_LOCAL_INTERVAL", &mut self.local_interval),
            ("AUTONOMO_BACKUP_VERIFY_INTERVAL", &mut self.verify_interval),
        ];
        for (key, slot) in durations {
            if let Some(v) = get(key) {
                *slot = parse_duration(key, &v)?;
            }
        }
        if let Some(v) = get("AUTONOMO_BACKUP_MAX_SPOOL_BYTES") {
            self.max_spool_bytes = parse_number("AUTONOMO_BACKUP_MAX_SPOOL_BYTES", &v)?;
        }
        if let Some(v) = get("AUTONOMO_BACKUP_LAG_ALERT_SECS") {
            self.lag_alert_secs = parse_number("AUTONOMO_BACKUP_LAG_ALERT_SECS", &v)?;
        }
        if let Some(v) = get("AUTONOMO_BACKUP_LOCAL_DIR") {
            self.local_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("AUTONOMO_BACKUP_LOCAL_KEEP") {
            self.local_keep = parse_number("AUTONOMO_BACKUP_LOCAL_KEEP", &v)?;
        }
        Ok(())
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(e) = &self.endpoint {
            let rest = e
                .strip_prefix("http://")
                .or_else(|| e.strip_prefix("https://"));
            if rest.is_none_or(|r| {
                r.trim_end_matches('/').is_empty() || r.contains(char::is_whitespace)
            }) {
                return Err(invalid(
                    "backup.endpoint",
                    format!("`{e}` is not a URL like https://s3.example.com"),
                ));
            }
            if self.bucket.is_none() {
                return Err(invalid("backup.bucket", "an endpoint is set but no bucket"));
            }
        }
        if let Some(b) = &self.bucket {
            let ok = (3..=63).contains(&b.len())
                && b.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
                && !b.starts_with(['-', '.']);
            if !ok {
                return Err(invalid(
                    "backup.bucket",
                    format!("`{b}` is not an S3 bucket name (3-63 of a-z 0-9 . -)"),
                ));
            }
        }
        if self.prefix.split('/').any(|p| p == "." || p == "..") || self.prefix.contains("//") {
            return Err(invalid(
                "backup.prefix",
                "must not contain `.`, `..` or empty segments",
            ));
        }
        if self.region.is_empty()
            || !self
                .region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(invalid(
                "backup.region",
                format!("`{}` is not a region like us-east-1", self.region),
            ));
        }
        let within = |key: &str, d: Duration, min: u64, max: u64| {
            if d < Duration::from_secs(min) || d > Duration::from_secs(max) {
                Err(invalid(key, format!("must be between {min} s and {max} s")))
            } else {
                Ok(())
            }
        };
        const DAY: u64 = 24 * 3600;
        within("backup.interval", self.interval, 1, 3600)?;
        within("backup.retention", self.retention, 3600, 3650 * DAY)?;
        within(
            "backup.snapshot_interval",
            self.snapshot_interval,
            60,
            365 * DAY,
        )?;
        within("backup.local_interval", self.local_interval, 60, 365 * DAY)?;
        within(
            "backup.verify_interval",
            self.verify_interval,
            60,
            365 * DAY,
        )?;
        if self.max_spool_bytes < 1 << 20 {
            return Err(invalid(
                "backup.max_spool_bytes",
                "must be at least 1048576 (1 MiB)",
            ));
        }
        if self.lag_alert_secs == 0 {
            return Err(invalid("backup.lag_alert_secs", "must be at least 1"));
        }
        if self.local_keep == 0 {
            return Err(invalid("backup.local_keep", "must be at least 1"));
        }
        Ok(())
    }
}
