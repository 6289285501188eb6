//! One typed configuration: defaults < `<data-dir>/autonomo.toml` < `AUTONOMO_*` env < CLI flags.
//!
//! Secrets may come from `AUTONOMO_<KEY>_FILE` so they never sit in the environment or shell
//! history. An invalid value is refused at start with a message that names the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod alerts;
mod backup;
mod limits;
mod mirror;
mod notify;
mod parse;
#[cfg(test)]
mod tests;

pub use alerts::AlertsConfig;
pub use backup::BackupConfig;
use backup::BackupFile;
pub use limits::LimitsConfig;
pub use mirror::MirrorConfig;
pub use notify::{EmailConfig, NotifyConfig, TelegramConfig};
use notify::{EmailFile, TelegramFile};
pub use parse::secret_from_env;
use parse::{invalid, parse_bool, parse_listen, parse_number};

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
    /// A brand no request has used for this many seconds is closed (reopened on its next
    /// request); 0 keeps brands open once opened.
    pub brand_idle_close_secs: u64,
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
    /// `[limits]`: request rates per client IP and per API token.
    pub limits: LimitsConfig,
    /// `[email]` and `[telegram]`: where reports and staff alerts go out from.
    pub notify: NotifyConfig,
    /// `[alerts]`: thresholds of the system alerts sent to the report recipients.
    pub alerts: AlertsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            data_dir: PathBuf::from("data"),
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            readers_per_db: 4,
            brand_idle_close_secs: 300,
            log_json: false,
            whatsapp_api_base: "https://graph.facebook.com".into(),
            whatsapp_pair_interval_ms: 6000,
            backup: BackupConfig::default(),
            mirror: MirrorConfig::default(),
            metrics_token: None,
            limits: LimitsConfig::default(),
            notify: NotifyConfig::default(),
            alerts: AlertsConfig::default(),
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
    brand_idle_close_secs: Option<u64>,
    log_json: Option<bool>,
    backup: Option<BackupFile>,
    mirror: Option<MirrorConfig>,
    metrics_token: Option<String>,
    limits: Option<LimitsConfig>,
    alerts: Option<AlertsConfig>,
    email: Option<EmailFile>,
    telegram: Option<TelegramFile>,
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
        if let Some(v) = file.brand_idle_close_secs {
            self.brand_idle_close_secs = v;
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
        if let Some(v) = file.limits {
            self.limits = v;
        }
        if let Some(v) = file.alerts {
            self.alerts = v;
        }
        self.notify.apply_file(file.email, file.telegram)?;
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
        if let Some(v) = env("AUTONOMO_BRAND_IDLE_CLOSE_SECS") {
            self.brand_idle_close_secs = parse_number("AUTONOMO_BRAND_IDLE_CLOSE_SECS", &v)?;
        }
        if let Some(v) = env("AUTONOMO_LOG_JSON") {
            self.log_json = parse_bool("AUTONOMO_LOG_JSON", &v)?;
        }
        if let Some(url) = parse::secret(env, "AUTONOMO_MIRROR_POSTGRES_URL")? {
            self.mirror.postgres_url = Some(url);
        }
        if let Some(token) = parse::secret(env, "AUTONOMO_METRICS_TOKEN")? {
            self.metrics_token = Some(token);
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
        self.limits.apply_env(env)?;
        self.alerts.apply_env(env)?;
        self.notify.apply_env(env)?;
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
        self.notify.validate()?;
        self.alerts.validate()?;
        self.backup.validate()
    }
}
