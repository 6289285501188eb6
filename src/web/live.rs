//! Live updates for open screens: one small broadcaster task per brand follows the brand's
//! `changes` feed by `seq` and tells every subscribed screen which tables moved. Screens get
//! it as server-sent events and re-fetch what they show. The task starts with the first
//! subscriber and stops when the last one leaves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::tenants::{Registry, Slug};

/// How often the feed is read. A write is on every screen within about this long.
const POLL: Duration = Duration::from_millis(400);

/// What changed since the last poll: the tables touched and the newest sequence seen.
#[derive(Debug, Clone)]
pub struct Change {
    pub seq: i64,
    pub tables: Vec<String>,
}

pub struct Hub {
    channels: Mutex<HashMap<Slug, broadcast::Sender<Change>>>,
    shutdown: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            channels: Mutex::default(),
            shutdown: watch::channel(false).0,
        }
    }
}

impl Hub {
    /// Subscribes to `slug`'s changes, starting its broadcaster if none runs.
    pub fn subscribe(&self, registry: Arc<Registry>, slug: &Slug) -> broadcast::Receiver<Change> {
        let mut channels = match self.channels.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        if let Some(tx) = channels.get(slug)
            && tx.receiver_count() > 0
        {
            return tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(64);
        channels.insert(slug.clone(), tx.clone());
        tokio::spawn(broadcast_changes(
            registry,
            slug.clone(),
            tx,
            self.shutdown.subscribe(),
        ));
        rx
    }

    /// A receiver that turns true when the server is shutting down, so open streams end and
    /// the graceful shutdown does not wait for browsers to hang up.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn shut_down(&self) {
        let _ = self.shutdown.send(true);
    }
}

async fn broadcast_changes(
    registry: Arc<Registry>,
    slug: Slug,
    tx: broadcast::Sender<Change>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(tenant) = registry.tenant(&slug).await else {
        return;
    };
    let db = tenant.db().clone();
    // The feed is read only after a commit: a screen left open all day on a quiet brand
    // costs one version check per poll, not a read on a blocking thread.
    let mut seen_version = db.data_version();
    let mut cursor: i64 = match db
        .read(|c| {
            Ok(
                c.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
    {
        Ok(seq) => seq,
        Err(e) => {
            tracing::warn!(brand = %slug, error = %e, "live feed cannot start");
            return;
        }
    };
    loop {
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
        if tx.receiver_count() == 0 {
            return;
        }
        let version = db.data_version();
        if version.is_some() && version == seen_version {
            continue;
        }
        seen_version = version;
        let after = cursor;
        let read = db
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT seq, tabla FROM changes WHERE seq > ?1 ORDER BY seq LIMIT 1000",
                )?;
                let rows: Vec<(i64, String)> = stmt
                    .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                Ok(rows)
            })
            .await;
        let rows = match read {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(brand = %slug, error = %e, "live feed read failed");
                continue;
            }
        };
        let Some(last) = rows.last().map(|r| r.0) else {
            continue;
        };
        cursor = last;
        let mut tables: Vec<String> = rows.into_iter().map(|r| r.1).collect();
        tables.sort();
        tables.dedup();
        let _ = tx.send(Change { seq: last, tables });
    }
}
