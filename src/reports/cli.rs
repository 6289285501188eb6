//! `autonomo report recipients|send`: who gets a brand's reports, and sending one now.

use clap::Subcommand;

use super::kpis::Period;
use crate::config::Config;
use crate::tenants::Slug;
use crate::time::now_ms;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Add (or with --remove, remove) report recipients of a brand; prints the list.
    Recipients {
        #[arg(long)]
        tenant: String,
        /// E-mail address (repeatable).
        #[arg(long)]
        email: Vec<String>,
        /// Telegram chat id (repeatable).
        #[arg(long = "telegram-chat", allow_hyphen_values = true)]
        telegram_chat: Vec<String>,
        /// Remove the given recipients instead of adding them.
        #[arg(long)]
        remove: bool,
    },
    /// Send the brand's daily or weekly report now.
    Send {
        #[arg(long)]
        tenant: String,
        /// daily or weekly.
        #[arg(long, default_value = "daily")]
        period: String,
    },
}

pub async fn run(config: Config, cmd: ReportCommand) -> anyhow::Result<()> {
    let registry = crate::cli::open_registry(&config)?;
    let result = match cmd {
        ReportCommand::Recipients {
            tenant,
            email,
            telegram_chat,
            remove,
        } => {
            for e in &email {
                if !e.contains('@') || e.len() > 254 || e.contains(char::is_whitespace) {
                    anyhow::bail!("correo inválido / invalid e-mail: {e}");
                }
            }
            for t in &telegram_chat {
                let ok = t
                    .strip_prefix('-')
                    .unwrap_or(t)
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    || t.starts_with('@');
                if t.is_empty() || !ok {
                    anyhow::bail!("chat de Telegram inválido / invalid Telegram chat: {t}");
                }
            }
            let t = registry.tenant(&Slug::parse(&tenant)?).await?;
            let list = t
                .db()
                .write(move |c| {
                    let now = now_ms();
                    let all = email
                        .iter()
                        .map(|e| ("email", e))
                        .chain(telegram_chat.iter().map(|t| ("telegram", t)));
                    for (canal, destino) in all {
                        if remove {
                            super::remove_recipient(c, canal, destino)?;
                        } else {
                            super::add_recipient(c, canal, destino, now)?;
                        }
                    }
                    super::recipients(c)
                })
                .await?;
            for r in list {
                println!("{}\t{}", r.canal, r.destino);
            }
            Ok(())
        }
        ReportCommand::Send { tenant, period } => {
            let period = Period::parse(&period)
                .ok_or_else(|| anyhow::anyhow!("--period daily|weekly (diario|semanal)"))?;
            let t = registry.tenant(&Slug::parse(&tenant)?).await?;
            let channels = super::Channels::from_config(&config.notify)?;
            let summary = super::send(&t, &channels, period, now_ms()).await;
            match summary {
                Ok(s) => {
                    println!("{s}");
                    Ok(())
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
    };
    registry.close().await;
    result
}
