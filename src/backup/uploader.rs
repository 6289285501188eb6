//! The async half of replication: spool → S3 in TXID order, retries with backoff, snapshot
//! schedule and retention. It only ever reads the spool, so S3 trouble never reaches writers.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, TimeZone, Utc};

use super::retention::{self, RemoteFile};
use super::s3::S3Client;
use super::{Shared, ltx};

pub(crate) async fn run(sh: Arc<Shared>, client: S3Client) {
    let mut synced = false;
    let mut backoff = sh.opts.poll_interval;
    let mut last_retention: Option<tokio::time::Instant> = None;
    loop {
        let res = async {
            if !synced {
                sync_with_remote(&sh, &client).await?;
                synced = true;
            }
            upload_pending(&sh, &client).await?;
            maintenance(&sh, &client, &mut last_retention).await
        }
        .await;
        match res {
            Ok(()) => {
                backoff = sh.opts.poll_interval;
                let mut st = sh.state();
                st.store_reachable = true;
                if !st.overflow {
                    st.last_error = None;
                }
            }
            Err(e) => {
                tracing::warn!(db = %sh.name, error = %format!("{e:#}"), "backup upload failed; retrying");
                {
                    let mut st = sh.state();
                    st.store_reachable = false;
                    st.last_error = Some(format!("{e:#}"));
                }
                // Re-read the bucket after any failure: the store may have been wiped or
                // replaced while away, and a chain that no longer attaches needs a snapshot.
                synced = false;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(sh.opts.max_backoff);
                continue;
            }
        }
        // Up to 1 s, upload as soon as the shipper spools; a longer interval batches uploads.
        if sh.opts.poll_interval <= Duration::from_secs(1) {
            tokio::select! {
                _ = sh.notify.notified() => {}
                _ = tokio::time::sleep(sh.opts.poll_interval) => {}
            }
        } else {
            tokio::time::sleep(sh.opts.poll_interval).await;
        }
    }
}

/// Once per process, before the first upload: learn what the bucket already holds so TXIDs
/// continue above it (a new machine restored from the bucket has no local state) and so a
/// chain that cannot attach to the remote one is replaced by a snapshot.
async fn sync_with_remote(sh: &Shared, client: &S3Client) -> Result<()> {
    let remote = retention::list_replica(client, &sh.remote_path).await?;
    let remote_max = remote.iter().map(|f| f.max_txid).max().unwrap_or(0);
    let last_snap = remote
        .iter()
        .filter(|f| f.level == ltx::SNAPSHOT_LEVEL)
        .filter_map(|f| f.last_modified)
        .max();
    let mut pending = sh.spool.list()?;
    // Files uploaded just before a crash but not yet removed locally: drop identical ones.
    while let Some(e) = pending.first() {
        let Some(r) = remote
            .iter()
            .find(|r| (r.level, r.min_txid, r.max_txid) == (e.level, e.min_txid, e.max_txid))
        else {
            break;
        };
        let local = std::fs::read(&e.path)?;
        if client.get_object(&r.key).await?.as_deref() != Some(&local[..]) {
            break;
        }
        sh.spool.remove(&e.path)?;
        pending.remove(0);
    }
    let attaches = match pending.first() {
        None => true,
        Some(e) if e.level == ltx::SNAPSHOT_LEVEL => e.max_txid > remote_max,
        Some(e) => e.min_txid == remote_max + 1,
    };
    let mut st = sh.state();
    st.remote_max_txid = remote_max;
    st.shipped_txid = remote_max;
    st.last_snapshot_at = last_snap;
    if !attaches {
        tracing::warn!(db = %sh.name, remote_max, "local spool does not continue the remote chain; re-snapshotting");
        for e in &pending {
            sh.spool.remove(&e.path)?;
        }
        st.snapshot_requested = true;
    }
    if remote.iter().all(|f| f.level != ltx::SNAPSHOT_LEVEL)
        && pending.iter().all(|e| e.level != ltx::SNAPSHOT_LEVEL)
    {
        st.snapshot_requested = true;
    }
    Ok(())
}

async fn upload_pending(sh: &Shared, client: &S3Client) -> Result<()> {
    loop {
        let Some(e) = sh.spool.list()?.into_iter().next() else {
            return Ok(());
        };
        let body = match std::fs::read(&e.path) {
            Ok(b) => b,
            // Dropped by an overflow between list and read: list again.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err.into()),
        };
        // Never upload a corrupt file: it would break every later restore.
        let d = match ltx::decode(&body, |_, _| Ok(())) {
            Ok(d) => d,
            Err(err) => {
                sh.spool.remove(&e.path)?;
                sh.state().snapshot_requested = true;
                bail!(
                    "spooled {} is corrupt ({err:#}); dropped, snapshot requested",
                    e.path.display()
                );
            }
        };
        let key = format!(
            "{}/{:04x}/{}",
            sh.remote_path,
            e.level,
            ltx::file_name(d.header.min_txid, d.header.max_txid)
        );
        let ts = header_time(d.header.timestamp_ms);
        let meta = ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        client
            .put_object(&key, body, &[("litestream-timestamp", &meta)])
            .await
            .with_context(|| format!("upload {key}"))?;
        sh.spool.remove(&e.path)?;
        let mut st = sh.state();
        st.shipped_txid = st.shipped_txid.max(e.max_txid);
        st.shipped_at = Some(Utc::now());
        if e.level == ltx::SNAPSHOT_LEVEL {
            st.last_snapshot_at = Some(ts);
        }
    }
}

async fn maintenance(
    sh: &Shared,
    client: &S3Client,
    last_retention: &mut Option<tokio::time::Instant>,
) -> Result<()> {
    let overflow = sh.state().overflow;
    if overflow {
        // Probe so the shipper learns that S3 is back and takes the owed snapshot.
        client
            .list(&format!("{}/{:04x}/", sh.remote_path, ltx::SNAPSHOT_LEVEL))
            .await?;
        sh.state().store_reachable = true;
    }
    let snapshot_spooled = sh
        .spool
        .list()?
        .iter()
        .any(|e| e.level == ltx::SNAPSHOT_LEVEL);
    if !snapshot_spooled {
        let mut st = sh.state();
        let due = st.last_snapshot_at.is_none_or(|t| {
            Utc::now()
                .signed_duration_since(t)
                .to_std()
                .unwrap_or(Duration::ZERO)
                >= sh.opts.snapshot_interval
        });
        if due && st.last_txid > 0 && !st.snapshot_requested {
            st.snapshot_requested = true;
        }
    }
    let due = last_retention.is_none_or(|t| t.elapsed() >= sh.opts.retention_check_interval);
    if due {
        let cutoff = Utc::now() - chrono::Duration::from_std(sh.opts.retention)?;
        let n = retention::enforce(client, &sh.remote_path, cutoff).await?;
        if n > 0 {
            tracing::info!(db = %sh.name, deleted = n, "backup retention");
        }
        *last_retention = Some(tokio::time::Instant::now());
    }
    Ok(())
}

fn header_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(Utc::now)
}

/// Exposed for restore: the creation time of a remote file, from the metadata we write.
pub(crate) async fn created_at(client: &S3Client, f: &RemoteFile) -> Result<Option<DateTime<Utc>>> {
    let meta = client.head_metadata(&f.key).await?.unwrap_or_default();
    let ts = meta
        .iter()
        .find(|(k, _)| k == "litestream-timestamp")
        .and_then(|(_, v)| DateTime::parse_from_rfc3339(v).ok())
        .map(|d| d.with_timezone(&Utc));
    Ok(ts.or(f.last_modified))
}
