//! The command line of backups: `autonomo backup status|local|verify` and `autonomo restore`.
//! Parsing and printing only; the work is in [`super::ops`].

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, NaiveDateTime, Utc};
use clap::{ArgGroup, Args, Subcommand};

use super::ops::{self, Which};
use super::restore::{RestoreOptions, RestoreTarget};
use super::service::{LeaveCheckpointsToServer, s3_client};
use crate::config::Config;
use crate::tenants::{Registry, Slug};

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Per database: newest TXID in the bucket, files waiting to upload, lag.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Compressed consistent copies of every database into DIR (no S3 needed).
    Local {
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Copies kept per database (default: backup.local_keep).
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
    },
    /// Restore every database from the bucket to a temp file, run `PRAGMA integrity_check`
    /// and compare row counts with the live data. Fails if any database does not match.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

/// `autonomo restore`: one database (`--tenant`/`--control`) or the whole installation
/// (`--all --to-data-dir DIR`), from the bucket or from a local archive (`--from`).
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["tenant", "control", "all"])))]
pub struct RestoreArgs {
    /// The brand to restore.
    #[arg(long, value_name = "SLUG")]
    pub tenant: Option<String>,
    /// The control database (brands, tokens, erasure log).
    #[arg(long)]
    pub control: bool,
    /// Every database, into an empty data directory (a new machine).
    #[arg(long, requires = "to_data_dir")]
    pub all: bool,
    /// Output file (default: the database's place in the data directory).
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    pub to: Option<PathBuf>,
    /// New data directory for `--all`.
    #[arg(long, value_name = "DIR", requires = "all")]
    pub to_data_dir: Option<PathBuf>,
    /// The last state committed before this time (RFC 3339, or `YYYY-MM-DD HH:MM:SS` UTC).
    #[arg(long, value_name = "T", conflicts_with = "txid")]
    pub timestamp: Option<String>,
    /// The state right after this transaction (decimal, `0x…` or Litestream's 16 hex digits).
    #[arg(long, value_name = "N")]
    pub txid: Option<String>,
    /// Restore from a local archive made by `autonomo backup local` instead of the bucket.
    #[arg(long, value_name = "ARCHIVE", conflicts_with_all = ["timestamp", "txid", "all"])]
    pub from: Option<PathBuf>,
    /// Replace an existing output file (stop the server first when it is a live database).
    #[arg(long)]
    pub force: bool,
}

fn open_registry(config: &Config) -> Result<Registry> {
    Ok(Registry::open_observed(
        &config.data_dir,
        1,
        Some(Arc::new(LeaveCheckpointsToServer)),
    )?)
}

pub async fn run_backup(config: &Config, cmd: BackupCommand) -> Result<()> {
    let registry = open_registry(config)?;
    let res = backup(config, &registry, cmd).await;
    registry.close().await;
    res
}

async fn backup(config: &Config, registry: &Registry, cmd: BackupCommand) -> Result<()> {
    match cmd {
        BackupCommand::Local { to, keep } => {
            let keep = keep.unwrap_or(config.backup.local_keep).max(1);
            for f in ops::local_all(registry, &to, keep).await? {
                println!("{}", f.display());
            }
            Ok(())
        }
        BackupCommand::Status { json } => {
            if !config.backup.s3_enabled() {
                println!("Copia en S3 no configurada / S3 backup not configured (backup.bucket)");
                return Ok(());
            }
            let st = ops::offline_status(registry, &s3_client(&config.backup)?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&st)?);
                return Ok(());
            }
            println!("db\tremote_txid\tlast_upload\tspool_files\tspool_bytes\tlag_secs\terror");
            for s in &st {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{:.0}\t{}",
                    s.name,
                    s.remote_txid,
                    s.last_upload.map_or("-".into(), |t| t.to_rfc3339()),
                    s.spool_files,
                    s.spool_bytes,
                    s.lag_seconds,
                    s.error.as_deref().unwrap_or("-")
                );
            }
            Ok(())
        }
        BackupCommand::Verify { json } => {
            let client = s3_client(&config.backup)?;
            let reports = ops::verify_all(registry, &client).await;
            if json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                for r in &reports {
                    let rows: i64 = r.rows.values().sum();
                    match &r.detail {
                        None => println!(
                            "ok\t{}\ttxid {}\t{} tables, {rows} rows",
                            r.name,
                            r.txid,
                            r.rows.len()
                        ),
                        Some(d) => println!("FAIL\t{}\t{d}", r.name),
                    }
                }
            }
            let bad = reports.iter().filter(|r| !r.ok).count();
            if bad > 0 {
                bail!(
                    "{bad} de {} bases no verifican / databases failed verification",
                    reports.len()
                );
            }
            Ok(())
        }
    }
}

pub async fn run_restore(config: &Config, a: RestoreArgs) -> Result<()> {
    // Replaying erasures opens sealed phones; restored files may be written outside the data
    // directory, so they use its key file (when there is one yet: a whole-install restore
    // into an empty directory needs the key file put back by hand, see docs/security.md).
    let _ = crate::crypto::Keyring::load_existing(&config.data_dir);
    let target = match (&a.timestamp, &a.txid) {
        (Some(t), _) => RestoreTarget::Timestamp(parse_time(t)?),
        (_, Some(n)) => RestoreTarget::Txid(parse_txid(n)?),
        _ => RestoreTarget::Latest,
    };
    let client = if a.from.is_some() && !config.backup.s3_enabled() {
        None
    } else {
        Some(s3_client(&config.backup)?)
    };
    if a.all {
        let dir = a
            .to_data_dir
            .as_deref()
            .ok_or_else(|| anyhow!("--to-data-dir DIR"))?;
        let client = client.ok_or_else(|| anyhow!("S3 is not configured"))?;
        for r in ops::restore_all(&client, dir, target).await? {
            print_restored(&r);
        }
        println!(
            "Instalación restaurada / installation restored: autonomo --data-dir {} serve",
            dir.display()
        );
        return Ok(());
    }
    let which = match &a.tenant {
        Some(s) => Which::Tenant(Slug::parse(s).map_err(|e| anyhow!("--tenant: {e}"))?),
        None => Which::Control,
    };
    let out =
        a.to.clone()
            .unwrap_or_else(|| which.file_in(&config.data_dir));
    if out.exists() && !a.force {
        bail!(
            "{} existe / exists: usa --to FILE, o detén el servidor y usa --force / use --to FILE, or stop the server and use --force",
            out.display()
        );
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let log = ops::erasures(client.as_ref(), &config.data_dir).await?;
    let r = match (&a.from, &client) {
        (Some(archive), _) => {
            if a.force {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = out.as_os_str().to_owned();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
            }
            ops::restore_local(archive, &which, &out, &log)?
        }
        (None, Some(client)) => {
            let opts = RestoreOptions {
                target,
                force: a.force,
            };
            ops::restore_one(client, &which, &out, opts, &log).await?
        }
        (None, None) => bail!("S3 is not configured"),
    };
    print_restored(&r);
    Ok(())
}

fn print_restored(r: &ops::Restored) {
    println!(
        "{}\t{}\ttxid {} ({:016x})\terased {}",
        r.name,
        r.file.display(),
        r.txid,
        r.txid,
        r.erased
    );
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s.trim(), f) {
            return Ok(t.and_utc());
        }
    }
    bail!("--timestamp: `{s}` no es una fecha / is not a time like 2026-05-01T10:00:00Z")
}

fn parse_txid(s: &str) -> Result<u64> {
    let s = s.trim();
    let parsed = if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if s.len() == 16 {
        u64::from_str_radix(s, 16).ok()
    } else {
        s.parse().ok()
    };
    parsed.filter(|n| *n > 0).ok_or_else(|| {
        anyhow!("--txid: `{s}` no es un número de transacción / is not a transaction id")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txid_and_time_forms() {
        assert_eq!(parse_txid("42").unwrap(), 42);
        assert_eq!(parse_txid("0x2a").unwrap(), 42);
        assert_eq!(parse_txid("000000000000002a").unwrap(), 42);
        assert!(parse_txid("0").is_err() && parse_txid("x").is_err());
        let t = parse_time("2026-05-01 10:00:00").unwrap();
        assert_eq!(t, parse_time("2026-05-01T10:00:00Z").unwrap());
        assert_eq!(t, parse_time("2026-05-01T05:00:00-05:00").unwrap());
        assert!(parse_time("ayer").is_err());
    }
}
