//! Remote replica listing and retention: which LTX files can go without losing a restore point.
//!
//! Rule (FORMAT.md §3.5): keep every snapshot newer than the window plus the newest one older
//! than it (the base every point in the window restores from); delete older snapshots and any
//! level 0–8 file at or below the base's TXID. Nothing above the newest snapshot is touched.

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::ltx;
use super::s3::S3Client;

/// One LTX object of a replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub key: String,
    pub level: u8,
    pub min_txid: u64,
    pub max_txid: u64,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
}

/// All LTX files under `<path>/<level>/`, sorted by (level, key). Other objects are ignored.
pub async fn list_replica(client: &S3Client, path: &str) -> Result<Vec<RemoteFile>> {
    let prefix = format!("{}/", path.trim_matches('/'));
    let mut out: Vec<RemoteFile> = client
        .list(&prefix)
        .await?
        .into_iter()
        .filter_map(|o| {
            let rest = o.key.strip_prefix(&prefix)?;
            let (lvl, name) = rest.split_once('/')?;
            if lvl.len() != 4 {
                return None;
            }
            let level = u8::from_str_radix(lvl, 16)
                .ok()
                .filter(|l| *l <= ltx::SNAPSHOT_LEVEL)?;
            let (min_txid, max_txid) = ltx::parse_file_name(name)?;
            Some(RemoteFile {
                key: o.key,
                level,
                min_txid,
                max_txid,
                size: o.size,
                last_modified: o.last_modified,
            })
        })
        .collect();
    out.sort_by_key(|f| (f.level, f.max_txid, f.min_txid));
    Ok(out)
}

/// Keys retention would delete, given a listing and the cutoff time (`now - retention`).
pub fn plan_deletions(files: &[RemoteFile], cutoff: DateTime<Utc>) -> Vec<String> {
    let snaps: Vec<&RemoteFile> = files
        .iter()
        .filter(|f| f.level == ltx::SNAPSHOT_LEVEL)
        .collect();
    // Base: the newest snapshot created before the cutoff; without one nothing is old enough.
    let Some(base) = snaps
        .iter()
        .rev()
        .find(|s| s.last_modified.is_some_and(|t| t < cutoff))
    else {
        return Vec::new();
    };
    files
        .iter()
        .filter(|f| {
            if f.level == ltx::SNAPSHOT_LEVEL {
                f.max_txid < base.max_txid
            } else {
                f.max_txid <= base.max_txid
            }
        })
        .map(|f| f.key.clone())
        .collect()
}

/// Applies retention to one replica; returns how many objects were deleted.
pub async fn enforce(client: &S3Client, path: &str, cutoff: DateTime<Utc>) -> Result<usize> {
    let files = list_replica(client, path).await?;
    let doomed = plan_deletions(&files, cutoff);
    for k in &doomed {
        client.delete_object(k).await?;
    }
    Ok(doomed.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn f(level: u8, min: u64, max: u64, day: u32) -> RemoteFile {
        RemoteFile {
            key: format!("p/{level:04x}/{}", ltx::file_name(min, max)),
            level,
            min_txid: min,
            max_txid: max,
            size: 1,
            last_modified: Some(Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).unwrap()),
        }
    }

    #[test]
    fn keeps_the_base_snapshot_and_everything_after_it() {
        let files = vec![
            f(0, 2, 2, 1),
            f(0, 3, 3, 2),
            f(0, 5, 5, 9),
            f(ltx::SNAPSHOT_LEVEL, 1, 1, 1),
            f(ltx::SNAPSHOT_LEVEL, 1, 4, 3),
            f(ltx::SNAPSHOT_LEVEL, 1, 6, 10),
        ];
        let cutoff = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
        let mut d = plan_deletions(&files, cutoff);
        d.sort();
        assert_eq!(
            d,
            vec![
                files[0].key.clone(),
                files[1].key.clone(),
                files[3].key.clone()
            ]
        );
        let early = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert!(plan_deletions(&files, early).is_empty());
    }
}
