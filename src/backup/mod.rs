//! Litestream-compatible continuous backup of every SQLite file to S3 (LTX v0.5 layout), our own
//! restore of that layout, and local compressed backups.
//!
//! How it fits together (see `shared/fixtures/litestream/FORMAT.md` for the bytes):
//! - The db layer's writer thread calls [`WalShipper::before_checkpoint`] before every
//!   checkpoint (and on its idle tick). [`Replica`] then turns the committed, not yet shipped
//!   WAL frames into one L0 LTX file (or a level-9 snapshot) in a local spool, fsynced. No
//!   network happens on the writer thread.
//! - [`Replica::spawn_uploader`] runs an async task that pushes spooled files to S3 in TXID
//!   order with retries, takes care of periodic snapshots and retention, and never blocks the
//!   writer: when S3 is away the spool grows up to a bound, then pending files are dropped and
//!   a fresh snapshot is owed once S3 is back (flagged in [`BackupStatus`]).
//! - [`restore`] rebuilds a database from the bucket (latest, by TXID or by time).
//! - [`service::Backups`] wires it into the product: a replica per database the registry opens
//!   (spool in `<data>/backup-spool/<name>`), status for `/healthz`, a clean stop.
//! - [`ops`] holds the installation-wide operations (`autonomo backup verify|local|status`,
//!   `autonomo restore`), [`command`] their command line, [`erasure`] the GDPR erasure log
//!   that every restore replays.

pub mod command;
pub mod erasure;
pub mod local;
pub mod ltx;
pub mod ops;
pub mod restore;
pub mod retention;
pub mod s3;
pub mod service;
mod shipper;
pub mod spool;
mod status;
mod uploader;
pub mod wal;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use s3::{S3Client, S3Config};
pub use service::{Backups, LeaveCheckpointsToServer};
pub use status::{BackupStatus, prometheus_text};

/// The hook the db layer calls on the writer thread before it checkpoints a database.
///
/// Contract: `conn` is the database's only writing connection, in WAL mode with
/// `wal_autocheckpoint=0`; no write happens between this call and the checkpoint that follows
/// it; the checkpoint is skipped when this returns `Err` (the WAL then simply keeps the
/// frames and the next call ships them). The call is also cheap to make without a checkpoint,
/// which is how changes reach S3 within the backup interval: call it on an idle tick and before
/// closing the connection (SQLite checkpoints on close).
pub use crate::db::CheckpointHook as WalShipper;

/// Tunables of one replica; `Default` gives the product defaults.
#[derive(Debug, Clone)]
pub struct ReplicaOptions {
    /// Delete remote files no longer needed to restore any point within this window.
    pub retention: Duration,
    /// Start a new snapshot this often so restores stay short.
    pub snapshot_interval: Duration,
    /// Spool bound; beyond it pending files are dropped and a snapshot is owed.
    pub max_spool_bytes: u64,
    /// How often the uploader looks for work when not woken by the shipper.
    pub poll_interval: Duration,
    /// How often retention runs.
    pub retention_check_interval: Duration,
    /// Upper bound of the retry backoff while S3 fails.
    pub max_backoff: Duration,
}

impl Default for ReplicaOptions {
    fn default() -> Self {
        ReplicaOptions {
            retention: Duration::from_secs(7 * 24 * 3600),
            snapshot_interval: Duration::from_secs(24 * 3600),
            max_spool_bytes: 1 << 30,
            poll_interval: Duration::from_secs(1),
            retention_check_interval: Duration::from_secs(3600),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// State shared by the shipper (writer thread) and the uploader task.
pub(crate) struct Shared {
    pub name: String,
    pub remote_path: String,
    pub spool: spool::Spool,
    pub opts: ReplicaOptions,
    pub notify: tokio::sync::Notify,
    pub st: Mutex<SharedState>,
}

#[derive(Debug, Default)]
pub(crate) struct SharedState {
    /// Highest TXID assigned to a spooled file.
    pub last_txid: u64,
    /// Highest TXID known to be in S3.
    pub shipped_txid: u64,
    pub shipped_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
    pub snapshot_requested: bool,
    /// The spool hit its bound: pending files were dropped and a snapshot is owed.
    pub overflow: bool,
    /// The last request to S3 succeeded.
    pub store_reachable: bool,
    /// TXIDs at or below this exist remotely (written by an earlier install): never reuse them.
    pub remote_max_txid: u64,
    pub last_snapshot_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Shared {
    pub fn state(&self) -> MutexGuard<'_, SharedState> {
        // A panic elsewhere must not stop backups: the state stays usable.
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One replicated database: implements [`WalShipper`] and owns its uploader task.
pub struct Replica {
    shared: Arc<Shared>,
    ship: Mutex<shipper::ShipState>,
}

impl Replica {
    /// `name` is for status/metrics (e.g. `tenants/gollos`), `remote_path` the S3 key prefix
    /// (see [`S3Config::tenant_path`]), `spool_dir` this database's own spool directory.
    pub fn open(
        name: &str,
        remote_path: &str,
        spool_dir: &Path,
        opts: ReplicaOptions,
    ) -> anyhow::Result<Arc<Replica>> {
        anyhow::ensure!(
            !remote_path.trim_matches('/').is_empty(),
            "backup: empty replica path"
        );
        let spool = spool::Spool::open(spool_dir)?;
        let last_txid = spool.last_txid()?;
        let shared = Arc::new(Shared {
            name: name.to_string(),
            remote_path: remote_path.trim_matches('/').to_string(),
            spool,
            opts,
            notify: tokio::sync::Notify::new(),
            st: Mutex::new(SharedState {
                last_txid,
                ..Default::default()
            }),
        });
        Ok(Arc::new(Replica {
            shared,
            ship: Mutex::new(shipper::ShipState::default()),
        }))
    }

    /// Starts the uploader on the current tokio runtime. Aborting the handle is safe: a spooled
    /// file is removed only after S3 acknowledged it, and re-uploading it is idempotent.
    pub fn spawn_uploader(&self, client: S3Client) -> tokio::task::JoinHandle<()> {
        tokio::spawn(uploader::run(self.shared.clone(), client))
    }

    /// Asks for a full snapshot at the next hook call (e.g. after a restore or on demand).
    pub fn request_snapshot(&self) {
        self.shared.state().snapshot_requested = true;
    }

    pub fn status(&self) -> BackupStatus {
        status::collect(&self.shared)
    }

    /// The hook should run soon even without new commits: this process has not anchored the
    /// chain with its first snapshot yet, or a snapshot is owed.
    pub fn wants_ship(&self) -> bool {
        let initialized = self
            .ship
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_initialized();
        let st = self.shared.state();
        !initialized || st.snapshot_requested || st.overflow
    }

    pub fn remote_path(&self) -> &str {
        &self.shared.remote_path
    }
}

impl WalShipper for Replica {
    fn before_checkpoint(&self, conn: &rusqlite::Connection, db_path: &Path) -> anyhow::Result<()> {
        let mut ss = self.ship.lock().unwrap_or_else(|e| e.into_inner());
        let res = shipper::ship(&self.shared, &mut ss, conn, db_path);
        if let Err(e) = &res {
            self.shared.state().last_error = Some(format!("ship: {e:#}"));
        }
        res
    }
}

/// Several replicas behind one hook, chosen by database path (what the db layer registers).
#[derive(Default)]
pub struct ReplicaSet {
    by_path: Mutex<HashMap<PathBuf, Arc<Replica>>>,
}

impl ReplicaSet {
    pub fn insert(&self, db_path: &Path, r: Arc<Replica>) {
        self.by_path
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(db_path.to_path_buf(), r);
    }

    pub fn statuses(&self) -> Vec<BackupStatus> {
        let m = self.by_path.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = m.values().map(|r| r.status()).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    fn get(&self, db_path: &Path) -> Option<Arc<Replica>> {
        self.by_path
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(db_path)
            .cloned()
    }
}

impl WalShipper for ReplicaSet {
    fn before_checkpoint(&self, conn: &rusqlite::Connection, db_path: &Path) -> anyhow::Result<()> {
        // A database without a replica is not backed up continuously; checkpointing it is fine.
        match self.get(db_path) {
            Some(r) => r.before_checkpoint(conn, db_path),
            None => Ok(()),
        }
    }
}
