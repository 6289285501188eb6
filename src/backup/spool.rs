//! Local, durable queue of LTX files waiting for upload, plus the replica's persisted TXID.
//!
//! A file is written to `*.tmp`, fsynced, renamed and the directory fsynced, so after a power
//! cut a spooled file is either whole or absent. Names sort in TXID order:
//! `<maxTXID %016x>-<level %04x>-<minTXID %016x>.ltx`.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One spooled LTX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolEntry {
    pub path: PathBuf,
    pub level: u8,
    pub min_txid: u64,
    pub max_txid: u64,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub fn open(dir: &Path) -> Result<Spool> {
        fs::create_dir_all(dir).with_context(|| format!("create spool {}", dir.display()))?;
        let spool = Spool {
            dir: dir.to_path_buf(),
        };
        // Leftovers of an interrupted write are garbage by construction.
        for e in fs::read_dir(dir)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "tmp") {
                fs::remove_file(&p).ok();
            }
        }
        Ok(spool)
    }

    /// A view of an existing spool without touching it (for status from another process).
    pub fn at(dir: &Path) -> Spool {
        Spool {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Pending files in TXID order.
    pub fn list(&self) -> Result<Vec<SpoolEntry>> {
        let mut out = Vec::new();
        for e in fs::read_dir(&self.dir)? {
            let e = e?;
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some((max, level, min)) = parse_name(name) else {
                continue;
            };
            let size = match e.metadata() {
                Ok(m) => m.len(),
                Err(err) if err.kind() == ErrorKind::NotFound => continue,
                Err(err) => return Err(err.into()),
            };
            out.push(SpoolEntry {
                path: e.path(),
                level,
                min_txid: min,
                max_txid: max,
                size,
            });
        }
        out.sort_by_key(|e| (e.max_txid, e.level));
        Ok(out)
    }

    /// Path of a temp file that [`Spool::commit`] will move into place.
    pub fn temp_path(&self, level: u8, min: u64, max: u64) -> PathBuf {
        self.dir.join(format!("{}.tmp", name(level, min, max)))
    }

    /// Creates a buffered temp file for an LTX being encoded.
    pub fn create_temp(&self, level: u8, min: u64, max: u64) -> Result<BufWriter<File>> {
        let f = File::create(self.temp_path(level, min, max))?;
        Ok(BufWriter::with_capacity(256 * 1024, f))
    }

    /// Makes a finished temp file durable and visible to the uploader.
    pub fn commit(&self, w: BufWriter<File>, level: u8, min: u64, max: u64) -> Result<PathBuf> {
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        let dst = self.dir.join(name(level, min, max));
        fs::rename(self.temp_path(level, min, max), &dst)?;
        sync_dir(&self.dir)?;
        Ok(dst)
    }

    /// Removes a file once uploaded (or dropped on overflow); missing is fine.
    pub fn remove(&self, path: &Path) -> Result<()> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Highest TXID ever assigned here: max of the state file and of pending file names.
    pub fn last_txid(&self) -> Result<u64> {
        let stored = match fs::read_to_string(self.dir.join("txid")) {
            Ok(s) => s
                .trim()
                .parse::<u64>()
                .context("spool: corrupt txid file")?,
            Err(e) if e.kind() == ErrorKind::NotFound => 0,
            Err(e) => return Err(e.into()),
        };
        let pending = self.list()?.iter().map(|e| e.max_txid).max().unwrap_or(0);
        Ok(stored.max(pending))
    }

    /// Persists the TXID counter durably (temp + fsync + rename).
    pub fn store_txid(&self, txid: u64) -> Result<()> {
        let tmp = self.dir.join("txid.tmp");
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        writeln!(f, "{txid}")?;
        f.sync_all()?;
        fs::rename(&tmp, self.dir.join("txid"))?;
        sync_dir(&self.dir)
    }
}

fn name(level: u8, min: u64, max: u64) -> String {
    format!("{max:016x}-{level:04x}-{min:016x}.ltx")
}

fn parse_name(n: &str) -> Option<(u64, u8, u64)> {
    let stem = n.strip_suffix(".ltx")?;
    let mut it = stem.split('-');
    let (a, l, b) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || a.len() != 16 || l.len() != 4 || b.len() != 16 {
        return None;
    }
    Some((
        u64::from_str_radix(a, 16).ok()?,
        u8::from_str_radix(l, 16).ok()?,
        u64::from_str_radix(b, 16).ok()?,
    ))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_txid_and_round_trip() {
        assert_eq!(parse_name(&name(9, 1, 0x20)), Some((0x20, 9, 1)));
        assert!(name(0, 3, 3) < name(0, 0x10, 0x10));
        assert_eq!(parse_name("txid"), None);
    }

    #[test]
    fn commit_then_list_and_txid() {
        let d = tempfile::tempdir().unwrap();
        let s = Spool::open(d.path()).unwrap();
        let mut w = s.create_temp(0, 5, 5).unwrap();
        w.write_all(b"abc").unwrap();
        s.commit(w, 0, 5, 5).unwrap();
        s.store_txid(3).unwrap();
        let l = s.list().unwrap();
        assert_eq!((l.len(), l[0].size, l[0].max_txid), (1, 3, 5));
        assert_eq!(s.last_txid().unwrap(), 5);
    }
}
