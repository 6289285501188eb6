//! Reader for SQLite's `-wal` file: validates salts and the running checksum the way SQLite's
//! own recovery does and reports which pages the committed frames hold.
//!
//! SQLite silently ignores everything after the first frame with a wrong salt or checksum and
//! everything after the last commit frame, so we stop at exactly the same place: what we ship
//! is what a reader of the database sees, never a half-written or rolled-back transaction.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result, ensure};

pub const WAL_HEADER_SIZE: u64 = 32;
const FRAME_HEADER_SIZE: usize = 24;

/// The 32-byte WAL header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalHeader {
    /// Checksums are computed over big-endian words (magic 0x377f0683) or little-endian ones.
    pub big_endian: bool,
    pub page_size: u32,
    pub salt1: u32,
    pub salt2: u32,
    pub cksum: (u32, u32),
}

/// A resume point: just after a commit frame of the WAL generation named by the salts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalPos {
    pub salt1: u32,
    pub salt2: u32,
    /// File offset of the first frame not yet consumed.
    pub offset: u64,
    /// Running checksum after the last consumed frame (the seed for the next one).
    pub cksum: (u32, u32),
}

/// Committed frames found after a resume point.
#[derive(Debug, Default)]
pub struct WalScan {
    /// Newest committed frame per page: file offset of the page data (after the frame header).
    pub pages: BTreeMap<u32, u64>,
    /// Database size in pages after the last commit found; `None` when no commit was found.
    pub commit: Option<u32>,
    /// Where the next scan starts (unchanged when nothing was committed).
    pub end: Option<WalPos>,
}

/// Reads and validates the WAL header; `None` when the WAL is absent, empty or not (yet) valid.
pub fn read_header(file: &mut File) -> Result<Option<WalHeader>> {
    let mut b = [0u8; WAL_HEADER_SIZE as usize];
    file.seek(SeekFrom::Start(0))?;
    match file.read_exact(&mut b) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let magic = be32(&b[0..4]);
    if magic & !1 != 0x377f_0682 {
        return Ok(None);
    }
    let big_endian = magic & 1 == 1;
    let page_size = be32(&b[8..12]);
    ensure!(
        page_size.is_power_of_two() && (512..=65536).contains(&page_size),
        "wal: invalid page size {page_size}"
    );
    let cksum = checksum(big_endian, (0, 0), &b[0..24]);
    if cksum != (be32(&b[24..28]), be32(&b[28..32])) {
        return Ok(None);
    }
    Ok(Some(WalHeader {
        big_endian,
        page_size,
        salt1: be32(&b[16..20]),
        salt2: be32(&b[20..24]),
        cksum,
    }))
}

/// Opens `<db>-wal`; `None` if it does not exist (after a TRUNCATE checkpoint or before the
/// first write).
pub fn open(db_path: &Path) -> Result<Option<File>> {
    let mut p = db_path.as_os_str().to_owned();
    p.push("-wal");
    match File::open(&p) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("open {}", Path::new(&p).display())),
    }
}

/// Scans committed frames starting at `from` (or at the first frame when `None`).
pub fn scan(file: &mut File, h: &WalHeader, from: Option<WalPos>) -> Result<WalScan> {
    let (mut offset, mut ck) = match from {
        Some(p) => (p.offset, p.cksum),
        None => (WAL_HEADER_SIZE, h.cksum),
    };
    let ps = h.page_size as usize;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(offset))?;
    let mut rd = std::io::BufReader::with_capacity(256 * 1024, &mut *file);
    let mut frame = vec![0u8; FRAME_HEADER_SIZE + ps];
    let mut pending: Vec<(u32, u64)> = Vec::new();
    let mut out = WalScan::default();
    while offset + frame.len() as u64 <= len {
        rd.read_exact(&mut frame)?;
        let (fh, data) = frame.split_at(FRAME_HEADER_SIZE);
        if be32(&fh[8..12]) != h.salt1 || be32(&fh[12..16]) != h.salt2 {
            break;
        }
        let c = checksum(h.big_endian, checksum(h.big_endian, ck, &fh[0..8]), data);
        if c != (be32(&fh[16..20]), be32(&fh[20..24])) {
            break;
        }
        ck = c;
        let pgno = be32(&fh[0..4]);
        pending.push((pgno, offset + FRAME_HEADER_SIZE as u64));
        offset += frame.len() as u64;
        let commit = be32(&fh[4..8]);
        if commit != 0 {
            // Only a commit frame makes the frames before it part of the database.
            out.pages.extend(pending.drain(..));
            out.commit = Some(commit);
            out.end = Some(WalPos {
                salt1: h.salt1,
                salt2: h.salt2,
                offset,
                cksum: ck,
            });
        }
    }
    Ok(out)
}

/// Reads one page's data at `offset` (as reported in [`WalScan::pages`]).
pub fn read_page(file: &mut File, offset: u64, buf: &mut [u8]) -> Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf).context("wal: short page read")
}

/// SQLite's WAL checksum: `s0 += w0 + s1; s1 += w1 + s0` over pairs of 32-bit words.
fn checksum(big_endian: bool, (mut s0, mut s1): (u32, u32), data: &[u8]) -> (u32, u32) {
    for w in data.chunks_exact(8) {
        let (w0, w1) = if big_endian {
            (be32(&w[0..4]), be32(&w[4..8]))
        } else {
            (le32(&w[0..4]), le32(&w[4..8]))
        };
        s0 = s0.wrapping_add(w0).wrapping_add(s1);
        s1 = s1.wrapping_add(w1).wrapping_add(s0);
    }
    (s0, s1)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}
