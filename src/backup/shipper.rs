//! The writer-thread half of replication: WAL frames (or the whole database) → one spooled LTX.
//!
//! Runs inside [`super::WalShipper::before_checkpoint`], so nothing here touches the network
//! and the only slow step is fsync of the spool file. The first call in a process always
//! writes a snapshot: we cannot prove that nothing was checkpointed away while we were not
//! running (SQLite checkpoints on close), and a snapshot makes that question moot.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use rusqlite::Connection;

use super::Shared;
use super::ltx::{self, Encoder, Header};
use super::wal::{self, WalPos};

/// What the shipper remembers between calls (memory only, see module doc).
#[derive(Debug, Default)]
pub(crate) struct ShipState {
    initialized: bool,
    /// Resume point in the WAL; `None` when the WAL was absent at the last snapshot.
    pos: Option<WalPos>,
    /// Database size in pages as of the last shipped TXID.
    commit: u32,
    page_size: u32,
}

impl ShipState {
    /// A snapshot has been taken by this process (the chain is anchored).
    pub(crate) fn is_initialized(&self) -> bool {
        self.initialized
    }
}

pub(crate) fn ship(sh: &Shared, ss: &mut ShipState, conn: &Connection, db: &Path) -> Result<()> {
    let (requested, overflow, reachable) = {
        let st = sh.state();
        (st.snapshot_requested, st.overflow, st.store_reachable)
    };
    if overflow {
        // Nothing is spooled while S3 is away after an overflow; the snapshot we owe will
        // cover every change, so letting the checkpoint proceed loses nothing.
        if !(reachable && sh.spool.list()?.is_empty()) {
            return Ok(());
        }
        return snapshot(sh, ss, conn, db);
    }
    if !ss.initialized || requested {
        return snapshot(sh, ss, conn, db);
    }
    let Some(mut f) = wal::open(db)? else {
        return Ok(());
    };
    let Some(h) = wal::read_header(&mut f)? else {
        return Ok(());
    };
    if h.page_size != ss.page_size {
        return snapshot(sh, ss, conn, db);
    }
    let from = match ss.pos {
        Some(p) if (p.salt1, p.salt2) == (h.salt1, h.salt2) => {
            if f.metadata()?.len() < p.offset {
                tracing::warn!(db = %sh.name, "WAL shorter than shipped position; taking a snapshot");
                return snapshot(sh, ss, conn, db);
            }
            Some(p)
        }
        // SQLite restarts the WAL with salt1+1 after a complete checkpoint, which we preceded.
        Some(p) if h.salt1 == p.salt1.wrapping_add(1) => None,
        Some(_) => {
            tracing::warn!(db = %sh.name, "WAL restarted without our hook; taking a snapshot");
            return snapshot(sh, ss, conn, db);
        }
        None => None,
    };
    let scan = wal::scan(&mut f, &h, from)?;
    let Some(commit) = scan.commit else {
        return Ok(());
    };
    let lock = ltx::lock_pgno(h.page_size);
    // Growth must come with every new page; if not, our view is wrong and a snapshot is safe.
    if (ss.commit + 1..=commit).any(|p| p != lock && !scan.pages.contains_key(&p)) {
        tracing::warn!(db = %sh.name, "WAL lacks pages of a grown database; taking a snapshot");
        return snapshot(sh, ss, conn, db);
    }
    if spool_full(sh)? {
        return Ok(());
    }
    let txid = next_txid(sh);
    let mut w = sh.spool.create_temp(0, txid, txid)?;
    let header = Header::new(h.page_size, commit, txid, txid, now_ms());
    let mut enc = Encoder::new(&mut w, header)?;
    let mut buf = vec![0u8; h.page_size as usize];
    for (&pgno, &off) in scan.pages.range(..=commit) {
        wal::read_page(&mut f, off, &mut buf)?;
        enc.add_page(pgno, &buf)?;
    }
    enc.finish()?;
    sh.spool.commit(w, 0, txid, txid)?;
    finish(sh, txid, false)?;
    ss.pos = scan.end;
    ss.commit = commit;
    Ok(())
}

/// Writes a level-9 snapshot of the database as `conn` sees it: the main file overlaid with the
/// committed WAL frames, page for page (so later WAL pages diff against it exactly).
fn snapshot(sh: &Shared, ss: &mut ShipState, conn: &Connection, db: &Path) -> Result<()> {
    let ps: u32 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
    let page_count: u32 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    ensure!(
        mode.eq_ignore_ascii_case("wal"),
        "backup: {} is not in WAL mode",
        db.display()
    );
    let mut walf = wal::open(db)?;
    let (scan, pos) = match walf.as_mut() {
        Some(f) => match wal::read_header(f)? {
            Some(h) => {
                ensure!(
                    h.page_size == ps,
                    "backup: WAL page size differs from the database"
                );
                let scan = wal::scan(f, &h, None)?;
                let start = WalPos {
                    salt1: h.salt1,
                    salt2: h.salt2,
                    offset: wal::WAL_HEADER_SIZE,
                    cksum: h.cksum,
                };
                let pos = scan.end.unwrap_or(start);
                (scan, Some(pos))
            }
            None => (wal::WalScan::default(), None),
        },
        None => (wal::WalScan::default(), None),
    };
    if let Some(c) = scan.commit {
        ensure!(
            c == page_count,
            "backup: WAL says {c} pages, SQLite says {page_count}"
        );
    }
    ensure!(page_count > 0, "backup: database {} is empty", db.display());
    let txid = next_txid(sh);
    let mut dbf = File::open(db).with_context(|| format!("open {}", db.display()))?;
    let mut w = sh.spool.create_temp(ltx::SNAPSHOT_LEVEL, 1, txid)?;
    let mut enc = Encoder::new(&mut w, Header::new(ps, page_count, 1, txid, now_ms()))?;
    let mut buf = vec![0u8; ps as usize];
    let lock = ltx::lock_pgno(ps);
    for pgno in (1..=page_count).filter(|&p| p != lock) {
        match (scan.pages.get(&pgno), walf.as_mut()) {
            (Some(&off), Some(f)) => wal::read_page(f, off, &mut buf)?,
            _ => read_db_page(&mut dbf, pgno, &mut buf)?,
        }
        enc.add_page(pgno, &buf)?;
    }
    enc.finish()?;
    sh.spool.commit(w, ltx::SNAPSHOT_LEVEL, 1, txid)?;
    finish(sh, txid, true)?;
    *ss = ShipState {
        initialized: true,
        pos,
        commit: page_count,
        page_size: ps,
    };
    Ok(())
}

fn read_db_page(f: &mut File, pgno: u32, buf: &mut [u8]) -> Result<()> {
    f.seek(SeekFrom::Start(u64::from(pgno - 1) * buf.len() as u64))?;
    match f.read_exact(buf) {
        Ok(()) => Ok(()),
        Err(e) => bail!("backup: database page {pgno} unreadable: {e}"),
    }
}

/// Over the bound: drop what is pending, owe a snapshot, tell the operator; never block.
fn spool_full(sh: &Shared) -> Result<bool> {
    let pending = sh.spool.list()?;
    let bytes: u64 = pending.iter().map(|e| e.size).sum();
    if bytes <= sh.opts.max_spool_bytes {
        return Ok(false);
    }
    for e in &pending {
        sh.spool.remove(&e.path)?;
    }
    let mut st = sh.state();
    st.overflow = true;
    st.store_reachable = false;
    st.last_error = Some(format!(
        "spool over {} bytes: pending files dropped, a snapshot will follow when S3 is back",
        sh.opts.max_spool_bytes
    ));
    tracing::error!(db = %sh.name, bytes, "backup spool full; dropped pending files");
    Ok(true)
}

fn next_txid(sh: &Shared) -> u64 {
    let st = sh.state();
    st.last_txid.max(st.remote_max_txid) + 1
}

fn finish(sh: &Shared, txid: u64, snapshot: bool) -> Result<()> {
    sh.spool.store_txid(txid)?;
    {
        let mut st = sh.state();
        st.last_txid = txid;
        if snapshot {
            st.snapshot_requested = false;
            st.overflow = false;
        }
    }
    sh.notify.notify_one();
    Ok(())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
