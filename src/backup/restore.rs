//! Our own restore of the LTX layout (no Litestream needed): latest, `--txid N` or
//! `--timestamp T`, written to a temp file, checked with `PRAGMA integrity_check`, then renamed.
//!
//! File choice follows Litestream's `CalcRestorePlan` (FORMAT.md §3.4) so both tools restore the
//! same state: the last snapshot at or below the target, then repeatedly the file that extends
//! the chain furthest. Pages are written straight into the output file in plan order (newest
//! file wins per page), so memory stays at one LTX file, not one database.

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail, ensure};
use chrono::{DateTime, Utc};

use super::ltx;
use super::retention::{RemoteFile, list_replica};
use super::s3::S3Client;
use super::uploader::created_at;

/// Which state to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreTarget {
    Latest,
    /// The state right after this TXID.
    Txid(u64),
    /// The last state committed strictly before this time.
    Timestamp(DateTime<Utc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreOptions {
    pub target: RestoreTarget,
    /// Replace an existing output file (and drop its stale `-wal`/`-shm`).
    pub force: bool,
}

/// What was restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    pub txid: u64,
    pub files: usize,
    pub page_size: u32,
    pub pages: u32,
    pub timestamp: Option<DateTime<Utc>>,
}

/// Chooses the files that rebuild the state at `upto` (`None` = latest).
pub fn plan(files: &[RemoteFile], upto: Option<u64>) -> Result<Vec<RemoteFile>> {
    let limit = upto.unwrap_or(u64::MAX);
    let base = files
        .iter()
        .filter(|f| f.level == ltx::SNAPSHOT_LEVEL && f.max_txid <= limit)
        .max_by_key(|f| f.max_txid);
    let mut out: Vec<RemoteFile> = base.cloned().into_iter().collect();
    let mut cur = base.map_or(0, |b| b.max_txid);
    loop {
        let next = files
            .iter()
            .filter(|f| f.level < ltx::SNAPSHOT_LEVEL)
            .filter(|f| f.min_txid <= cur + 1 && f.max_txid > cur && f.max_txid <= limit)
            .max_by(|a, b| {
                (a.max_txid, std::cmp::Reverse(a.min_txid), a.level).cmp(&(
                    b.max_txid,
                    std::cmp::Reverse(b.min_txid),
                    b.level,
                ))
            });
        match next {
            Some(f) => {
                ensure!(
                    cur > 0 || f.min_txid == 1,
                    "restore: no snapshot to start from"
                );
                cur = f.max_txid;
                out.push(f.clone());
            }
            None => break,
        }
    }
    ensure!(!out.is_empty(), "restore: no backup files found");
    match upto {
        None => {
            if let Some(f) = files
                .iter()
                .find(|f| f.level < ltx::SNAPSHOT_LEVEL && f.min_txid > cur + 1)
            {
                bail!(
                    "restore: non-contiguous ltx files (stuck at TXID {cur}, next is {})",
                    f.key
                );
            }
        }
        Some(t) => ensure!(
            cur == t,
            "restore: TXID {t} is not available (reachable: {cur})"
        ),
    }
    Ok(out)
}

/// Finds the newest TXID created strictly before `t` (binary search over the TXID order, one
/// HEAD per step: creation times grow with TXIDs since one writer assigns both).
async fn txid_before(client: &S3Client, files: &[RemoteFile], t: DateTime<Utc>) -> Result<u64> {
    let mut sorted: Vec<&RemoteFile> = files.iter().collect();
    sorted.sort_by_key(|f| (f.max_txid, f.level));
    sorted.dedup_by_key(|f| f.max_txid);
    let (mut lo, mut hi) = (0usize, sorted.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let created = created_at(client, sorted[mid])
            .await?
            .ok_or_else(|| anyhow!("restore: no time for {}", sorted[mid].key))?;
        if created < t { lo = mid + 1 } else { hi = mid }
    }
    ensure!(lo > 0, "restore: no backup older than {t}");
    Ok(sorted[lo - 1].max_txid)
}

/// Restores the replica at `path` into `output`.
pub async fn restore(
    client: &S3Client,
    path: &str,
    output: &Path,
    opts: RestoreOptions,
) -> Result<RestoreReport> {
    if output.exists() && !opts.force {
        bail!(
            "restore: {} exists (use force to replace it)",
            output.display()
        );
    }
    let files = list_replica(client, path).await?;
    ensure!(!files.is_empty(), "restore: no backup under {path}");
    let upto = match opts.target {
        RestoreTarget::Latest => None,
        RestoreTarget::Txid(n) => Some(n),
        RestoreTarget::Timestamp(t) => Some(txid_before(client, &files, t).await?),
    };
    let chosen = plan(&files, upto)?;
    let tmp = sibling(output, ".restore-tmp");
    remove_db_files(&tmp)?;
    let res = apply(client, &chosen, &tmp).await.and_then(|r| {
        integrity_check(&tmp)?;
        Ok(r)
    });
    let report = match res {
        Ok(r) => r,
        Err(e) => {
            remove_db_files(&tmp).ok();
            return Err(e);
        }
    };
    remove_db_files(output)?;
    fs::rename(&tmp, output).with_context(|| format!("rename to {}", output.display()))?;
    Ok(report)
}

async fn apply(client: &S3Client, chosen: &[RemoteFile], tmp: &Path) -> Result<RestoreReport> {
    let mut out = OpenOptions::new().create_new(true).write(true).open(tmp)?;
    let mut last: Option<ltx::Header> = None;
    for f in chosen {
        let body = client
            .get_object(&f.key)
            .await?
            .ok_or_else(|| anyhow!("restore: {} vanished", f.key))?;
        let hdr = ltx::Header::parse(&body)?;
        ensure!(
            (hdr.min_txid, hdr.max_txid) == (f.min_txid, f.max_txid),
            "restore: {} holds TXIDs {}-{}",
            f.key,
            hdr.min_txid,
            hdr.max_txid
        );
        if let Some(prev) = last {
            ensure!(
                prev.page_size == hdr.page_size,
                "restore: page size changes at {}",
                f.key
            );
        }
        let ps = u64::from(hdr.page_size);
        ltx::decode(&body, |pgno, page| {
            out.seek(SeekFrom::Start(u64::from(pgno - 1) * ps))?;
            out.write_all(page)?;
            Ok(())
        })
        .with_context(|| format!("restore: {}", f.key))?;
        last = Some(hdr);
    }
    let h = last.ok_or_else(|| anyhow!("restore: empty plan"))?;
    // The last file's commit is the database size: this drops pages of a shrunk database and
    // zero-fills the never-written lock page.
    out.set_len(u64::from(h.commit) * u64::from(h.page_size))?;
    out.sync_all()?;
    Ok(RestoreReport {
        txid: h.max_txid,
        files: chosen.len(),
        page_size: h.page_size,
        pages: h.commit,
        timestamp: DateTime::from_timestamp_millis(h.timestamp_ms),
    })
}

/// Runs `PRAGMA integrity_check` and fails unless SQLite answers exactly `ok`.
pub fn integrity_check(db: &Path) -> Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ensure!(
        rows == ["ok"],
        "integrity_check failed: {}",
        rows.join("; ")
    );
    drop(stmt);
    conn.close().map_err(|(_, e)| e)?;
    Ok(())
}

fn sibling(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Removes a database file with its `-wal`/`-shm`: a stale WAL next to a restored file would be
/// replayed over it by SQLite.
fn remove_db_files(p: &Path) -> Result<()> {
    for f in [p.to_path_buf(), sibling(p, "-wal"), sibling(p, "-shm")] {
        match fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("remove {}", f.display())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(level: u8, min: u64, max: u64) -> RemoteFile {
        RemoteFile {
            key: format!("p/{level:04x}/{}", ltx::file_name(min, max)),
            level,
            min_txid: min,
            max_txid: max,
            size: 1,
            last_modified: None,
        }
    }

    #[test]
    fn plans_like_litestream() {
        let files = vec![
            f(0, 2, 2),
            f(0, 3, 3),
            f(0, 4, 4),
            f(0, 6, 6),
            f(0, 7, 7),
            f(9, 1, 1),
            f(9, 1, 5),
        ];
        let keys = |v: Vec<RemoteFile>| {
            v.into_iter()
                .map(|f| (f.level, f.max_txid))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(plan(&files, None).unwrap()),
            vec![(9, 5), (0, 6), (0, 7)]
        );
        assert_eq!(
            keys(plan(&files, Some(3)).unwrap()),
            vec![(9, 1), (0, 2), (0, 3)]
        );
        assert!(plan(&files, Some(9)).is_err());
        let gap = vec![f(9, 1, 1), f(0, 3, 3)];
        assert!(plan(&gap, None).is_err());
        assert!(plan(&[f(0, 2, 2)], None).is_err());
        assert_eq!(
            keys(plan(&[f(0, 1, 1), f(0, 2, 2)], None).unwrap()),
            vec![(0, 1), (0, 2)]
        );
    }
}
