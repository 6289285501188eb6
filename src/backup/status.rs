//! Per-database replication status for `/healthz`, `autonomo backup status` and Prometheus.

use std::fmt::Write;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Shared;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BackupStatus {
    /// e.g. `tenants/gollos` or `control`.
    pub name: String,
    /// S3 key prefix of the replica.
    pub remote_path: String,
    /// Highest TXID written to the local spool.
    pub last_spooled_txid: u64,
    /// Highest TXID acknowledged by S3.
    pub last_shipped_txid: u64,
    pub last_shipped_at: Option<DateTime<Utc>>,
    /// Age of the oldest change not yet in S3 (0 when everything is shipped).
    pub lag_seconds: f64,
    pub last_error: Option<String>,
    pub spool_bytes: u64,
    pub spool_files: usize,
    /// The spool hit its bound and dropped files: alert-worthy until the owed snapshot ships.
    pub spool_overflow: bool,
    pub snapshot_pending: bool,
    pub last_snapshot_at: Option<DateTime<Utc>>,
}

impl BackupStatus {
    /// Healthy = nothing failing and nothing dropped; lag alerts are the caller's threshold.
    pub fn healthy(&self) -> bool {
        self.last_error.is_none() && !self.spool_overflow
    }
}

pub(crate) fn collect(sh: &Shared) -> BackupStatus {
    let pending = sh.spool.list().unwrap_or_default();
    let oldest = pending
        .iter()
        .filter_map(|e| std::fs::metadata(&e.path).and_then(|m| m.modified()).ok())
        .min();
    let lag_seconds = oldest
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map_or(0.0, |d| d.as_secs_f64());
    let st = sh.state();
    BackupStatus {
        name: sh.name.clone(),
        remote_path: sh.remote_path.clone(),
        last_spooled_txid: st.last_txid,
        last_shipped_txid: st.shipped_txid,
        last_shipped_at: st.shipped_at,
        lag_seconds,
        last_error: st.last_error.clone(),
        spool_bytes: pending.iter().map(|e| e.size).sum(),
        spool_files: pending.len(),
        spool_overflow: st.overflow,
        snapshot_pending: st.snapshot_requested || st.overflow,
        last_snapshot_at: st.last_snapshot_at,
    }
}

/// (name, help, value getter) of one exported gauge.
type Metric = (&'static str, &'static str, fn(&BackupStatus) -> f64);

/// Prometheus text exposition of all statuses (metric names prefixed `autonomo_backup_`).
pub fn prometheus_text(all: &[BackupStatus]) -> String {
    let mut out = String::new();
    let metrics: [Metric; 6] = [
        ("last_shipped_txid", "Highest TXID stored in S3", |s| {
            s.last_shipped_txid as f64
        }),
        (
            "lag_seconds",
            "Age of the oldest change not yet in S3",
            |s| s.lag_seconds,
        ),
        ("spool_bytes", "Bytes waiting in the local spool", |s| {
            s.spool_bytes as f64
        }),
        (
            "spool_overflow",
            "1 if the spool overflowed and dropped files",
            |s| f64::from(u8::from(s.spool_overflow)),
        ),
        ("error", "1 if the last replication step failed", |s| {
            f64::from(u8::from(s.last_error.is_some()))
        }),
        (
            "last_shipped_timestamp_seconds",
            "Unix time of the last upload",
            |s| s.last_shipped_at.map_or(0.0, |t| t.timestamp() as f64),
        ),
    ];
    for (name, help, get) in metrics {
        let _ = writeln!(out, "# HELP autonomo_backup_{name} {help}");
        let _ = writeln!(out, "# TYPE autonomo_backup_{name} gauge");
        for s in all {
            let db = s.name.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(out, "autonomo_backup_{name}{{db=\"{db}\"}} {}", get(s));
        }
    }
    out
}
