//! Deciding whether a background loop must open a closed brand, without opening it, and
//! whether an open brand has anything due, without reading it again while nothing changed.
//!
//! The outbox and WhatsApp ingest loops visit every brand every tick. Opening a brand to ask
//! "anything due?" would keep every brand open forever (see `idle.rs`), so for a brand that
//! is not open a [`WakeCheck`] asks the file itself, once, with a throwaway read-only
//! connection: the probe returns when something is next due (unix ms) or NULL for nothing.
//! The answer holds until that time comes or the file changes (size or modification time of
//! the database or its WAL: another process, e.g. the CLI, wrote to it), so an idle closed
//! brand costs one `stat` of two files per tick.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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

    /// The brand if something is due at `now`, open or closed: an open brand's answer is
    /// kept until its next commit (see [`crate::db::Database::read_unchanged`]), a closed
    /// brand's as in [`WakeCheck::tenant`]. For loops that visit every brand every tick and
    /// only act where something is due (the outbox, campaigns, WhatsApp events): an idle
    /// install then reads nothing at all.
    pub async fn due_tenant(
        &self,
        registry: &Registry,
        slug: &Slug,
        now: i64,
    ) -> Result<Option<Arc<Tenant>>, AppError> {
        let Some(tenant) = registry.if_open(slug) else {
            return self.tenant(registry, slug, now).await;
        };
        let probe = self.probe;
        let due_at: Option<i64> = tenant
            .db()
            .read_unchanged(probe, move |c| Ok(c.query_row(probe, [], |r| r.get(0))?))
            .await?;
        Ok(due_at.is_some_and(|at| at <= now).then_some(tenant))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Answer>> {
        self.answers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs the probe on a throwaway read-only connection; `None` if the file cannot answer.
fn ask(path: &Path, probe: &str) -> Option<Option<i64>> {
    if !path.exists() {
        return None;
    }
    let run = || -> rusqlite::Result<Option<i64>> {
        let c = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        c.query_row(probe, [], |r| r.get(0))
    };
    match run() {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::debug!(db = %path.display(), error = %e, "wake probe failed; opening the brand");
            None
        }
    }
}
