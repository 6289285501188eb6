//! Whole-installation operations behind `autonomo backup …` and `autonomo restore`: local
//! copies, verify (restore + integrity + row counts against live), restore of one database or
//! of everything, each restored brand getting the erasure log replayed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail, ensure};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::restore::{self, RestoreOptions, RestoreReport, RestoreTarget};
use super::{S3Client, erasure, local, retention, spool};
use crate::error::AppError;
use crate::tenants::{Registry, Slug};

/// Which database of an installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    Control,
    Tenant(Slug),
}

impl Which {
    /// `control` or `tenants/<slug>`: the status name and the spool sub-directory.
    pub fn name(&self) -> String {
        match self {
            Which::Control => "control".into(),
            Which::Tenant(s) => format!("tenants/{s}"),
        }
    }

    pub fn remote_path(&self, client: &S3Client) -> String {
        match self {
            Which::Control => client.config().control_path(),
            Which::Tenant(s) => client.config().tenant_path(s.as_str()),
        }
    }

    /// Where the database lives inside a data directory.
    pub fn file_in(&self, data_dir: &Path) -> PathBuf {
        match self {
            Which::Control => data_dir.join("control.db"),
            Which::Tenant(s) => data_dir.join("tenants").join(format!("{s}.db")),
        }
    }
}

/// The control database and every brand (archived ones too).
pub async fn all_databases(registry: &Registry) -> Result<Vec<Which>> {
    let mut v = vec![Which::Control];
    for b in registry.list(true).await? {
        v.push(Which::Tenant(b.slug));
    }
    Ok(v)
}

async fn live_db(registry: &Registry, w: &Which) -> Result<std::sync::Arc<crate::db::Database>> {
    Ok(match w {
        Which::Control => registry.control().clone(),
        Which::Tenant(s) => registry.tenant(s).await?.db().clone(),
    })
}

/// Compressed copies of every database into `dir` (`control-<time>.db.gz`,
/// `tenants/<slug>-<time>.db.gz`), keeping the newest `keep` of each.
pub async fn local_all(registry: &Registry, dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for w in all_databases(registry).await? {
        let (sub, name) = match &w {
            Which::Control => (dir.to_path_buf(), "control".to_string()),
            Which::Tenant(s) => (dir.join("tenants"), s.to_string()),
        };
        let path = live_db(registry, &w).await?.path().to_path_buf();
        // Its own connection: the pooled readers are read-only, which `VACUUM INTO` refuses,
        // and the writer must not be held for the length of a copy. Only reads happen here.
        let file = tokio::task::spawn_blocking(move || {
            let c = Connection::open(&path)?;
            c.busy_timeout(Duration::from_secs(30))?;
            local::backup(&c, &name, &sub, keep)
        })
        .await?
        .with_context(|| format!("local backup of {}", w.name()))?;
        out.push(file);
    }
    Ok(out)
}

/// Outcome of verifying one database.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub name: String,
    pub ok: bool,
    pub txid: u64,
    /// Rows per table in the restored copy.
    pub rows: BTreeMap<String, i64>,
    pub detail: Option<String>,
}

/// Restores every database from the bucket into a temp file, runs `PRAGMA integrity_check`
/// and compares row counts per table with the live database. A live database ahead of the
/// bucket by the upload lag is retried a few times before it counts as a mismatch.
pub async fn verify_all(registry: &Registry, client: &S3Client) -> Vec<VerifyReport> {
    let dbs = match all_databases(registry).await {
        Ok(d) => d,
        Err(e) => {
            return vec![VerifyReport {
                name: "control".into(),
                ok: false,
                txid: 0,
                rows: BTreeMap::new(),
                detail: Some(format!("{e:#}")),
            }];
        }
    };
    let mut out = Vec::new();
    for w in dbs {
        let mut last = None;
        for attempt in 0..4 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            let r = verify_one(registry, client, &w).await;
            let done = r.ok
                || r.detail
                    .as_deref()
                    .is_some_and(|d| !d.starts_with("row counts"));
            last = Some(r);
            if done {
                break;
            }
        }
        out.extend(last);
    }
    out
}

async fn verify_one(registry: &Registry, client: &S3Client, w: &Which) -> VerifyReport {
    let mut rep = VerifyReport {
        name: w.name(),
        ok: false,
        txid: 0,
        rows: BTreeMap::new(),
        detail: None,
    };
    let res = async {
        let tmp = scratch_dir(registry.data_dir())?;
        let file = tmp.path().join("verify.db");
        let opts = RestoreOptions {
            target: RestoreTarget::Latest,
            force: false,
        };
        rep.txid = restore::restore(client, &w.remote_path(client), &file, opts)
            .await?
            .txid;
        rep.rows = row_counts(&Connection::open_with_flags(
            &file,
            OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?)?;
        let live = live_db(registry, w)
            .await?
            .read(|c| row_counts(c).map_err(AppError::internal))
            .await?;
        if live != rep.rows {
            let diff: Vec<String> = live
                .iter()
                .filter(|(t, n)| rep.rows.get(*t) != Some(n))
                .map(|(t, n)| format!("{t}: live {n}, backup {:?}", rep.rows.get(t)))
                .collect();
            bail!("row counts differ: {}", diff.join("; "));
        }
        anyhow::Ok(())
    }
    .await;
    match res {
        Ok(()) => rep.ok = true,
        Err(e) => rep.detail = Some(format!("{e:#}")),
    }
    rep
}

/// A temp directory on the same disk as the data when possible (a database may not fit /tmp).
fn scratch_dir(data_dir: &Path) -> Result<tempfile::TempDir> {
    let b = tempfile::Builder::new()
        .prefix(".autonomo-restore-")
        .tempdir_in(data_dir);
    Ok(match b {
        Ok(d) => d,
        Err(_) => tempfile::tempdir()?,
    })
}

/// Rows per ordinary table (virtual tables are views over other tables).
pub fn row_counts(c: &Connection) -> Result<BTreeMap<String, i64>> {
    let tables: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = BTreeMap::new();
    for t in tables {
        let n: i64 = c.query_row(
            &format!("SELECT count(*) FROM \"{}\"", t.replace('"', "\"\"")),
            [],
            |r| r.get(0),
        )?;
        out.insert(t, n);
    }
    Ok(out)
}

/// The erasure log as known locally (`<data>/control.db`) and in the bucket's latest control
/// replica: a point-in-time restore of the control database must not forget later erasures.
pub async fn erasures(client: Option<&S3Client>, data_dir: &Path) -> Result<Vec<erasure::Erasure>> {
    let mut all = Vec::new();
    let local = data_dir.join("control.db");
    if local.exists() {
        all.extend(read_erasures(&local)?);
    }
    if let Some(client) = client {
        let tmp = scratch_dir(data_dir)?;
        let file = tmp.path().join("control.db");
        let opts = RestoreOptions {
            target: RestoreTarget::Latest,
            force: false,
        };
        match restore::restore(client, &client.config().control_path(), &file, opts).await {
            Ok(_) => all.extend(read_erasures(&file)?),
            Err(e) if !local.exists() => {
                return Err(e.context("erasure log: no local control.db and none in the bucket"));
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "erasure log: bucket copy unavailable; using the local one")
            }
        }
    }
    all.sort_by_key(|e| (e.marca.clone(), e.cliente_id));
    all.dedup_by_key(|e| (e.marca.clone(), e.cliente_id));
    Ok(all)
}

fn read_erasures(control: &Path) -> Result<Vec<erasure::Erasure>> {
    let c = Connection::open_with_flags(control, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let exists: bool = c.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'erasures'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(erasure::list(&c, None)?)
}

/// Applies the erasures of `slug` to a restored file; returns how many customers were erased.
pub fn replay_erasures(file: &Path, slug: &Slug, log: &[erasure::Erasure]) -> Result<usize> {
    let ids: Vec<i64> = log
        .iter()
        .filter(|e| e.marca == slug.as_str())
        .map(|e| e.cliente_id)
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let mut c = Connection::open(file)?;
    // The audit triggers of the brand schema need their functions on this handle too.
    crate::db::functions::register(&c, slug.as_str())?;
    let n =
        crate::db::functions::with_actor(Some("system:restore"), || erasure::replay(&mut c, &ids))?;
    c.close().map_err(|(_, e)| e)?;
    restore::integrity_check(file)?;
    Ok(n)
}

/// One restored database.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub name: String,
    pub file: PathBuf,
    pub txid: u64,
    pub erased: usize,
}

/// Restores one database from the bucket into `out`, then replays the erasure log.
pub async fn restore_one(
    client: &S3Client,
    w: &Which,
    out: &Path,
    opts: RestoreOptions,
    log: &[erasure::Erasure],
) -> Result<Restored> {
    let rep: RestoreReport = restore::restore(client, &w.remote_path(client), out, opts)
        .await
        .with_context(|| format!("restore {}", w.name()))?;
    let erased = match w {
        Which::Tenant(s) => replay_erasures(out, s, log)?,
        Which::Control => 0,
    };
    Ok(Restored {
        name: w.name(),
        file: out.to_path_buf(),
        txid: rep.txid,
        erased,
    })
}

/// Restores a local archive (`autonomo backup local`) into `out`, then replays the erasure log.
pub fn restore_local(
    archive: &Path,
    w: &Which,
    out: &Path,
    log: &[erasure::Erasure],
) -> Result<Restored> {
    local::restore(archive, out).with_context(|| format!("restore {}", archive.display()))?;
    let erased = match w {
        Which::Tenant(s) => replay_erasures(out, s, log)?,
        Which::Control => 0,
    };
    Ok(Restored {
        name: w.name(),
        file: out.to_path_buf(),
        txid: 0,
        erased,
    })
}

/// Rebuilds a whole installation from the bucket into an empty `data_dir`: the control
/// database first, then every brand it lists. `--txid` is per database, so only latest or a
/// timestamp make sense here.
pub async fn restore_all(
    client: &S3Client,
    data_dir: &Path,
    target: RestoreTarget,
) -> Result<Vec<Restored>> {
    ensure!(
        !matches!(target, RestoreTarget::Txid(_)),
        "--txid applies to one database; use --timestamp with --all"
    );
    let control = Which::Control.file_in(data_dir);
    ensure!(
        !control.exists(),
        "{} exists: restore --all needs an empty data directory",
        control.display()
    );
    std::fs::create_dir_all(data_dir.join("tenants"))?;
    let opts = RestoreOptions {
        target,
        force: false,
    };
    let mut done = vec![restore_one(client, &Which::Control, &control, opts, &[]).await?];
    let log = erasures(Some(client), data_dir).await?;
    let slugs: Vec<String> = {
        let c = Connection::open_with_flags(&control, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        c.prepare("SELECT slug FROM marcas ORDER BY slug")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let mut failures = Vec::new();
    for s in slugs {
        let slug = Slug::parse(&s).map_err(|_| anyhow!("control lists an invalid slug {s:?}"))?;
        let w = Which::Tenant(slug);
        match restore_one(client, &w, &w.file_in(data_dir), opts, &log).await {
            Ok(r) => done.push(r),
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} restored, {} failed: {}",
            done.len(),
            failures.len(),
            failures.join("; ")
        );
    }
    Ok(done)
}

/// What `autonomo backup status` prints for one database (read from the bucket and the local
/// spool, so it works with or without the server running).
#[derive(Debug, Clone, Serialize)]
pub struct OfflineStatus {
    pub name: String,
    pub remote_path: String,
    pub remote_txid: u64,
    pub remote_files: usize,
    pub last_upload: Option<chrono::DateTime<chrono::Utc>>,
    pub spool_files: usize,
    pub spool_bytes: u64,
    pub lag_seconds: f64,
    pub error: Option<String>,
}

pub async fn offline_status(registry: &Registry, client: &S3Client) -> Result<Vec<OfflineStatus>> {
    let spool_root = registry.data_dir().join(super::service::SPOOL_DIR);
    let mut out = Vec::new();
    for w in all_databases(registry).await? {
        let path = w.remote_path(client);
        let pending = spool::Spool::at(&spool_root.join(w.name()))
            .list()
            .unwrap_or_default();
        let oldest = pending
            .iter()
            .filter_map(|e| std::fs::metadata(&e.path).and_then(|m| m.modified()).ok())
            .min();
        let mut s = OfflineStatus {
            name: w.name(),
            remote_path: path.clone(),
            remote_txid: 0,
            remote_files: 0,
            last_upload: None,
            spool_files: pending.len(),
            spool_bytes: pending.iter().map(|e| e.size).sum(),
            lag_seconds: oldest
                .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
                .map_or(0.0, |d| d.as_secs_f64()),
            error: None,
        };
        match retention::list_replica(client, &path).await {
            Ok(files) => {
                s.remote_files = files.len();
                s.remote_txid = files.iter().map(|f| f.max_txid).max().unwrap_or(0);
                s.last_upload = files.iter().filter_map(|f| f.last_modified).max();
                if files.is_empty() {
                    s.error = Some("no backup in the bucket yet".into());
                }
            }
            Err(e) => s.error = Some(format!("{e:#}")),
        }
        out.push(s);
    }
    Ok(out)
}
