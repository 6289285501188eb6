//! Shared harness of the backup tests: outside tools (moto, real Litestream), a writer that
//! behaves like the db layer's, and table-by-table comparison of databases.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use autonomo::backup::{Replica, S3Config, WalShipper};
use rusqlite::Connection;

pub mod server;

pub const BUCKET: &str = "lsbucket";

/// Where the outside tools are; a missing tool fails the test with instructions, never skips.
pub struct Tools {
    pub litestream_dir: PathBuf,
    pub moto: PathBuf,
}

impl Tools {
    pub fn from_env() -> Tools {
        let how = "install them with `tests/support/backup-tools.sh DIR` and export what it prints";
        let dir = std::env::var_os("AUTONOMO_TEST_LITESTREAM_DIR")
            .unwrap_or_else(|| panic!("AUTONOMO_TEST_LITESTREAM_DIR is not set: {how}"));
        let moto = std::env::var_os("AUTONOMO_TEST_MOTO")
            .unwrap_or_else(|| panic!("AUTONOMO_TEST_MOTO is not set: {how}"));
        let t = Tools {
            litestream_dir: PathBuf::from(dir),
            moto: PathBuf::from(moto),
        };
        for v in ["0.5.17", "0.5.5"] {
            let b = t.litestream(v);
            assert!(b.is_file(), "missing {}: {how}", b.display());
        }
        assert!(t.moto.is_file(), "missing {}: {how}", t.moto.display());
        t
    }

    pub fn litestream(&self, version: &str) -> PathBuf {
        self.litestream_dir
            .join(format!("litestream-{version}/bin/litestream"))
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A moto S3 server on 127.0.0.1, killed (by its own pid) on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start(tools: &Tools, port: u16) -> Moto {
        let child = Command::new(&tools.moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, port }
    }

    pub fn stop(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    /// SIGSTOP/SIGCONT: the store hangs (connections accepted, no answers) but keeps its data.
    pub fn pause(&self, paused: bool) {
        let sig = if paused { "-STOP" } else { "-CONT" };
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(ok.success(), "kill {sig} moto");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

pub fn s3_config(port: u16) -> S3Config {
    S3Config {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        bucket: BUCKET.into(),
        prefix: "autonomo-test".into(),
        region: "us-east-1".into(),
        path_style: true,
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        session_token: None,
    }
}

/// Opens a database the way the db layer does: WAL, synchronous=FULL, no auto-checkpoint.
pub fn open_writer(path: &Path) -> Connection {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0;",
    )
    .unwrap();
    c
}

/// What the writer thread does on its tick: ship, then (maybe) checkpoint.
pub fn ship_and_checkpoint(r: &Replica, c: &Connection, path: &Path, mode: Option<&str>) {
    let t = Instant::now();
    r.before_checkpoint(c, path).unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "hook took {:?}",
        t.elapsed()
    );
    if let Some(m) = mode {
        c.query_row(&format!("PRAGMA wal_checkpoint({m})"), [], |_| Ok(()))
            .unwrap();
    }
}

/// Deterministic mixed workload: inserts, updates, deletes; round 7 deletes most rows and
/// runs VACUUM so the database shrinks.
pub fn workload_round(c: &Connection, round: u64) {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS contacts(id INTEGER PRIMARY KEY, name TEXT, note TEXT, score REAL, pic BLOB);
         CREATE INDEX IF NOT EXISTS contacts_name ON contacts(name);
         CREATE TABLE IF NOT EXISTS orders(id INTEGER PRIMARY KEY, contact INTEGER, total INTEGER);",
    )
    .unwrap();
    let tx = c.unchecked_transaction().unwrap();
    for i in 0..40u64 {
        let n = round * 1000 + i;
        tx.execute(
            "INSERT INTO contacts(name, note, score, pic) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                format!("c{n}"),
                "x".repeat((n % 7 * 150) as usize),
                n as f64 / 3.0,
                vec![(n % 251) as u8; (n % 5 * 300) as usize]
            ],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO orders(contact, total) VALUES (?1, ?2)",
            [n, n * 7],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    c.execute(
        "UPDATE contacts SET score = score + 1, note = note || 'u' WHERE id % 3 = ?1",
        [round % 3],
    )
    .unwrap();
    c.execute("DELETE FROM orders WHERE id % 5 = ?1", [round % 5])
        .unwrap();
    if round == 7 {
        c.execute("DELETE FROM contacts WHERE id % 10 != 0", [])
            .unwrap();
        c.execute_batch("VACUUM").unwrap();
    }
}

/// Every table (FTS shadow tables included), every row, sorted, as text: equal dumps = equal
/// content. A database with a WAL (live, of a running server) is opened read-only so it is not
/// disturbed; a restored file (no WAL yet) normally, as read-only cannot create its WAL index.
pub fn dump(path: &Path) -> Vec<String> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let live = Path::new(&wal).exists();
    let c = if live {
        Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
    } else {
        Connection::open(path).unwrap()
    };
    // FTS5's part of integrity_check needs a writable connection: checked on restored files.
    if !live {
        let ok: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "integrity_check of {}", path.display());
    }
    let tx = c.unchecked_transaction().unwrap();
    let tables: Vec<String> = tx
        .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let mut st = tx.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let vals: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect();
                Ok(format!("{t}: {}", vals.join(", ")))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

pub fn assert_same(want: &[String], got_path: &Path, what: &str) {
    let got = dump(got_path);
    assert_eq!(want.len(), got.len(), "{what}: row count differs");
    for (i, (a, b)) in want.iter().zip(&got).enumerate() {
        assert_eq!(a, b, "{what}: row {i} differs");
    }
}

/// Waits until everything spooled is in S3.
pub async fn wait_shipped(r: &Replica, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let s = r.status();
        if s.spool_files == 0
            && !s.snapshot_pending
            && s.last_shipped_txid >= s.last_spooled_txid
            && s.last_spooled_txid > 0
        {
            return;
        }
        assert!(Instant::now() < deadline, "not shipped in time: {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the real `litestream restore` (AWS_CA_BUNDLE removed: it breaks 0.5.x, FORMAT.md §1).
pub fn litestream_restore(
    tools: &Tools,
    version: &str,
    port: u16,
    path: &str,
    out: &Path,
    extra: &[&str],
) {
    let url = format!(
        "s3://{BUCKET}/{path}?endpoint=http://127.0.0.1:{port}&region=us-east-1&forcePathStyle=true"
    );
    let o = Command::new(tools.litestream(version))
        .env_remove("AWS_CA_BUNDLE")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .arg("restore")
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg(&url)
        .output()
        .expect("run litestream");
    assert!(
        o.status.success(),
        "litestream {version} restore failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Creates the bucket, retrying while a just-started emulator still drops connections (on a
/// loaded machine moto accepts on its port a moment before it answers).
pub async fn create_bucket(client: &autonomo::backup::S3Client) {
    let mut last = None;
    for _ in 0..50 {
        match client.create_bucket().await {
            Ok(()) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("cannot create the test bucket: {last:?}");
}
