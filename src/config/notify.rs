//! `[email]` and `[telegram]`: the channels reports and staff alerts go out through.
//!
//! Secrets (the SMTP URL may carry a password; the bot token is one) are best given as
//! files: `smtp_url_file` / `AUTONOMO_SMTP_URL_FILE`, `bot_token_file` /
//! `AUTONOMO_TELEGRAM_BOT_TOKEN_FILE`. `Debug` never prints them.

use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;
use super::parse::{invalid, read_secret, secret};

const DEFAULT_FROM: &str = "Autónomo <autonomo@localhost>";

#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    pub email: Option<EmailConfig>,
    pub telegram: Option<TelegramConfig>,
}

#[derive(Clone, PartialEq)]
pub struct EmailConfig {
    /// `smtp://user:pass@host:587` (STARTTLS), `smtps://…` (TLS) or `smtp+plain://…`.
    pub smtp_url: String,
    /// The `From:` mailbox, e.g. `Autónomo <crm@negocio.pe>`.
    pub from: String,
}

#[derive(Clone, PartialEq)]
pub struct TelegramConfig {
    pub bot_token: String,
    /// Telegram's API address (tests point it at a local fake).
    pub api_base: String,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("smtp_url", &"<secreto>")
            .field("from", &self.from)
            .finish()
    }
}

impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("bot_token", &"<secreto>")
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// `[email]` as written in autonomo.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EmailFile {
    smtp_url: Option<String>,
    smtp_url_file: Option<PathBuf>,
    from: Option<String>,
}

/// `[telegram]` as written in autonomo.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TelegramFile {
    bot_token: Option<String>,
    bot_token_file: Option<PathBuf>,
    api_base: Option<String>,
}

/// Either layer may set any field; a later layer's value wins field by field.
#[derive(Default)]
struct Pending {
    smtp_url: Option<String>,
    from: Option<String>,
    bot_token: Option<String>,
    api_base: Option<String>,
}

impl NotifyConfig {
    pub(super) fn apply_file(
        &mut self,
        email: Option<EmailFile>,
        telegram: Option<TelegramFile>,
    ) -> Result<(), ConfigError> {
        let mut p = Pending::default();
        if let Some(e) = email {
            p.smtp_url = match (e.smtp_url_file, e.smtp_url) {
                (Some(path), _) => Some(read_secret("email.smtp_url_file", &path)?),
                (None, url) => url,
            };
            p.from = e.from;
        }
        if let Some(t) = telegram {
            p.bot_token = match (t.bot_token_file, t.bot_token) {
                (Some(path), _) => Some(read_secret("telegram.bot_token_file", &path)?),
                (None, token) => token,
            };
            p.api_base = t.api_base;
        }
        self.merge(p);
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
        self.merge(Pending {
            smtp_url: secret(&env, "AUTONOMO_SMTP_URL")?,
            from: get("AUTONOMO_SMTP_FROM"),
            bot_token: secret(&env, "AUTONOMO_TELEGRAM_BOT_TOKEN")?,
            api_base: get("AUTONOMO_TELEGRAM_API_BASE"),
        });
        Ok(())
    }

    fn merge(&mut self, p: Pending) {
        if let Some(smtp_url) = p.smtp_url {
            let from = self.email.take().map(|e| e.from);
            self.email = Some(EmailConfig {
                smtp_url,
                from: from.unwrap_or_else(|| DEFAULT_FROM.into()),
            });
        }
        if let (Some(from), Some(email)) = (p.from, self.email.as_mut()) {
            email.from = from;
        }
        if let Some(bot_token) = p.bot_token {
            let base = self.telegram.take().map(|t| t.api_base);
            self.telegram = Some(TelegramConfig {
                bot_token,
                api_base: base.unwrap_or_else(|| crate::telegram::DEFAULT_API_BASE.into()),
            });
        }
        if let (Some(base), Some(t)) = (p.api_base, self.telegram.as_mut()) {
            t.api_base = base;
        }
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(e) = &self.email {
            let settings = crate::email::SmtpSettings::parse(&e.smtp_url)
                .map_err(|err| invalid("email.smtp_url", err))?;
            crate::email::Mailer::new(&settings, &e.from)
                .map_err(|err| invalid("email.from", err))?;
        }
        if let Some(t) = &self.telegram
            && !(t.api_base.starts_with("http://") || t.api_base.starts_with("https://"))
        {
            return Err(invalid(
                "telegram.api_base",
                "must start with http:// or https://",
            ));
        }
        Ok(())
    }
}
