//! The backup of a running installation: one [`Replica`] per database the registry opens,
//! their uploaders, the scheduled verify and local copies, and a clean stop.
//!
//! Everything here runs beside the CRM, never in its way: a replica that cannot start is
//! reported in the status (and `/healthz`) while the database keeps serving.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};

use super::{BackupStatus, Replica, ReplicaOptions, S3Client, S3Config, WalShipper};
use crate::config::{BackupConfig, Config};
use crate::db::Database;
use crate::tenants::{DatabaseObserver, Registry};

/// Where the upload queues live inside the data directory.
pub const SPOOL_DIR: &str = "backup-spool";

/// S3 settings from the configuration plus credentials from the environment
/// (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, or their `*_FILE` variants).
pub fn s3_config(b: &BackupConfig) -> Result<S3Config> {
    let bucket = b.bucket.clone().ok_or_else(|| {
        anyhow!("backup: S3 no está configurado / S3 is not configured (set backup.bucket or AUTONOMO_BACKUP_S3_BUCKET)")
    })?;
    S3Config {
        endpoint: b.endpoint.clone(),
        bucket,
        prefix: b.prefix.clone(),
        region: b.region.clone(),
        path_style: b.path_style(),
        access_key_id: String::new(),
        secret_access_key: String::new(),
        session_token: None,
    }
    .with_env_credentials()
    .context("backup: credenciales S3 / S3 credentials")
}

/// The S3 client for the configured bucket.
pub fn s3_client(b: &BackupConfig) -> Result<S3Client> {
    S3Client::new(s3_config(b)?)
}

/// Continuous replication of every database of this installation.
pub struct Backups {
    client: S3Client,
    spool_root: PathBuf,
    opts: ReplicaOptions,
    lag_alert: Duration,
    handle: tokio::runtime::Handle,
    replicas: Mutex<BTreeMap<String, Arc<Replica>>>,
    /// Databases whose replica could not start, with the reason.
    failed: Mutex<BTreeMap<String, String>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Backups {
    /// `Ok(None)` when S3 is not configured. Call inside the tokio runtime that will run the
    /// uploaders; the S3 store is not contacted here, so a store that is down cannot stop start-up.
    pub fn start(config: &Config) -> Result<Option<Arc<Backups>>> {
        if !config.backup.s3_enabled() {
            return Ok(None);
        }
        let b = &config.backup;
        let opts = ReplicaOptions {
            retention: b.retention,
            snapshot_interval: b.snapshot_interval,
            max_spool_bytes: b.max_spool_bytes,
            poll_interval: b.interval,
            ..ReplicaOptions::default()
        };
        Ok(Some(Arc::new(Backups {
            client: s3_client(b)?,
            spool_root: config.data_dir.join(SPOOL_DIR),
            opts,
            lag_alert: Duration::from_secs(b.lag_alert_secs),
            handle: tokio::runtime::Handle::try_current()
                .context("backup: needs a tokio runtime")?,
            replicas: Mutex::default(),
            failed: Mutex::default(),
            tasks: Mutex::default(),
        })))
    }

    pub fn client(&self) -> &S3Client {
        &self.client
    }

    /// Lag beyond which `/healthz` reports the backup as degraded.
    pub fn lag_alert(&self) -> Duration {
        self.lag_alert
    }

    /// Status of every database, sorted by name (failed replicas carry their error).
    pub fn statuses(&self) -> Vec<BackupStatus> {
        let mut v: Vec<BackupStatus> = lock(&self.replicas).values().map(|r| r.status()).collect();
        for (name, err) in lock(&self.failed).iter() {
            v.push(failed_status(name, err));
        }
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Opens every brand (archived ones too) so each one is replicated from the start, not
    /// only once a request happens to touch it.
    pub async fn open_all(&self, registry: &Registry) {
        match registry.list(true).await {
            Ok(brands) => {
                for b in brands {
                    if let Err(e) = registry.tenant_quiet(&b.slug).await {
                        tracing::error!(brand = %b.slug, error = %e, "backup: cannot open brand");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "backup: cannot list brands"),
        }
    }

    /// Starts the scheduled restore-and-check of every database.
    pub fn start_verify_job(self: &Arc<Self>, registry: Arc<Registry>, every: Duration) {
        let me = self.clone();
        let task = self.handle.spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                for r in super::ops::verify_all(&registry, &me.client).await {
                    if r.ok {
                        tracing::info!(db = %r.name, txid = r.txid, "backup verify ok");
                    } else {
                        tracing::error!(db = %r.name, detail = ?r.detail, "backup verify FAILED");
                    }
                }
            }
        });
        lock(&self.tasks).push(task);
    }

    /// After the databases are closed (their last frames spooled): gives the uploaders up to
    /// `timeout` to empty the queues, then stops every task. What is left stays in the spool
    /// and is uploaded at the next start.
    pub async fn shutdown(&self, timeout: Duration) {
        let start = Instant::now();
        loop {
            let all = self.statuses();
            let pending: usize = all.iter().map(|s| s.spool_files).sum();
            // Waiting on a store that is failing only delays the stop.
            let failing = all
                .iter()
                .filter(|s| s.spool_files > 0)
                .all(|s| s.last_error.is_some());
            let waited = start.elapsed();
            if pending == 0 || waited >= timeout || (failing && waited > Duration::from_secs(2)) {
                if pending > 0 {
                    tracing::warn!(
                        files = pending,
                        "backup: files left in the spool; they upload at the next start"
                    );
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }

    fn attach(&self, name: &str, db: &Arc<Database>) -> Result<()> {
        let cfg = self.client.config();
        let remote = match name.strip_prefix("tenants/") {
            Some(slug) => cfg.tenant_path(slug),
            None => cfg.control_path(),
        };
        let replica = Replica::open(
            name,
            &remote,
            &self.spool_root.join(name),
            self.opts.clone(),
        )?;
        db.set_checkpoint_hook(replica.clone());
        let up = {
            let _rt = self.handle.enter();
            replica.spawn_uploader(self.client.clone())
        };
        let nudge = self.handle.spawn(nudge(replica.clone(), db.clone()));
        lock(&self.tasks).extend([up, nudge]);
        lock(&self.replicas).insert(name.to_string(), replica);
        Ok(())
    }
}

impl DatabaseObserver for Backups {
    fn opened(&self, name: &str, db: &Arc<Database>) {
        if let Err(e) = self.attach(name, db) {
            tracing::error!(db = name, error = %format!("{e:#}"), "backup: replica not started");
            lock(&self.failed).insert(name.to_string(), format!("{e:#}"));
        }
    }
}

/// Calls the hook from the writer thread when the replica owes a snapshot (first start, S3
/// back after an overflow, a chain that no longer attaches) even if the database sees no
/// writes: the writer's own tick only ships after commits.
async fn nudge(r: Arc<Replica>, db: Arc<Database>) {
    let path = db.path().to_path_buf();
    loop {
        if r.wants_ship() {
            let (r2, p) = (r.clone(), path.clone());
            let res = db
                .maintain(move |c| {
                    r2.before_checkpoint(c, &p)
                        .map_err(crate::error::AppError::internal)
                })
                .await;
            if let Err(e) = res {
                if matches!(e, crate::error::AppError::Unavailable(_)) {
                    return; // closed
                }
                tracing::debug!(error = %e, "backup: snapshot not taken yet");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn failed_status(name: &str, err: &str) -> BackupStatus {
    BackupStatus {
        name: name.to_string(),
        remote_path: String::new(),
        last_spooled_txid: 0,
        last_shipped_txid: 0,
        last_shipped_at: None,
        lag_seconds: 0.0,
        last_error: Some(err.to_string()),
        spool_bytes: 0,
        spool_files: 0,
        spool_overflow: false,
        snapshot_pending: true,
        last_snapshot_at: None,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// For command-line processes that write while the server may be running: they must never
/// checkpoint, or frames the server has not shipped yet would be folded away behind its back.
/// SQLite still checkpoints when the last connection closes, i.e. when no server is running,
/// and the server snapshots every database when it starts.
pub struct LeaveCheckpointsToServer;

struct RefuseCheckpoint;

impl WalShipper for RefuseCheckpoint {
    fn before_checkpoint(&self, _: &rusqlite::Connection, _: &Path) -> Result<()> {
        Err(crate::db::CheckpointDeclined(
            "checkpoint left to the server so its backup sees every change",
        )
        .into())
    }
}

impl DatabaseObserver for LeaveCheckpointsToServer {
    fn opened(&self, _: &str, db: &Arc<Database>) {
        db.set_checkpoint_hook(Arc::new(RefuseCheckpoint));
    }
}

/// Starts the scheduled local copies (works without S3).
pub fn start_local_job(registry: Arc<Registry>, dir: PathBuf, keep: usize, every: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match super::ops::local_all(&registry, &dir, keep).await {
                Ok(files) => {
                    tracing::info!(files = files.len(), dir = %dir.display(), "local backup done")
                }
                Err(e) => tracing::error!(error = %format!("{e:#}"), "local backup FAILED"),
            }
        }
    });
}
