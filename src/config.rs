//! One typed configuration: defaults < `<data-dir>/autonomo.toml` < `AUTONOMO_*` env < CLI flags.
//!
//! Secrets may come from `AUTONOMO_<KEY>_FILE` so they never sit in the environment or shell
//! history. An invalid value is refused at start with a message that names the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Where the configuration file lives inside the data directory.
pub const CONFIG_FILE_NAME: &str = "autonomo.toml";

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Largest accepted request body, in bytes (1 MiB by default).
    pub max_body_bytes: usize,
    /// Seconds a request may take before it is answered with 503.
    pub request_timeout_secs: u64,
    /// Read connections per brand database.
    pub readers_per_db: usize,
    /// Emit logs as JSON lines instead of human-readable text.
    pub log_json: bool,
    /// WhatsApp Graph API base URL (tests point it at a local fake).
    pub whatsapp_api_base: String,
    /// Minimum gap between two messages to the same WhatsApp user (Meta's pair limit: 6 s).
    pub whatsapp_pair_interval_ms: u64,
    /// `[backup]`: continuous S3 replication and local copies.
    pub backup: BackupConfig,
    /// The Postgres mirror (`[mirror]`, see docs/mirror.md).
    pub mirror: MirrorConfig,
    /// Bearer token that `GET /metrics` requires; without one the endpoint is disabled.
    pub metrics_token: Option<String>,
}

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

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            data_dir: PathBuf::from("data"),
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            readers_per_db: 4,
            log_json: false,
            whatsapp_api_base: "https://graph.facebook.com".into(),
            whatsapp_pair_interval_ms: 6000,
            backup: BackupConfig::default(),
            mirror: MirrorConfig::default(),
            metrics_token: None,
        }
    }
}

/// The subset of keys accepted in `autonomo.toml`; unknown keys are an error so typos show.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    max_body_bytes: Option<usize>,
    request_timeout_secs: Option<u64>,
    readers_per_db: Option<usize>,
    log_json: Option<bool>,
    backup: Option<BackupFile>,
    mirror: Option<MirrorConfig>,
    metrics_token: Option<String>,
}

/// `[backup]` as written in the file; durations are `"90s"`, `"5m"`, `"7d"` or seconds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupFile {
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

/// Values given on the command line; they win over everything else.
#[derive(Debug, Default, Clone)]
pub struct CliOverrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuración inválida / invalid configuration: `{key}`: {reason}")]
    Invalid { key: String, reason: String },
    #[error("no se pudo leer / cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn invalid(key: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        reason: reason.to_string(),
    }
}

impl Config {
    /// Loads the configuration from the real process environment.
    pub fn load(cli: &CliOverrides) -> Result<Config, ConfigError> {
        Self::load_from(cli, |key| std::env::var(key).ok())
    }

    /// Loads with an injectable environment, so tests need not mutate the process's.
    pub fn load_from(
        cli: &CliOverrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        // The data dir decides where autonomo.toml is, so it is resolved first.
        if let Some(dir) = env("AUTONOMO_DATA_DIR") {
            config.data_dir = PathBuf::from(dir);
        }
        if let Some(dir) = &cli.data_dir {
            config.data_dir = dir.clone();
        }
        config.apply_file(&config.data_dir.join(CONFIG_FILE_NAME))?;
        config.apply_env(&env)?;
        if let Some(listen) = &cli.listen {
            config.listen = parse_listen("--listen", listen)?;
        }
        config.validate()?;
        Ok(config)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(ConfigError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let file: FileConfig = toml::from_str(&text).map_err(|e| {
            // toml's message lacks the key; the key is what starts the offending line.
            let line = e.span().and_then(|s| text.get(..s.end)?.lines().last());
            let key = line.and_then(|l| l.split_once('=')).map(|(k, _)| k.trim());
            match key.filter(|k| !k.is_empty()) {
                Some(key) => invalid(&format!("{CONFIG_FILE_NAME}: {key}"), e.message()),
                None => invalid(CONFIG_FILE_NAME, e.message()),
            }
        })?;
        if let Some(listen) = file.listen {
            self.listen = parse_listen("listen", &listen)?;
        }
        if let Some(v) = file.max_body_bytes {
            self.max_body_bytes = v;
        }
        if let Some(v) = file.request_timeout_secs {
            self.request_timeout_secs = v;
        }
        if let Some(v) = file.readers_per_db {
            self.readers_per_db = v;
        }
        if let Some(v) = file.log_json {
            self.log_json = v;
        }
        if let Some(b) = file.backup {
            self.backup.apply_file(b)?;
        }
        if let Some(v) = file.mirror {
            self.mirror = v;
        }
        if let Some(v) = file.metrics_token {
            self.metrics_token = Some(v);
        }
        Ok(())
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = env("AUTONOMO_LISTEN") {
            self.listen = parse_listen("AUTONOMO_LISTEN", &v)?;
        }
        if let Some(v) = env("AUTONOMO_MAX_BODY_BYTES") {
            self.max_body_bytes = parse_number("AUTONOMO_MAX_BODY_BYTES", &v)?;
        }
        if let Some(v) = env("AUTONOMO_REQUEST_TIMEOUT_SECS") {
            self.request_timeout_secs = parse_number("AUTONOMO_REQUEST_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = env("AUTONOMO_READERS_PER_DB") {
            self.readers_per_db = parse_number("AUTONOMO_READERS_PER_DB", &v)?;
        }
        if let Some(v) = env("AUTONOMO_LOG_JSON") {
            self.log_json = parse_bool("AUTONOMO_LOG_JSON", &v)?;
        }
        if let Some(path) = env("AUTONOMO_MIRROR_POSTGRES_URL_FILE") {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                path: PathBuf::from(&path),
                source,
            })?;
            self.mirror.postgres_url = Some(text.trim().to_string());
        } else if let Some(v) = env("AUTONOMO_MIRROR_POSTGRES_URL") {
            self.mirror.postgres_url = Some(v);
        }
        if let Some(path) = env("AUTONOMO_METRICS_TOKEN_FILE") {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                path: PathBuf::from(&path),
                source,
            })?;
            self.metrics_token = Some(text.trim().to_string());
        } else if let Some(v) = env("AUTONOMO_METRICS_TOKEN") {
            self.metrics_token = Some(v);
        }
        if let Some(v) = env("AUTONOMO_MIRROR_SITE") {
            self.mirror.site = v;
        }
        if let Some(v) = env("AUTONOMO_MIRROR_INCLUDE_PERSONAL_DATA") {
            self.mirror.include_personal_data =
                parse_bool("AUTONOMO_MIRROR_INCLUDE_PERSONAL_DATA", &v)?;
        }
        if let Some(v) = env("AUTONOMO_MIRROR_INTERVAL_MS") {
            self.mirror.interval_ms = parse_number("AUTONOMO_MIRROR_INTERVAL_MS", &v)?;
        }
        if let Some(v) = env("AUTONOMO_WHATSAPP_API_BASE") {
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                return Err(invalid(
                    "AUTONOMO_WHATSAPP_API_BASE",
                    "must start with http:// or https://",
                ));
            }
            self.whatsapp_api_base = v;
        }
        if let Some(v) = env("AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS") {
            self.whatsapp_pair_interval_ms =
                parse_number("AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS", &v)?;
        }
        self.backup.apply_env(env)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.max_body_bytes < 1024 {
            return Err(invalid("max_body_bytes", "must be at least 1024"));
        }
        if !(1..=64).contains(&self.readers_per_db) {
            return Err(invalid("readers_per_db", "must be between 1 and 64"));
        }
        if self.request_timeout_secs == 0 {
            return Err(invalid("request_timeout_secs", "must be at least 1"));
        }
        let site = &self.mirror.site;
        if site.is_empty()
            || site.len() > 63
            || !site
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(
                "mirror.site",
                "1-63 lowercase letters, digits or hyphens",
            ));
        }
        if self.mirror.interval_ms < 100 {
            return Err(invalid("mirror.interval_ms", "must be at least 100"));
        }
        self.backup.validate()
    }
}

impl BackupConfig {
    fn apply_file(&mut self, f: BackupFile) -> Result<(), ConfigError> {
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

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
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

    fn validate(&self) -> Result<(), ConfigError> {
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

/// `"500ms"`, `"30s"`, `"5m"`, `"2h"`, `"7d"` or a bare number of seconds.
fn parse_duration(key: &str, value: &str) -> Result<Duration, ConfigError> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let bad = || {
        invalid(
            key,
            format!("`{value}` is not a duration like 30s, 5m, 2h or 7d"),
        )
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => None,
    };
    ms.map(Duration::from_millis).ok_or_else(bad)
}

/// Reads a secret from `KEY` or, preferably, from the file named by `KEY_FILE`.
pub fn secret_from_env(key: &str) -> Result<Option<String>, ConfigError> {
    let file_key = format!("{key}_FILE");
    if let Ok(path) = std::env::var(&file_key) {
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: PathBuf::from(&path),
            source,
        })?;
        return Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()));
    }
    Ok(std::env::var(key).ok())
}

fn parse_listen(key: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        invalid(
            key,
            format!("`{value}` is not an address like 127.0.0.1:8000"),
        )
    })
}

fn parse_number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(key, format!("`{value}` is not a valid number")))
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(key, format!("`{value}` is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn layers_apply_in_order_defaults_file_env_cli() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "listen = \"127.0.0.1:9001\"\nmax_body_bytes = 4096\nreaders_per_db = 2\n",
        )
        .unwrap();
        let cli = CliOverrides {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let c = Config::load_from(&cli, env_of(&[("AUTONOMO_MAX_BODY_BYTES", "8192")])).unwrap();
        assert_eq!(c.listen.port(), 9001, "file beats default");
        assert_eq!(c.max_body_bytes, 8192, "env beats file");
        assert_eq!(c.readers_per_db, 2);
        let cli = CliOverrides {
            listen: Some("127.0.0.1:9002".into()),
            data_dir: Some(dir.path().to_path_buf()),
        };
        let c = Config::load_from(&cli, env_of(&[("AUTONOMO_LISTEN", "127.0.0.1:9003")])).unwrap();
        assert_eq!(c.listen.port(), 9002, "cli beats env");
    }

    #[test]
    fn invalid_values_name_the_key() {
        let cli = CliOverrides {
            data_dir: Some(tempfile::tempdir().unwrap().path().to_path_buf()),
            ..Default::default()
        };
        let err = Config::load_from(&cli, env_of(&[("AUTONOMO_LISTEN", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("AUTONOMO_LISTEN"), "{err}");
        let err = Config::load_from(&cli, env_of(&[("AUTONOMO_READERS_PER_DB", "0")])).unwrap_err();
        assert!(err.to_string().contains("readers_per_db"), "{err}");
    }

    #[test]
    fn backup_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "[backup]\nbucket = \"crm-backups\"\nprefix = \"/casa/\"\ninterval = \"5s\"\nretention = \"30d\"\nlag_alert_secs = 60\n",
        )
        .unwrap();
        let cli = CliOverrides {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let c = Config::load_from(&cli, env_of(&[])).unwrap();
        let b = &c.backup;
        assert_eq!(b.bucket.as_deref(), Some("crm-backups"));
        assert_eq!(b.prefix, "casa");
        assert_eq!(b.interval, Duration::from_secs(5));
        assert_eq!(b.retention, Duration::from_secs(30 * 86400));
        assert!(!b.path_style(), "AWS: virtual-host style");
        let c = Config::load_from(
            &cli,
            env_of(&[
                ("AUTONOMO_BACKUP_S3_ENDPOINT", "http://127.0.0.1:9000"),
                ("AUTONOMO_BACKUP_S3_BUCKET", "other"),
                ("AUTONOMO_BACKUP_INTERVAL", "2"),
            ]),
        )
        .unwrap();
        assert_eq!(c.backup.bucket.as_deref(), Some("other"), "env beats file");
        assert_eq!(c.backup.interval, Duration::from_secs(2));
        assert!(c.backup.path_style(), "an endpoint implies path style");
        assert!(!Config::default().backup.s3_enabled());
    }

    #[test]
    fn invalid_backup_values_name_the_key() {
        let cli = CliOverrides {
            data_dir: Some(tempfile::tempdir().unwrap().path().to_path_buf()),
            ..Default::default()
        };
        for (k, v, named) in [
            (
                "AUTONOMO_BACKUP_INTERVAL",
                "soon",
                "AUTONOMO_BACKUP_INTERVAL",
            ),
            ("AUTONOMO_BACKUP_INTERVAL", "0s", "backup.interval"),
            ("AUTONOMO_BACKUP_S3_BUCKET", "Bad_Bucket", "backup.bucket"),
            (
                "AUTONOMO_BACKUP_S3_PATH_STYLE",
                "maybe",
                "AUTONOMO_BACKUP_S3_PATH_STYLE",
            ),
            (
                "AUTONOMO_BACKUP_S3_ENDPOINT",
                "127.0.0.1:9000",
                "backup.endpoint",
            ),
            ("AUTONOMO_BACKUP_LOCAL_KEEP", "0", "backup.local_keep"),
            ("AUTONOMO_BACKUP_RETENTION", "10m", "backup.retention"),
        ] {
            let err = Config::load_from(&cli, env_of(&[(k, v)])).unwrap_err();
            assert!(err.to_string().contains(named), "{k}={v}: {err}");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "[backup]\nbuckett = \"x\"\n",
        )
        .unwrap();
        let cli = CliOverrides {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let err = Config::load_from(&cli, env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("buckett"), "{err}");
    }

    #[test]
    fn mirror_section_and_env() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "[mirror]\npostgres_url = \"postgres://a@h/db\"\nsite = \"lima-1\"\n",
        )
        .unwrap();
        let cli = CliOverrides {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let c = Config::load_from(&cli, env_of(&[])).unwrap();
        assert_eq!(c.mirror.postgres_url.as_deref(), Some("postgres://a@h/db"));
        assert_eq!(c.mirror.site, "lima-1");
        assert!(!c.mirror.include_personal_data);
        let env = env_of(&[
            ("AUTONOMO_MIRROR_POSTGRES_URL", "postgres://b@h/db"),
            ("AUTONOMO_MIRROR_INCLUDE_PERSONAL_DATA", "true"),
        ]);
        let c = Config::load_from(&cli, env).unwrap();
        assert_eq!(c.mirror.postgres_url.as_deref(), Some("postgres://b@h/db"));
        assert!(c.mirror.include_personal_data);
        let err =
            Config::load_from(&cli, env_of(&[("AUTONOMO_MIRROR_SITE", "Lima 1")])).unwrap_err();
        assert!(err.to_string().contains("mirror.site"), "{err}");
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "lisen = \"x\"\n").unwrap();
        let cli = CliOverrides {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let err = Config::load_from(&cli, env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
    }
}
