//! `autonomo whatsapp set|show`: configure a brand's number from the command line. Secrets are
//! read from files (never from arguments, which end up in shell history) and stored sealed.

use std::path::PathBuf;

use clap::Subcommand;

use super::config::{self, NumberInput};
use crate::config::Config;
use crate::crypto::Keyring;
use crate::tenants::{Registry, Slug};
use crate::time::now_ms;

#[derive(Debug, Subcommand)]
pub enum WhatsappCommand {
    /// Set the brand's WhatsApp Business number and credentials.
    Set {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        phone_number_id: String,
        #[arg(long)]
        business_account_id: Option<String>,
        /// The webhook verify token you typed in Meta's dashboard.
        #[arg(long)]
        verify_token: String,
        /// File holding the Meta app secret.
        #[arg(long)]
        app_secret_file: PathBuf,
        /// File holding the access token (a system-user token).
        #[arg(long)]
        access_token_file: PathBuf,
        /// Messages per second allowed for this number (Meta default 80).
        #[arg(long)]
        mps: Option<u32>,
    },
    /// Show the brand's number with secrets masked.
    Show {
        #[arg(long)]
        tenant: String,
    },
}

fn read_secret(path: &PathBuf) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("no se pudo leer / cannot read {}: {e}", path.display()))?;
    Ok(text.trim().to_owned())
}

pub async fn run(config: Config, cmd: WhatsappCommand) -> anyhow::Result<()> {
    let registry = Registry::open(&config.data_dir, 1)?;
    let keyring = Keyring::load(&config.data_dir)?;
    let result = async {
        match cmd {
            WhatsappCommand::Set {
                tenant,
                phone_number_id,
                business_account_id,
                verify_token,
                app_secret_file,
                access_token_file,
                mps,
            } => {
                let slug = Slug::parse(&tenant)?;
                registry.get(&slug).await?;
                let input = NumberInput {
                    phone_number_id,
                    waba_id: business_account_id,
                    verify_token,
                    app_secret: read_secret(&app_secret_file)?,
                    access_token: read_secret(&access_token_file)?,
                    mps,
                };
                let k = keyring.clone();
                let s = slug.clone();
                registry
                    .control()
                    .write(move |c| config::set(c, &k, &s, &input, now_ms()))
                    .await?;
                println!("WhatsApp configurado / configured for {slug}");
                show(&registry, &keyring, &slug).await
            }
            WhatsappCommand::Show { tenant } => {
                show(&registry, &keyring, &Slug::parse(&tenant)?).await
            }
        }
    }
    .await;
    registry.close().await;
    result
}

async fn show(
    registry: &Registry,
    keyring: &std::sync::Arc<Keyring>,
    slug: &Slug,
) -> anyhow::Result<()> {
    let k = keyring.clone();
    let s = slug.clone();
    let found = registry
        .control()
        .read(move |c| config::by_brand(c, &k, &s))
        .await?;
    match found {
        Some(n) => println!("{}", serde_json::to_string_pretty(&n.masked())?),
        None => anyhow::bail!(
            "la marca {slug} no tiene WhatsApp configurado / brand has no WhatsApp configured"
        ),
    }
    Ok(())
}
