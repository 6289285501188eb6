//! One typed configuration: defaults < `<data-dir>/autonomo.toml` < `AUTONOMO_*` env < CLI flags.
//!
//! Secrets may come from `AUTONOMO_<KEY>_FILE` so they never sit in the environment or shell
//! history. An invalid value is refused at start with a message that names the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
        let file: FileConfig =
            toml::from_str(&text).map_err(|e| invalid(CONFIG_FILE_NAME, e.message()))?;
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
        Ok(())
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
        Ok(())
    }
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
