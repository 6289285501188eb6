//! Closing brands nobody uses: an open brand costs ≈ 3–4 MiB (its writer thread, the parsed
//! schema on each connection, page caches), so an install with many brands keeps only the
//! ones in use open. A closed brand reopens transparently on its next request.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{Registry, Slug};
use crate::time::now_ms;

impl Registry {
    /// Closes every open brand that no request has asked for during `idle` and that nothing
    /// holds right now (no request, job or write in flight); returns how many were closed.
    ///
    /// Safe by construction: a brand is taken out of the open set only while the registry's
    /// map is locked and the map's reference is the only one left (every other user got its
    /// reference from that map, so none can appear later), and under the brand's open lock,
    /// so a request arriving meanwhile waits and then opens the file afresh. Closing commits
    /// anything still queued on the writer first.
    pub async fn close_idle(&self, idle: Duration) -> usize {
        let cutoff = now_ms() - i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
        let candidates: Vec<Slug> = self
            .open_tenants()
            .into_iter()
            // Two references: the map's and the one `open_tenants` just made.
            .filter(|t| t.last_used() <= cutoff && Arc::strong_count(t) == 2)
            .map(|t| t.slug().clone())
            .collect();
        let mut closed = 0;
        for slug in candidates {
            if self.close_if_idle(&slug, cutoff).await {
                closed += 1;
            }
        }
        closed
    }

    /// Closes `slug` if no request used it after `cutoff` (unix ms; 0: never used by a
    /// request) and nothing holds it; see [`Registry::close_idle`].
    pub(super) async fn close_if_idle(&self, slug: &Slug, cutoff: i64) -> bool {
        let lock = self.opening_lock(slug);
        let _guard = lock.lock().await;
        let taken = match self.open.write() {
            Ok(mut open) => match open.get(slug) {
                Some(t)
                    if t.last_used() <= cutoff
                        && Arc::strong_count(t) == 1
                        && Arc::strong_count(t.db()) == 1 =>
                {
                    open.remove(slug)
                }
                _ => None,
            },
            Err(_) => None,
        };
        let Some(tenant) = taken else {
            return false;
        };
        tenant.db().close().await;
        tracing::debug!(brand = %slug, "marca cerrada por inactividad / idle brand closed");
        true
    }

    /// Runs [`Registry::close_idle`] every few seconds until `stop` turns true.
    pub async fn close_idle_loop(self: Arc<Self>, idle: Duration, mut stop: watch::Receiver<bool>) {
        let every = (idle / 4).clamp(Duration::from_millis(200), Duration::from_secs(15));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
            self.close_idle(idle).await;
        }
    }
}

#[cfg(test)]
#[path = "idle_tests.rs"]
mod tests;
