//! Deciding whether a background loop must open a closed brand, without opening it.
//!
//! The outbox and WhatsApp ingest loops visit every brand every tick. Opening a brand to ask
//! "anything due?" would keep every brand open forever (see `idle.rs`), so for a brand that
//! is not open a [`WakeCheck`] asks the file itself, once, with a throwaway read-only
//! connection: the probe returns when something is next due (unix ms) or NULL for nothing.
//! That connection answers every check's probe at once, so the other checks need not open
//! their own. The answer holds until that time comes or the file changes (size or
//! modification time of the database or its WAL: another process, e.g. the CLI, wrote to
//! it), so an idle closed brand costs one `stat` of two files per tick.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

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

/// Every check's probe, so that one connection to a closed brand answers them all: the loops
/// ask about the same brands one after another (a dozen checks per brand at start: the
/// outbox, the WhatsApp processor, the campaign sender, each scheduled job), and each new
/// connection parses the brand's whole schema (≈ 450 objects, 1.4 MB of heap).
static PROBES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// The answers by file and probe. By file, not by brand: one check may serve registries of
/// different data directories.
static ANSWERS: LazyLock<Mutex<HashMap<(PathBuf, &'static str), Answer>>> =
    LazyLock::new(Mutex::default);

fn answers() -> std::sync::MutexGuard<'static, HashMap<(PathBuf, &'static str), Answer>> {
    ANSWERS.lock().unwrap_or_else(|p| p.into_inner())
}

fn probes() -> std::sync::MutexGuard<'static, Vec<&'static str>> {
    PROBES.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct WakeCheck {
    /// One row, one column: the unix ms when something is next due, or NULL.
    probe: &'static str,
    probes: std::sync::atomic::AtomicU64,
}

impl WakeCheck {
    pub fn new(probe: &'static str) -> WakeCheck {
        let mut known = probes();
        if !known.contains(&probe) {
            known.push(probe);
        }
        WakeCheck {
            probe,
            probes: Default::default(),
        }
    }

    /// How many times this check asked the file (tests: an idle closed brand is not probed
    /// again and again, nor once per check).
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
        if let Some(t) = registry.if_open(slug) {
            return Ok(Some(t));
        }
        let path = registry.tenant_path(slug);
        let key = (path.clone(), self.probe);
        let sig = FileSig::of(&path);
        let known = answers().get(&key).copied();
        let due_at = match known {
            Some(a) if a.sig == sig => a.due_at,
            _ => {
                self.probes
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let all = probes().clone();
                let p = path.clone();
                let asked = tokio::task::spawn_blocking(move || ask(&p, &all)).await?;
                // Kept only if the file did not change while it was asked; otherwise the
                // next tick asks again.
                let unchanged = FileSig::of(&path) == sig;
                let mut mine = None;
                let mut known = answers();
                for (probe, answer) in asked {
                    if probe == self.probe {
                        mine = answer;
                    }
                    if let Some(due_at) = answer
                        && unchanged
                    {
                        known.insert((path.clone(), probe), Answer { sig, due_at });
                    }
                }
                // A file that cannot be asked (missing, not migrated yet) is opened: the open
                // creates or migrates it, or reports why it cannot.
                mine.unwrap_or(Some(i64::MIN))
            }
        };
        match due_at {
            Some(at) if at <= now => {
                answers().remove(&key);
                Ok(Some(registry.tenant_quiet(slug).await?))
            }
            _ => Ok(None),
        }
    }
}

/// Runs every probe on one throwaway read-only connection; a probe's answer is `None` where
/// the file cannot answer it.
fn ask(path: &Path, probes: &[&'static str]) -> Vec<(&'static str, Option<Option<i64>>)> {
    let conn = path.exists().then(|| -> rusqlite::Result<Connection> {
        let c = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(c)
    });
    let conn = match conn {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            tracing::debug!(db = %path.display(), error = %e, "wake probe failed; opening the brand");
            None
        }
        None => None,
    };
    probes
        .iter()
        .map(|&probe| {
            let answer = conn.as_ref().and_then(|c| {
                c.query_row(probe, [], |r| r.get(0))
                    .inspect_err(|e| {
                        tracing::debug!(db = %path.display(), error = %e, "wake probe failed; opening the brand");
                    })
                    .ok()
            });
            (probe, answer)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::tenants::BrandInput;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_probe_of_a_closed_brand_answers_every_check() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path(), 1).unwrap();
        registry
            .create(BrandInput {
                slug: "sondeo".into(),
                nombre: "Sondeo".into(),
                moneda: "PEN".into(),
                zona_horaria: "America/Lima".into(),
                pais: "PE".into(),
                idioma: "es".into(),
            })
            .await
            .unwrap();
        assert_eq!(registry.close_idle(Duration::ZERO).await, 1);
        let slug = Slug::parse("sondeo").unwrap();
        let nothing = WakeCheck::new("SELECT CASE WHEN count(*) < 0 THEN 0 END FROM clientes");
        let in_2100 = WakeCheck::new("SELECT 4102444800000 + count(*) FROM clientes");
        let broken = WakeCheck::new("SELECT vence_en FROM no_existe");
        let now = crate::time::now_ms();

        assert!(
            nothing
                .tenant(&registry, &slug, now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            in_2100
                .tenant(&registry, &slug, now)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            (nothing.probes(), in_2100.probes()),
            (1, 0),
            "the first check's connection answered the second's probe too"
        );
        assert!(
            registry.if_open(&slug).is_none(),
            "nothing due: still closed"
        );

        // A probe the file cannot answer is not taken as "nothing due": the brand is opened
        // (its open migrates it or says why it cannot).
        assert!(
            broken
                .tenant(&registry, &slug, now)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(broken.probes(), 1);
        assert_eq!(registry.close_idle(Duration::ZERO).await, 1);

        // When its time comes the second check opens the brand.
        let due = in_2100.tenant(&registry, &slug, 4_102_444_800_000).await;
        assert!(due.unwrap().is_some());
    }
}
