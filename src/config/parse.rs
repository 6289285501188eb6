//! Parsers shared by every section; each error names the key it came from.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;

pub(super) fn invalid(key: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        reason: reason.to_string(),
    }
}

/// `"500ms"`, `"30s"`, `"5m"`, `"2h"`, `"7d"` or a bare number of seconds.
pub(super) fn parse_duration(key: &str, value: &str) -> Result<Duration, ConfigError> {
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

pub(super) fn parse_listen(key: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        invalid(
            key,
            format!("`{value}` is not an address like 127.0.0.1:8000"),
        )
    })
}

pub(super) fn parse_number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(key, format!("`{value}` is not a valid number")))
}

pub(super) fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(key, format!("`{value}` is not true or false"))),
    }
}
