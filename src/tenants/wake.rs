//! Deciding whether a background loop must open a closed brand, without opening it.
//!
//! The outbox and WhatsApp ingest loops visit every brand every tick. Opening a brand to ask
//! "anything due?" would keep every brand open forever (see `idle.rs`), so for a brand that
//! is not open a [`WakeCheck`] asks the file itself, once, with a read-only connection of its
//! own (kept a moment for the next check, see [`probes`]): the probe returns when something is
//! next due (unix ms) or NULL for nothing.
//! The answer holds until that time comes or the file changes (size or modification time of
//! the database or its WAL: another process, e.g. the CLI, wrote to it), so an idle closed
//! brand costs one `stat` of two files per tick.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use rusqlite::{Connection, OpenFlags};

use super::{Registry, Slug, Tenant};
use crate::error::AppError;

/// Size and modification time of a brand's database file and of its WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileSig {
    db: Option<(u64, Option<SystemTime>)>,
    wal: Option<(u64, Option<SystemTime>)>,
}

fn stat(path: &Path) -> Option<(u64, Option<SystemTime>)> {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

impl FileSig {
    fn of(db: &Path) -> FileSig {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        FileSig {
            db: stat(db),
            // An empty WAL says nothing new; the probe's own read-only open may create one
            // where the server's last close had removed it.
            wal: stat(Path::new(&wal)).filter(|(len, _)| *len > 0),
        }
    }
}

/// What a probe said about a closed brand, and the file as it was when it said it.
#[derive(Debug, Clone, Copy)]
struct Answer {
    sig: FileSig,
    due_at: Option<i64>,
}

pub struct WakeCheck {
    /// One row, one column: the unix ms when something is next due, or NULL.
    probe: &'static str,
    /// By file, not by brand: one check may serve registries of different data directories.
    answers: Mutex<HashMap<PathBuf, Answer>>,
    probes: std::sync::atomic::AtomicU64,
}

impl WakeCheck {
    pub fn new(probe: &'static str) -> WakeCheck {
        WakeCheck {
            probe,
            answers: Mutex::default(),
            probes: Default::default(),
        }
    }

    /// How many probes ran (tests: an idle closed brand is not probed again and again).
    pub fn probes(&self) -> u64 {
        self.probes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The brand if it is open, or if it is closed but has something due at `now` (then it
    /// is opened, as background work: it does not count as a use); `None` otherwise.
    pub async fn tenant(
        &self,
        registry: &Registry,
        slug: &Slug,
        now: i64,
    ) -> Result<Option<Arc<Tenant>>, AppError> {
        probes::close_stale(Instant::now());
        if let Some(t) = registry.if_open(slug) {
            return Ok(Some(t));
        }
        let path = registry.tenant_path(slug);
        let sig = FileSig::of(&path);
        let known = self.lock().get(&path).copied();
        let due_at = match known {
            Some(a) if a.sig == sig => a.due_at,
            _ => {
                self.probes
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let probe = self.probe;
                let p = path.clone();
                let answer = tokio::task::spawn_blocking(move || ask(&p, probe)).await?;
                // Kept only if the file did not change while it was asked; otherwise the
                // next tick asks again.
                if let Some(due_at) = answer
                    && FileSig::of(&path) == sig
                {
                    self.lock().insert(path.clone(), Answer { sig, due_at });
                }
                // A file that cannot be asked (missing, not migrated yet) is opened: the open
                // creates or migrates it, or reports why it cannot.
                answer.unwrap_or(Some(i64::MIN))
            }
        };
        match due_at {
            Some(at) if at <= now => {
                self.lock().remove(&path);
                Ok(Some(registry.tenant_quiet(slug).await?))
            }
            _ => Ok(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Answer>> {
        self.answers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs the probe on a read-only connection of the file's own; `None` if the file cannot answer.
fn ask(path: &Path, probe: &str) -> Option<Option<i64>> {
    if !path.exists() {
        return None;
    }
    let run = || -> rusqlite::Result<(Connection, Option<i64>)> {
        let c = match probes::take(path) {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                c
            }
        };
        let due_at = c.query_row(probe, [], |r| r.get(0))?;
        Ok((c, due_at))
    };
    match run() {
        Ok((c, due_at)) => {
            probes::put_back(path, c, Instant::now());
            Some(due_at)
        }
        Err(e) => {
            tracing::debug!(db = %path.display(), error = %e, "wake probe failed; opening the brand");
            None
        }
    }
}

/// Probe connections kept for a moment after use. Every background loop asks about the same
/// closed brands one after the other (a dozen checks per brand at start: the outbox, the
/// WhatsApp processor, the campaign sender and each scheduled job), and a new connection
/// parses the brand's whole schema (≈ 450 objects, 1.4 MB of heap) for a one-row query.
/// Kept only briefly: a closed brand is not to hold file handles.
mod probes {
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use rusqlite::Connection;

    /// How long an unused probe connection stays open.
    pub const KEEP: Duration = Duration::from_secs(2);

    struct Idle {
        path: PathBuf,
        /// The file the connection opened: a restore that puts another file at the path must
        /// not be answered from the old one.
        file: Option<(u64, u64)>,
        conn: Connection,
        since: Instant,
    }

    static IDLE: Mutex<Vec<Idle>> = Mutex::new(Vec::new());

    fn idle() -> std::sync::MutexGuard<'static, Vec<Idle>> {
        IDLE.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn file(path: &Path) -> Option<(u64, u64)> {
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }

    /// An idle probe connection to the file now at `path`, if one is kept.
    pub fn take(path: &Path) -> Option<Connection> {
        let file = file(path)?;
        let mut idle = idle();
        let at = idle
            .iter()
            .position(|i| i.path == path && i.file == Some(file))?;
        Some(idle.swap_remove(at).conn)
    }

    /// Keeps `conn`, just used to probe `path`, for the next probe.
    pub fn put_back(path: &Path, conn: Connection, now: Instant) {
        let kept = Idle {
            path: path.to_path_buf(),
            file: file(path),
            conn,
            since: now,
        };
        idle().push(kept);
    }

    /// Closes the probe connections unused for [`KEEP`] at `now`.
    pub fn close_stale(now: Instant) {
        let stale: Vec<Idle> = {
            let mut idle = idle();
            let (stale, fresh) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|i| now.duration_since(i.since) >= KEEP);
            *idle = fresh;
            stale
        };
        // Closed outside the lock.
        drop(stale);
    }

    /// How many probe connections to `path` are kept now.
    #[cfg(test)]
    pub fn open_to(path: &Path) -> usize {
        idle().iter().filter(|i| i.path == path).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand_file(dir: &Path) -> PathBuf {
        let path = dir.join("marca.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE trabajos (vence_en INTEGER);
             INSERT INTO trabajos VALUES (42);",
        )
        .unwrap();
        path
    }

    #[test]
    fn probes_of_one_file_share_a_connection_that_closes_when_unused() {
        let dir = tempfile::tempdir().unwrap();
        let path = brand_file(dir.path());
        assert_eq!(
            ask(&path, "SELECT min(vence_en) FROM trabajos"),
            Some(Some(42))
        );
        assert_eq!(
            ask(&path, "SELECT max(vence_en) + 1 FROM trabajos"),
            Some(Some(43))
        );
        assert_eq!(
            probes::open_to(&path),
            1,
            "the second probe reused the first connection"
        );

        probes::close_stale(Instant::now());
        assert_eq!(probes::open_to(&path), 1, "kept for a moment");
        probes::close_stale(Instant::now() + probes::KEEP);
        assert_eq!(probes::open_to(&path), 0, "closed once unused for a while");
    }

    #[test]
    fn a_file_put_in_the_place_of_another_is_not_answered_from_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = brand_file(dir.path());
        assert_eq!(
            ask(&path, "SELECT min(vence_en) FROM trabajos"),
            Some(Some(42))
        );
        // A restore: another database renamed over the path.
        let other = dir.path().join("restaurada.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch(
                "CREATE TABLE trabajos (vence_en INTEGER); INSERT INTO trabajos VALUES (7);",
            )
            .unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(
            ask(&path, "SELECT min(vence_en) FROM trabajos"),
            Some(Some(7))
        );
    }

    #[test]
    fn a_failing_probe_keeps_no_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = brand_file(dir.path());
        assert_eq!(ask(&path, "SELECT vence_en FROM no_existe"), None);
        assert_eq!(probes::open_to(&path), 0);
        assert_eq!(ask(&dir.path().join("falta.db"), "SELECT 1"), None);
    }
}
