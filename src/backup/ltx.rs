//! LTX v0.5 files (Litestream's replica format): streaming encoder, validating decoder, key names.
//!
//! Byte layout per `shared/fixtures/litestream/FORMAT.md` §3.2: a 100-byte big-endian header,
//! pages in ascending pgno order, a 6-byte zero end marker, a uvarint page index, and a 16-byte
//! trailer whose file checksum is `0x8000000000000000 | CRC-64/GO-ISO` over the header, page
//! headers, *uncompressed* page data and everything after the page block. We write the legacy
//! LZ4-frame page encoding (readable by every Litestream 0.5.x); we read both encodings so a
//! bucket written by Litestream 0.5.16+ restores with our restore too.

use std::io::{Read, Write};

use anyhow::{Context, Result, anyhow, bail, ensure};
use crc::{CRC_64_GO_ISO, Crc, Digest};

pub const HEADER_SIZE: usize = 100;
pub const TRAILER_SIZE: usize = 16;
/// The only header flag a valid file may carry: checksums of pages/DB are not tracked.
pub const FLAG_NO_CHECKSUM: u32 = 0x2;
/// Page header flag of the ltx v0.5.2 "block" encoding (u32 length + raw LZ4 block).
const PAGE_FLAG_SIZE: u16 = 0x1;
const CHECKSUM_FLAG: u64 = 0x8000_0000_0000_0000;
/// Level that holds full snapshots (`SnapshotLevel` upstream).
pub const SNAPSHOT_LEVEL: u8 = 9;
const LZ4_MAGIC: u32 = 0x184D_2204;

pub static CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_GO_ISO);

/// The fields of an LTX header we set or read; the WAL/node fields are always written as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub flags: u32,
    pub page_size: u32,
    /// Database size in pages after applying this file.
    pub commit: u32,
    pub min_txid: u64,
    pub max_txid: u64,
    pub timestamp_ms: i64,
}

impl Header {
    pub fn new(page_size: u32, commit: u32, min_txid: u64, max_txid: u64, ts_ms: i64) -> Self {
        Header {
            flags: FLAG_NO_CHECKSUM,
            page_size,
            commit,
            min_txid,
            max_txid,
            timestamp_ms: ts_ms,
        }
    }

    /// A snapshot is any file starting at TXID 1: it must hold every page 1..=commit.
    pub fn is_snapshot(&self) -> bool {
        self.min_txid == 1
    }

    fn to_bytes(self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..4].copy_from_slice(b"LTX1");
        b[4..8].copy_from_slice(&self.flags.to_be_bytes());
        b[8..12].copy_from_slice(&self.page_size.to_be_bytes());
        b[12..16].copy_from_slice(&self.commit.to_be_bytes());
        b[16..24].copy_from_slice(&self.min_txid.to_be_bytes());
        b[24..32].copy_from_slice(&self.max_txid.to_be_bytes());
        b[32..40].copy_from_slice(&self.timestamp_ms.to_be_bytes());
        b
    }

    /// Parses and validates the first 100 bytes of an LTX file.
    pub fn parse(b: &[u8]) -> Result<Header> {
        ensure!(b.len() >= HEADER_SIZE, "ltx: file shorter than its header");
        ensure!(&b[0..4] == b"LTX1", "ltx: bad magic");
        let h = Header {
            flags: be32(&b[4..8]),
            page_size: be32(&b[8..12]),
            commit: be32(&b[12..16]),
            min_txid: be64(&b[16..24]),
            max_txid: be64(&b[24..32]),
            timestamp_ms: be64(&b[32..40]) as i64,
        };
        ensure!(
            h.flags & !FLAG_NO_CHECKSUM == 0,
            "ltx: unknown header flags {:#x}",
            h.flags
        );
        ensure!(
            h.page_size.is_power_of_two() && (512..=65536).contains(&h.page_size),
            "ltx: invalid page size {}",
            h.page_size
        );
        ensure!(
            h.min_txid >= 1 && h.max_txid >= h.min_txid,
            "ltx: invalid TXID range"
        );
        Ok(h)
    }
}

/// SQLite's lock-byte page: never stored in LTX, zero-filled on restore.
pub fn lock_pgno(page_size: u32) -> u32 {
    0x4000_0000 / page_size + 1
}

/// `<min %016x>-<max %016x>.ltx`, the object name under `<path>/<level %04x>/`.
pub fn file_name(min_txid: u64, max_txid: u64) -> String {
    format!("{min_txid:016x}-{max_txid:016x}.ltx")
}

/// Inverse of [`file_name`]; `None` for anything that is not an LTX object name.
pub fn parse_file_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".ltx")?;
    let (a, b) = stem.split_once('-')?;
    if a.len() != 16 || b.len() != 16 {
        return None;
    }
    Some((
        u64::from_str_radix(a, 16).ok()?,
        u64::from_str_radix(b, 16).ok()?,
    ))
}

/// Writes one LTX file page by page; the caller supplies pages in strictly ascending order.
pub struct Encoder<W: Write> {
    out: W,
    digest: Digest<'static, u64>,
    header: Header,
    offset: u64,
    last_pgno: u32,
    index: Vec<(u32, u64, u64)>,
}

impl<W: Write> Encoder<W> {
    pub fn new(mut out: W, header: Header) -> Result<Self> {
        ensure!(
            header.flags == FLAG_NO_CHECKSUM,
            "ltx: encoder writes NoChecksum files only"
        );
        let bytes = header.to_bytes();
        Header::parse(&bytes)?;
        out.write_all(&bytes)?;
        let mut digest = CRC64.digest();
        digest.update(&bytes);
        Ok(Encoder {
            out,
            digest,
            header,
            offset: HEADER_SIZE as u64,
            last_pgno: 0,
            index: Vec::new(),
        })
    }

    pub fn add_page(&mut self, pgno: u32, data: &[u8]) -> Result<()> {
        ensure!(pgno > self.last_pgno, "ltx: page {pgno} out of order");
        ensure!(pgno <= self.header.commit, "ltx: page {pgno} beyond commit");
        ensure!(
            pgno != lock_pgno(self.header.page_size),
            "ltx: lock page must not be written"
        );
        ensure!(
            data.len() == self.header.page_size as usize,
            "ltx: page {pgno} has wrong size"
        );
        let frame = lz4_frame(data)?;
        let mut ph = [0u8; 6];
        ph[0..4].copy_from_slice(&pgno.to_be_bytes());
        self.out.write_all(&ph)?;
        self.out.write_all(&frame)?;
        self.digest.update(&ph);
        self.digest.update(data);
        let size = (ph.len() + frame.len()) as u64;
        self.index.push((pgno, self.offset, size));
        self.offset += size;
        self.last_pgno = pgno;
        Ok(())
    }

    /// Writes end marker, index and trailer; returns the writer and the file checksum.
    pub fn finish(mut self) -> Result<(W, u64)> {
        let mut tail = vec![0u8; 6];
        let start = tail.len();
        for &(pgno, off, size) in &self.index {
            put_uvarint(&mut tail, pgno.into());
            put_uvarint(&mut tail, off);
            put_uvarint(&mut tail, size);
        }
        put_uvarint(&mut tail, 0);
        let index_len = (tail.len() - start) as u64;
        tail.extend_from_slice(&index_len.to_be_bytes());
        tail.extend_from_slice(&0u64.to_be_bytes()); // post-apply checksum: none (NoChecksum)
        self.digest.update(&tail);
        let checksum = CHECKSUM_FLAG | self.digest.finalize();
        tail.extend_from_slice(&checksum.to_be_bytes());
        self.out.write_all(&tail)?;
        Ok((self.out, checksum))
    }
}

/// One LZ4 frame holding exactly one page, in the form Litestream ≤0.5.15 writes: 64 KiB
/// independent blocks, content checksum on (0.5.16+ reads 8 footer bytes and rejects files
/// without it), no block checksums, no content size.
fn lz4_frame(data: &[u8]) -> Result<Vec<u8>> {
    use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .content_checksum(true);
    let mut enc = FrameEncoder::with_frame_info(info, Vec::with_capacity(data.len() / 2 + 32));
    enc.write_all(data)?;
    enc.finish().map_err(|e| anyhow!("lz4 frame encode: {e}"))
}

/// A decoded file: its header and the checksum found in (and verified against) the trailer.
#[derive(Debug, Clone, Copy)]
pub struct Decoded {
    pub header: Header,
    pub checksum: u64,
    pub page_count: usize,
}

/// Validates a whole LTX file and hands every page, in order, to `on_page`.
///
/// Everything is checked (header, page order, lock page, sizes, LZ4 frames, index, file
/// checksum); any malformation is an error, never a panic. Pages are delivered before the file
/// checksum is known, so callers must treat their output as tentative until this returns Ok.
pub fn decode<F>(file: &[u8], mut on_page: F) -> Result<Decoded>
where
    F: FnMut(u32, &[u8]) -> Result<()>,
{
    let header = Header::parse(file)?;
    ensure!(
        file.len() >= HEADER_SIZE + 6 + TRAILER_SIZE + 8,
        "ltx: file truncated"
    );
    let ps = header.page_size as usize;
    let mut digest = CRC64.digest();
    digest.update(&file[..HEADER_SIZE]);
    let mut pos = HEADER_SIZE;
    let mut seen: Vec<(u32, u64, u64)> = Vec::new();
    let mut page = Vec::with_capacity(ps);
    loop {
        let ph = slice(file, pos, 6)?;
        let pgno = be32(&ph[0..4]);
        let flags = u16::from_be_bytes([ph[4], ph[5]]);
        if pgno == 0 {
            ensure!(flags == 0, "ltx: bad end marker");
            break;
        }
        ensure!(
            seen.last().is_none_or(|l| pgno > l.0),
            "ltx: page {pgno} out of order"
        );
        ensure!(
            pgno <= header.commit,
            "ltx: page {pgno} beyond commit {}",
            header.commit
        );
        ensure!(
            pgno != lock_pgno(header.page_size),
            "ltx: file contains the lock page"
        );
        digest.update(ph);
        let start = pos;
        pos += 6;
        page.clear();
        match flags {
            0 => {
                let len = lz4_frame_len(&file[pos..])?;
                // take() bounds what a hostile frame can make us allocate.
                lz4_flex::frame::FrameDecoder::new(&file[pos..pos + len])
                    .take(ps as u64 + 1)
                    .read_to_end(&mut page)
                    .with_context(|| format!("ltx: page {pgno}: bad lz4 frame"))?;
                pos += len;
            }
            PAGE_FLAG_SIZE => {
                let lb = slice(file, pos, 4)?;
                digest.update(lb);
                let len = be32(lb) as usize;
                let block = slice(file, pos + 4, len)?;
                page = lz4_flex::block::decompress(block, ps)
                    .with_context(|| format!("ltx: page {pgno}: bad lz4 block"))?;
                pos += 4 + len;
            }
            f => bail!("ltx: page {pgno}: unknown page flags {f:#x}"),
        }
        ensure!(
            page.len() == ps,
            "ltx: page {pgno} decodes to {} bytes",
            page.len()
        );
        digest.update(&page);
        on_page(pgno, &page)?;
        seen.push((pgno, start as u64, (pos - start) as u64));
    }
    // The index and trailer are hashed raw, from the end marker up to the file checksum.
    let end = file.len() - 8;
    ensure!(
        pos + 6 + 1 + 24 <= file.len(),
        "ltx: missing index or trailer"
    );
    digest.update(&file[pos..end]);
    let index_len = be64(slice(file, file.len() - TRAILER_SIZE - 8, 8)?);
    let index_start = pos + 6;
    ensure!(
        (index_start as u64).checked_add(index_len) == Some((end - TRAILER_SIZE) as u64),
        "ltx: index length does not match file size"
    );
    check_index(&file[index_start..index_start + index_len as usize], &seen)?;
    if header.is_snapshot() {
        let lock = lock_pgno(header.page_size);
        let expect = header.commit as usize - usize::from(header.commit >= lock);
        ensure!(
            seen.len() == expect,
            "ltx: snapshot lacks pages ({} of {expect})",
            seen.len()
        );
    }
    let checksum = be64(&file[end..]);
    let computed = CHECKSUM_FLAG | digest.finalize();
    ensure!(
        checksum == computed,
        "ltx: file checksum mismatch ({checksum:#x} != {computed:#x})"
    );
    Ok(Decoded {
        header,
        checksum,
        page_count: seen.len(),
    })
}

fn check_index(mut idx: &[u8], seen: &[(u32, u64, u64)]) -> Result<()> {
    for &(pgno, off, size) in seen {
        let got = (
            get_uvarint(&mut idx)?,
            get_uvarint(&mut idx)?,
            get_uvarint(&mut idx)?,
        );
        ensure!(
            got == (pgno.into(), off, size),
            "ltx: page index disagrees at page {pgno}"
        );
    }
    ensure!(
        get_uvarint(&mut idx)? == 0 && idx.is_empty(),
        "ltx: bad page index terminator"
    );
    Ok(())
}

/// Length of the LZ4 frame at the start of `b`, found by walking its block headers; the
/// legacy page encoding stores no length, so this is how the next page is located.
fn lz4_frame_len(b: &[u8]) -> Result<usize> {
    ensure!(
        be32_le(slice(b, 0, 4)?) == LZ4_MAGIC,
        "ltx: page is not an lz4 frame"
    );
    let flg = slice(b, 4, 1)?[0];
    let mut pos = 6 + if flg & 0x08 != 0 { 8 } else { 0 } + if flg & 0x01 != 0 { 4 } else { 0 } + 1;
    loop {
        let size = be32_le(slice(b, pos, 4)?);
        pos += 4;
        if size == 0 {
            break;
        }
        pos += (size & 0x7FFF_FFFF) as usize + if flg & 0x10 != 0 { 4 } else { 0 };
    }
    if flg & 0x04 != 0 {
        pos += 4;
    }
    slice(b, 0, pos)?;
    Ok(pos)
}

fn slice(b: &[u8], at: usize, n: usize) -> Result<&[u8]> {
    b.get(
        at..at
            .checked_add(n)
            .ok_or_else(|| anyhow!("ltx: length overflow"))?,
    )
    .ok_or_else(|| anyhow!("ltx: file truncated at byte {at}"))
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be32_le(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn be64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_uvarint(b: &mut &[u8]) -> Result<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = b
            .split_first()
            .ok_or_else(|| anyhow!("ltx: index truncated"))?;
        *b = rest;
        v |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    bail!("ltx: index varint too long")
}

#[cfg(test)]
#[path = "ltx_tests.rs"]
mod tests;
