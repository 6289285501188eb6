//! `autonomo keys`: rotate the master key without downtime, retire old keys, show the state.
//!
//! Rotation: a new key is written at the top of the key file (old keys stay, so every value
//! still opens); running servers re-read the changed file within [`super::RELOAD_INTERVAL`]
//! and seal new values with it; after waiting for that, every brand (and the control
//! database's integration secrets) is re-sealed in batches through its writer, repeating
//! until no value under an old key is left. The blind-index key is not changed (see
//! docs/security.md). `autonomo keys retire` then drops the old keys from the file, refusing
//! while any value still needs them.

use std::sync::Arc;

use clap::Subcommand;

use super::sealing::{self, CONTROL_SEALED, Pass, SEALED};
use super::{Keyring, keyfile};
use crate::config::Config;
use crate::error::AppError;
use crate::tenants::Registry;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a new master key and re-seal every value with it (the server may keep running).
    Rotate,
    /// Remove old keys from the key file once no value needs them.
    Retire,
    /// Show the key ids and how many values each brand still has under old keys.
    Status,
}

pub async fn run(config: &Config, cmd: KeysCommand) -> Result<(), AppError> {
    let path = keyfile::path_for(&config.data_dir);
    let ring = Keyring::load(&config.data_dir)?;
    sealing::check_all(&config.data_dir, &ring)?;
    match cmd {
        KeysCommand::Rotate => {
            let mut file = keyfile::read(&path)?;
            // Pin the blind-index key before the first rotation: it stays the same.
            file.index = Some(super::index_key_of(&file));
            let new = keyfile::fresh_key();
            file.keys.insert(0, new);
            keyfile::write(&path, &file)?;
            println!("nueva clave / new key: {}", super::key_id(&new));
            // Running servers pick the new file up within RELOAD_INTERVAL.
            tokio::time::sleep(super::RELOAD_INTERVAL * 3).await;
            let (registry, brands) = open(config).await?;
            let mut total = 0u64;
            // Values a server sealed with the old key before it saw the new file are caught
            // by the next pass; the bound only guards against a server that cannot reload.
            for _ in 0..20 {
                let mut pass = 0u64;
                for tenant in &brands {
                    pass += sealing::reseal(tenant.db(), &ring, Pass::Rotate, SEALED).await?;
                }
                pass += sealing::reseal(registry.control(), &ring, Pass::Rotate, CONTROL_SEALED)
                    .await?;
                total += pass;
                if pass == 0 {
                    break;
                }
            }
            let left = old_values(&registry, &brands, &ring).await?;
            registry.close().await;
            println!(
                "re-sellados / re-sealed: {total}; con claves antiguas / under old keys: {left}"
            );
            if left == 0 {
                println!(
                    "`autonomo keys retire` puede quitar las claves antiguas / can remove the old keys"
                );
            }
            Ok(())
        }
        KeysCommand::Retire => {
            let (registry, brands) = open(config).await?;
            let left = old_values(&registry, &brands, &ring).await?;
            registry.close().await;
            if left > 0 {
                return Err(AppError::conflict(crate::error::msg(
                    format!(
                        "{left} valores siguen cifrados con claves antiguas; ejecute `autonomo keys rotate` antes."
                    ),
                    format!(
                        "{left} values are still sealed with old keys; run `autonomo keys rotate` first."
                    ),
                )));
            }
            let mut file = keyfile::read(&path)?;
            file.index = Some(super::index_key_of(&file));
            let retired = file.keys.split_off(1);
            keyfile::write(&path, &file)?;
            println!(
                "claves retiradas / keys retired: {}",
                retired
                    .iter()
                    .map(super::key_id)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        KeysCommand::Status => {
            println!(
                "claves / keys: {} (la primera sella / the first seals)",
                ring.key_ids().join(", ")
            );
            let (registry, brands) = open(config).await?;
            for tenant in &brands {
                let r = ring.clone();
                let n = tenant
                    .db()
                    .read(move |c| sealing::count_old(c, &r, SEALED))
                    .await?;
                println!("{}: {n}", tenant.slug());
            }
            registry.close().await;
            Ok(())
        }
    }
}

type Open = (Registry, Vec<Arc<crate::tenants::Tenant>>);

/// The registry with every brand (archived ones too) open: opening seals any clear value.
async fn open(config: &Config) -> Result<Open, AppError> {
    let registry = Registry::open(&config.data_dir, config.readers_per_db)?;
    let mut brands = Vec::new();
    for b in registry.list(true).await? {
        brands.push(registry.tenant(&b.slug).await?);
    }
    Ok((registry, brands))
}

async fn old_values(
    registry: &Registry,
    brands: &[Arc<crate::tenants::Tenant>],
    ring: &Arc<Keyring>,
) -> Result<u64, AppError> {
    let mut left = 0u64;
    for tenant in brands {
        let r = ring.clone();
        left += tenant
            .db()
            .read(move |c| sealing::count_old(c, &r, SEALED))
            .await?;
    }
    let r = ring.clone();
    left += registry
        .control()
        .read(move |c| sealing::count_old(c, &r, CONTROL_SEALED))
        .await?;
    Ok(left)
}
