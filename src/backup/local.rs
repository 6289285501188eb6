//! Local backups with no S3 at all: `VACUUM INTO` a temp file, gzip it into a target directory
//! as `<name>-<UTC time>.db.gz`, keep the newest N; and the reverse, with an integrity check.
//!
//! gzip via flate2's pure-Rust backend: no C toolchain dependency, and `gunzip` restores by hand.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use rusqlite::Connection;

const SUFFIX: &str = ".db.gz";

/// Writes a compressed, consistent copy of the database `conn` is open on into `dir` and
/// deletes older copies of the same `name` beyond `keep`. Returns the new file.
///
/// `VACUUM INTO` runs in a read transaction, so any connection (a reader) will do and writers
/// are not blocked.
pub fn backup(conn: &Connection, name: &str, dir: &Path, keep: usize) -> Result<PathBuf> {
    ensure!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "local backup: invalid name {name:?}"
    );
    fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let raw = dir.join(format!(".{name}-{stamp}.vacuum.tmp"));
    let gz_tmp = dir.join(format!(".{name}-{stamp}.gz.tmp"));
    let dst = dir.join(format!("{name}-{stamp}{SUFFIX}"));
    let res = (|| -> Result<()> {
        let raw_s = raw.to_str().context("local backup: non-UTF-8 path")?;
        conn.execute("VACUUM INTO ?1", [raw_s])
            .context("VACUUM INTO")?;
        let mut input = BufReader::new(File::open(&raw)?);
        let mut enc = GzEncoder::new(BufWriter::new(File::create(&gz_tmp)?), Compression::new(6));
        std::io::copy(&mut input, &mut enc)?;
        let mut w = enc.finish()?;
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&gz_tmp, &dst)?;
        File::open(dir)?.sync_all()?;
        Ok(())
    })();
    fs::remove_file(&raw).ok();
    if let Err(e) = res {
        fs::remove_file(&gz_tmp).ok();
        return Err(e);
    }
    prune(name, dir, keep)?;
    Ok(dst)
}

/// Local backups of `name` in `dir`, oldest first (the UTC stamp sorts lexically).
pub fn list(name: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    let prefix = format!("{name}-");
    let mut v: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with(&prefix)
                && n.ends_with(SUFFIX)
                // Names like "a-b" must not pick up backups of "a": the rest is a stamp.
                && n[prefix.len()..n.len() - SUFFIX.len()].starts_with(|c: char| c.is_ascii_digit())
                && !n[prefix.len()..].contains('-')
        })
        .map(|e| e.path())
        .collect();
    v.sort();
    Ok(v)
}

fn prune(name: &str, dir: &Path, keep: usize) -> Result<()> {
    let all = list(name, dir)?;
    let excess = all.len().saturating_sub(keep.max(1));
    for p in &all[..excess] {
        fs::remove_file(p).with_context(|| format!("remove {}", p.display()))?;
    }
    Ok(())
}

/// Decompresses a local backup into `output` (which must not exist) and checks its integrity.
pub fn restore(archive: &Path, output: &Path) -> Result<()> {
    if output.exists() {
        bail!("restore: {} exists", output.display());
    }
    let mut tmp = output.as_os_str().to_owned();
    tmp.push(".restore-tmp");
    let tmp = PathBuf::from(tmp);
    let res = (|| -> Result<()> {
        let mut dec = GzDecoder::new(BufReader::new(File::open(archive)?));
        let mut out = File::create(&tmp)?;
        std::io::copy(&mut dec, &mut out).context("local restore: corrupt archive")?;
        out.sync_all()?;
        super::restore::integrity_check(&tmp)
    })();
    if let Err(e) = res {
        fs::remove_file(&tmp).ok();
        return Err(e);
    }
    fs::rename(&tmp, output)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_prune_and_restore() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("a.db");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1),(2);",
        )
        .unwrap();
        let out = d.path().join("bk");
        let mut last = PathBuf::new();
        for _ in 0..3 {
            last = backup(&conn, "a", &out, 2).unwrap();
        }
        assert_eq!(list("a", &out).unwrap().len(), 2);
        let r = d.path().join("r.db");
        restore(&last, &r).unwrap();
        let n: i64 = Connection::open(&r)
            .unwrap()
            .query_row("SELECT sum(x) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
        fs::write(d.path().join("bad.gz"), b"nope").unwrap();
        assert!(restore(&d.path().join("bad.gz"), &d.path().join("r2.db")).is_err());
        assert!(backup(&conn, "../x", &out, 2).is_err());
    }
}
