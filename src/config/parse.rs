//! Parsers shared by every section; each error names the key it came from.

use std::net::SocketAddr;
use std::path::Path;
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

/// A secret from the file named by `KEY_FILE` (preferred: the secret never sits in the
/// environment or shell history) or else from `KEY`. The one rule for every secret the
/// program reads (SMTP URL, Telegram token, mirror URL, metrics token, S3 credentials).
/// Blank values count as unset; a named file that is missing or blank is an error naming
/// the variable, never a silent fallback.
pub fn secret(
    env: &impl Fn(&str) -> Option<String>,
    key: &str,
) -> Result<Option<String>, ConfigError> {
    let file_key = format!("{key}_FILE");
    let get = |k: &str| {
        env(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    match get(&file_key) {
        Some(path) => read_secret(&file_key, Path::new(&path)).map(Some),
        None => Ok(get(key)),
    }
}

/// [`secret`] from the process environment.
pub fn secret_from_env(key: &str) -> Result<Option<String>, ConfigError> {
    secret(&|k: &str| std::env::var(k).ok(), key)
}

/// The trimmed content of a secret file; `key` names the setting in the error.
pub fn read_secret(key: &str, path: &Path) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let value = text.trim().to_string();
    if value.is_empty() {
        return Err(invalid(key, format!("{} is empty", path.display())));
    }
    Ok(value)
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
