//! Unit tests for the LTX encoder/decoder: our own files decode with every checksum checked.

use super::*;

fn page(ps: usize, seed: u32) -> Vec<u8> {
    // Half compressible, half pseudo-random so both LZ4 paths (compressed, stored) are hit.
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..ps)
        .map(|i| {
            if i < ps / 2 {
                (seed % 7) as u8
            } else {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            }
        })
        .collect()
}

fn encode(h: Header, pages: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut enc = Encoder::new(Vec::new(), h).unwrap();
    for (n, p) in pages {
        enc.add_page(*n, p).unwrap();
    }
    enc.finish().unwrap().0
}

#[test]
fn crc64_is_go_iso() {
    assert_eq!(CRC64.checksum(b"123456789"), 0xb90956c775a41001);
}

#[test]
fn snapshot_round_trip_checks_every_checksum() {
    let ps = 4096u32;
    let pages: Vec<_> = (1..=5).map(|n| (n, page(ps as usize, n))).collect();
    let file = encode(Header::new(ps, 5, 1, 3, 1_700_000_000_123), &pages);
    // Litestream's legacy page form: pgno, flags 0, then an LZ4 frame with FLG 0x64 BD 0x40.
    assert_eq!(&file[100..106], &[0, 0, 0, 1, 0, 0]);
    assert_eq!(&file[106..112], &[0x04, 0x22, 0x4D, 0x18, 0x64, 0x40]);
    let mut got = Vec::new();
    let d = decode(&file, |n, p| {
        got.push((n, p.to_vec()));
        Ok(())
    })
    .unwrap();
    assert_eq!(got, pages);
    assert_eq!(d.header.min_txid, 1);
    assert_eq!(d.header.max_txid, 3);
    assert_eq!(d.header.timestamp_ms, 1_700_000_000_123);
    assert_eq!(d.header.flags, FLAG_NO_CHECKSUM);
    assert_eq!(d.checksum >> 63, 1, "file checksum carries the flag bit");
    // Trailer: post-apply checksum 0, then the file checksum recomputed independently.
    let n = file.len();
    assert_eq!(&file[n - 16..n - 8], &[0; 8]);
    let want = 0x8000_0000_0000_0000 | {
        let mut dg = CRC64.digest();
        dg.update(&file[..100]);
        for (pg, data) in &pages {
            dg.update(&pg.to_be_bytes());
            dg.update(&[0, 0]);
            dg.update(data);
        }
        let end_marker = n - 24 - d_index_len(&file) - 6;
        dg.update(&file[end_marker..n - 8]);
        dg.finalize()
    };
    assert_eq!(d.checksum, want);
}

fn d_index_len(file: &[u8]) -> usize {
    let n = file.len();
    u64::from_be_bytes(file[n - 24..n - 16].try_into().unwrap()) as usize
}

#[test]
fn incremental_may_hold_any_ascending_subset() {
    let ps = 512u32;
    let pages = vec![(2, page(512, 2)), (9, page(512, 9))];
    let file = encode(Header::new(ps, 9, 7, 7, 0), &pages);
    let d = decode(&file, |_, _| Ok(())).unwrap();
    assert_eq!(d.page_count, 2);
    assert!(!d.header.is_snapshot());
}

#[test]
fn encoder_rejects_bad_input() {
    let h = Header::new(4096, 3, 2, 2, 0);
    let mut enc = Encoder::new(Vec::new(), h).unwrap();
    enc.add_page(2, &page(4096, 2)).unwrap();
    assert!(enc.add_page(2, &page(4096, 2)).is_err(), "duplicate page");
    assert!(enc.add_page(4, &page(4096, 4)).is_err(), "beyond commit");
    assert!(enc.add_page(3, &[0u8; 10]).is_err(), "short page");
    let big = Header::new(4096, 300_000, 2, 2, 0);
    let mut enc = Encoder::new(Vec::new(), big).unwrap();
    assert!(
        enc.add_page(lock_pgno(4096), &page(4096, 1)).is_err(),
        "lock page"
    );
}

#[test]
fn snapshot_missing_a_page_is_rejected() {
    let pages = vec![(1, page(512, 1)), (3, page(512, 3))];
    let file = encode(Header::new(512, 3, 1, 1, 0), &pages);
    assert!(decode(&file, |_, _| Ok(())).is_err());
}

#[test]
fn corruption_is_an_error_never_a_panic() {
    let pages: Vec<_> = (1..=3).map(|n| (n, page(512, n))).collect();
    let file = encode(Header::new(512, 3, 1, 1, 0), &pages);
    // A flip must be an error, unless it changes nothing that matters: e.g. a different LZ4
    // match offset inside a run of equal bytes decodes to the very same page.
    for i in 0..file.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = file.clone();
            bad[i] ^= bit;
            let mut got = Vec::new();
            let res = decode(&bad, |n, p| {
                got.push((n, p.to_vec()));
                Ok(())
            });
            assert!(
                res.is_err() || got == pages,
                "flip {bit:#x} at byte {i} undetected"
            );
        }
    }
    for len in 0..file.len() {
        assert!(
            decode(&file[..len], |_, _| Ok(())).is_err(),
            "truncation to {len}"
        );
    }
}

#[test]
fn block_encoded_pages_from_newer_litestream_decode() {
    // Build a v0.5.2 "block" file by hand: pgno | 0x0001 | u32 len | raw block.
    let ps = 1024usize;
    let data = page(ps, 42);
    let h = Header::new(ps as u32, 1, 1, 1, 5);
    let mut f = h.to_bytes().to_vec();
    let mut dg = CRC64.digest();
    dg.update(&f);
    let block = lz4_flex::block::compress(&data);
    let mut ph = vec![0, 0, 0, 1, 0, 1];
    ph.extend_from_slice(&(block.len() as u32).to_be_bytes());
    dg.update(&ph);
    dg.update(&data);
    let off = f.len() as u64;
    f.extend_from_slice(&ph);
    f.extend_from_slice(&block);
    let size = f.len() as u64 - off;
    let mut tail = vec![0u8; 6];
    let mut idx = Vec::new();
    put_uvarint(&mut idx, 1);
    put_uvarint(&mut idx, off);
    put_uvarint(&mut idx, size);
    put_uvarint(&mut idx, 0);
    tail.extend_from_slice(&idx);
    tail.extend_from_slice(&(idx.len() as u64).to_be_bytes());
    tail.extend_from_slice(&[0; 8]);
    dg.update(&tail);
    tail.extend_from_slice(&(CHECKSUM_FLAG | dg.finalize()).to_be_bytes());
    f.extend_from_slice(&tail);
    let mut got = Vec::new();
    decode(&f, |_, p| {
        got = p.to_vec();
        Ok(())
    })
    .unwrap();
    assert_eq!(got, data);
}

#[test]
fn file_names_round_trip() {
    assert_eq!(file_name(1, 0x2a), "0000000000000001-000000000000002a.ltx");
    assert_eq!(parse_file_name(&file_name(7, 9)), Some((7, 9)));
    assert_eq!(parse_file_name("0001-0002.ltx"), None);
    assert_eq!(
        parse_file_name("000000000000000g-0000000000000001.ltx"),
        None
    );
    assert_eq!(lock_pgno(4096), 262_145);
}
