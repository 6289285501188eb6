//! `autonomo report recipients|send`: who gets a brand's reports (or, with `--all`, the
//! owners' combined report of every brand), and sending one now.

use clap::Subcommand;

use super::kpis::Period;
use crate::config::Config;
use crate::tenants::Slug;
use crate::time::now_ms;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Add (or with --remove, remove) report recipients of a brand, or with --all the
    /// owner-level recipients of the combined report; prints the list.
    Recipients {
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        tenant: Option<String>,
        /// The owners' combined report of every brand instead of one brand's.
        #[arg(long)]
        all: bool,
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
    /// Send the brand's daily or weekly report now (with --all: the owners' combined one).
    Send {
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        tenant: Option<String>,
        /// The owners' combined report of every brand, to the owner-level recipients.
        #[arg(long)]
        all: bool,
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
            all: _,
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
            let edit = move |c: &rusqlite::Connection, owners: bool| {
                use super::combined;
                let now = now_ms();
                let all = email
                    .iter()
                    .map(|e| ("email", e))
                    .chain(telegram_chat.iter().map(|t| ("telegram", t)));
                for (canal, destino) in all {
                    match (owners, remove) {
                        (false, true) => {
                            super::remove_recipient(c, canal, destino)?;
                        }
                        (false, false) => super::add_recipient(c, canal, destino, now)?,
                        (true, true) => {
                            combined::remove_recipient(c, canal, destino)?;
                        }
                        (true, false) => combined::add_recipient(c, canal, destino, now)?,
                    }
                }
                if owners {
                    combined::recipients(c)
                } else {
                    super::recipients(c)
                }
            };
            let list = match tenant {
                Some(tenant) => {
                    let t = registry.tenant(&Slug::parse(&tenant)?).await?;
                    t.db().write(move |c| edit(c, false)).await?
                }
                None => registry.control().write(move |c| edit(c, true)).await?,
            };
            for r in list {
                println!("{}\t{}", r.canal, r.destino);
            }
            Ok(())
        }
        ReportCommand::Send {
            tenant,
            all: _,
            period,
        } => {
            let period = Period::parse(&period)
                .ok_or_else(|| anyhow::anyhow!("--period daily|weekly (diario|semanal)"))?;
            let channels = super::Channels::from_config(&config.notify)?;
            let summary = match tenant {
                Some(tenant) => {
                    let t = registry.tenant(&Slug::parse(&tenant)?).await?;
                    super::send(&t, &channels, period, now_ms()).await
                }
                None => super::combined::send_all(&registry, &channels, period, now_ms()).await,
            };
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
