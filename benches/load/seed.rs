//! The data the bench runs on: the demo seed (filled once per scale and schema, then
//! cached), the 100 empty brands of the start measurements, and the fresh copy of either
//! that each run starts from.

use std::path::{Path, PathBuf};

use crate::autonomo::{BRAND, NUMBER, SECRET};
use crate::server::Binary;

/// Customers and orders of gollos at each scale.
pub fn sizes(scale: &str) -> (u32, u32) {
    match scale {
        "tiny" => (2_000, 20_000),
        "medium" => (30_000, 300_000),
        "full" => (100_000, 1_000_000),
        _ => (10_000, 100_000),
    }
}

/// The newest tenant migration in this checkout (`migrations/tenant/V{n}__…`).
fn latest_migration() -> Option<i64> {
    std::fs::read_dir("migrations/tenant")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix('V')?.split("__").next()?.parse().ok()
        })
        .max()
}

/// Whether the cached data set under `seed` is complete and at the current schema: a seed
/// made by an older binary would be migrated at every start and skew what is measured.
fn seed_is_current(seed: &Path, brand: &str) -> bool {
    if !seed.join(".bench-complete").exists() {
        return false;
    }
    let uri = format!(
        "file:{}?immutable=1",
        seed.join("tenants").join(format!("{brand}.db")).display()
    );
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let applied: Option<i64> = rusqlite::Connection::open_with_flags(uri, flags)
        .and_then(|c| {
            c.query_row(
                "SELECT MAX(version) FROM refinery_schema_history",
                [],
                |r| r.get(0),
            )
        })
        .ok()
        .flatten();
    applied.is_some() && applied == latest_migration()
}

/// Builds (once per scale) a data dir with the three demo brands and gollos at `scale`.
pub fn demo_seed(bin: &Binary, work: &Path, scale: &str) -> (PathBuf, f64) {
    let (customers, orders) = sizes(scale);
    let seed = work.join(format!("seed-{scale}"));
    let done = seed.join(".bench-complete");
    let timing = seed.join(".bench-fill-secs");
    if seed_is_current(&seed, BRAND) {
        let secs = std::fs::read_to_string(&timing)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        return (seed, secs.unwrap_or(0.0));
    }
    let _ = std::fs::remove_dir_all(&seed);
    std::fs::create_dir_all(&seed).expect("seed dir");
    eprintln!(
        "· filling gollos with {customers} customers / {orders} orders (cached for next runs)…"
    );
    let t = std::time::Instant::now();
    bin.run(
        &seed,
        &[
            "demo",
            "--tenant",
            "gollos",
            "--customers",
            &customers.to_string(),
            "--orders",
            &orders.to_string(),
        ],
    );
    let secs = t.elapsed().as_secs_f64();
    for other in ["goio", "eco-eterno"] {
        bin.run(
            &seed,
            &[
                "demo",
                "--tenant",
                other,
                "--customers",
                "1000",
                "--orders",
                "10000",
            ],
        );
    }
    std::fs::write(work.join("secret"), SECRET).expect("secret");
    std::fs::write(work.join("access"), "bench-access-token").expect("access");
    let secret = work.join("secret");
    let access = work.join("access");
    bin.run(
        &seed,
        &[
            "whatsapp",
            "set",
            "--tenant",
            BRAND,
            "--phone-number-id",
            NUMBER,
            "--verify-token",
            "bench-verify",
            "--app-secret-file",
            secret.to_str().unwrap(),
            "--access-token-file",
            access.to_str().unwrap(),
            "--mps",
            "1000",
        ],
    );
    std::fs::write(&timing, format!("{secs:.1}")).expect("timing");
    std::fs::write(&done, "").expect("marker");
    (seed, secs)
}

/// A data dir with 100 empty brands, for the cold start.
pub fn hundred_brands(bin: &Binary, work: &Path) -> PathBuf {
    let dir = work.join("seed-100-brands");
    let done = dir.join(".bench-complete");
    if !seed_is_current(&dir, "marca-000") {
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!("· creating 100 brands…");
        for i in 0..100 {
            bin.run(
                &dir,
                &[
                    "tenant",
                    "create",
                    &format!("marca-{i:03}"),
                    "--name",
                    &format!("Marca {i}"),
                ],
            );
        }
        std::fs::write(&done, "").expect("marker");
    }
    dir
}

/// A fresh copy of `seed`, so every run starts from the same files.
pub fn fresh_copy(seed: &Path, dest: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dest);
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(seed)
        .arg(dest)
        .status()
        .expect("cp");
    assert!(status.success(), "cp -a {} failed", seed.display());
    // The copy leaves ≈ 2.3 GiB of dirty pages at full scale; flushed here, they do not
    // land in the server's first fsync (its start or the first workload).
    let synced = std::process::Command::new("sync")
        .arg("-f")
        .arg(dest)
        .status()
        .expect("sync");
    assert!(synced.success(), "sync -f {} failed", dest.display());
    schedule_from_now(dest);
    dest.to_path_buf()
}

/// Marks every scheduled job as handled up to now in the copy, as if its server had been
/// running all along. Otherwise a start on a seed made minutes or hours ago catches up the
/// runs it "missed" (the survey job's 500 surveys, the hourly ones) during the workload,
/// and a cached seed measures differently from a freshly filled one: that made two
/// binaries differ by 20 % on webhooks end to end (docs/benchmarks.md, session 11).
fn schedule_from_now(data: &Path) {
    let control = data.join("control.db");
    let now = chrono::Utc::now().timestamp_millis();
    let c = rusqlite::Connection::open(&control)
        .unwrap_or_else(|e| panic!("{}: {e}", control.display()));
    c.execute(
        "UPDATE jobs SET ultimo_programado = MAX(ultimo_programado, ?1)",
        [now],
    )
    .unwrap_or_else(|e| panic!("{}: {e}", control.display()));
}
