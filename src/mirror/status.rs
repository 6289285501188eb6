//! How far behind the mirror is, kept in memory by the running sync for `/healthz`,
//! Prometheus and the UI: per brand the cursor, the feed's head and the oldest unapplied
//! change, plus the last error.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::RwLock;

use serde::Serialize;
use utoipa::ToSchema;

use crate::time::now_ms;

#[derive(Debug, Default)]
struct BrandState {
    cursor: Option<i64>,
    head: i64,
    /// `changes.en` of the first change after the cursor, if any.
    oldest_pending_ms: Option<i64>,
}

#[derive(Debug, Default)]
struct Inner {
    brands: BTreeMap<String, BrandState>,
    last_sync_ms: Option<i64>,
    last_error: Option<(i64, String)>,
}

/// Shared between the sync task and the handlers that report on it.
#[derive(Debug)]
pub struct MirrorStatus {
    site: Option<String>,
    alert_lag_secs: u64,
    inner: RwLock<Inner>,
}

/// The mirror section of `/healthz`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MirrorHealth {
    /// `disabled`, `starting`, `ok`, `lagging` (behind more than the alert threshold) or
    /// `error` (the last attempt failed).
    pub status: &'static str,
    pub site: Option<String>,
    /// Changes not yet in the mirror, all brands together.
    pub lag_changes: u64,
    /// Age in seconds of the oldest change not yet in the mirror.
    pub lag_secs: u64,
    pub alert_lag_secs: u64,
    /// Unix ms of the last successful pass.
    pub last_sync_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    pub brands: Vec<BrandLag>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BrandLag {
    pub marca: String,
    /// Last `changes.seq` in the mirror; null before the first full copy.
    pub cursor: Option<i64>,
    pub head: i64,
    pub lag_changes: u64,
    pub lag_secs: u64,
}

impl MirrorStatus {
    /// A mirror that is not configured.
    pub fn disabled() -> MirrorStatus {
        MirrorStatus {
            site: None,
            alert_lag_secs: 0,
            inner: RwLock::default(),
        }
    }

    pub fn new(site: &str, alert_lag_secs: u64) -> MirrorStatus {
        MirrorStatus {
            site: Some(site.to_string()),
            alert_lag_secs,
            inner: RwLock::default(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        match self.inner.write() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    pub(crate) fn record_brand(
        &self,
        marca: &str,
        cursor: Option<i64>,
        head: i64,
        oldest_pending_ms: Option<i64>,
    ) {
        self.with(|i| {
            i.brands.insert(
                marca.to_string(),
                BrandState {
                    cursor,
                    head,
                    oldest_pending_ms,
                },
            );
        });
    }

    pub(crate) fn known_cursor(&self, marca: &str) -> Option<i64> {
        self.with(|i| i.brands.get(marca).and_then(|b| b.cursor))
    }

    pub(crate) fn record_success(&self) {
        self.with(|i| {
            i.last_sync_ms = Some(now_ms());
            i.last_error = None;
        });
    }

    pub(crate) fn record_error(&self, error: &anyhow::Error) {
        self.with(|i| i.last_error = Some((now_ms(), format!("{error:#}"))));
    }

    /// The current picture; lag in seconds grows with the clock even while the sync is stuck.
    pub fn snapshot(&self) -> MirrorHealth {
        let now = now_ms();
        let (brands, last_sync_ms, last_error) = self.with(|i| {
            let brands: Vec<BrandLag> = i
                .brands
                .iter()
                .map(|(marca, b)| {
                    let behind = match b.cursor {
                        Some(c) => b.head.saturating_sub(c).max(0) as u64,
                        None => b.head.max(0) as u64,
                    };
                    let lag_secs = match b.oldest_pending_ms {
                        Some(ms) if behind > 0 || b.cursor.is_none() => {
                            (now.saturating_sub(ms).max(0) / 1000) as u64
                        }
                        _ => 0,
                    };
                    BrandLag {
                        marca: marca.clone(),
                        cursor: b.cursor,
                        head: b.head,
                        lag_changes: behind,
                        lag_secs,
                    }
                })
                .collect();
            (brands, i.last_sync_ms, i.last_error.clone())
        });
        let lag_changes = brands.iter().map(|b| b.lag_changes).sum();
        let lag_secs = brands.iter().map(|b| b.lag_secs).max().unwrap_or(0);
        let status = if self.site.is_none() {
            "disabled"
        } else if last_error.is_some() {
            "error"
        } else if last_sync_ms.is_none() {
            "starting"
        } else if lag_secs > self.alert_lag_secs {
            "lagging"
        } else {
            "ok"
        };
        MirrorHealth {
            status,
            site: self.site.clone(),
            lag_changes,
            lag_secs,
            alert_lag_secs: self.alert_lag_secs,
            last_sync_ms,
            last_error_ms: last_error.as_ref().map(|e| e.0),
            last_error: last_error.map(|e| e.1),
            brands,
        }
    }

    /// Prometheus text exposition of the same numbers.
    pub fn prometheus(&self) -> String {
        let h = self.snapshot();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP autonomo_mirror_up 1 when the last mirror pass succeeded."
        );
        let _ = writeln!(out, "# TYPE autonomo_mirror_up gauge");
        let up = u8::from(matches!(h.status, "ok" | "lagging"));
        let _ = writeln!(out, "autonomo_mirror_up {up}");
        let _ = writeln!(
            out,
            "# HELP autonomo_mirror_lag_changes Changes not yet in the mirror."
        );
        let _ = writeln!(out, "# TYPE autonomo_mirror_lag_changes gauge");
        for b in &h.brands {
            let _ = writeln!(
                out,
                "autonomo_mirror_lag_changes{{marca=\"{}\"}} {}",
                b.marca, b.lag_changes
            );
        }
        let _ = writeln!(
            out,
            "# HELP autonomo_mirror_lag_seconds Age of the oldest change not yet in the mirror."
        );
        let _ = writeln!(out, "# TYPE autonomo_mirror_lag_seconds gauge");
        for b in &h.brands {
            let _ = writeln!(
                out,
                "autonomo_mirror_lag_seconds{{marca=\"{}\"}} {}",
                b.marca, b.lag_secs
            );
        }
        if let Some(ms) = h.last_sync_ms {
            let _ = writeln!(
                out,
                "# TYPE autonomo_mirror_last_sync_timestamp_seconds gauge"
            );
            let _ = writeln!(
                out,
                "autonomo_mirror_last_sync_timestamp_seconds {}",
                ms / 1000
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_and_errors_are_reported() {
        let s = MirrorStatus::new("principal", 60);
        assert_eq!(s.snapshot().status, "starting");
        s.record_brand("gollos", Some(10), 15, Some(now_ms() - 120_000));
        s.record_success();
        let h = s.snapshot();
        assert_eq!((h.lag_changes, h.status), (5, "lagging"));
        assert!(h.lag_secs >= 119, "{h:?}");
        s.record_error(&anyhow::anyhow!("connection refused"));
        assert_eq!(s.snapshot().status, "error");
        assert!(
            s.prometheus()
                .contains("autonomo_mirror_lag_changes{marca=\"gollos\"} 5")
        );
        s.record_brand("gollos", Some(15), 15, None);
        s.record_success();
        assert_eq!(s.snapshot().status, "ok");
        assert_eq!(MirrorStatus::disabled().snapshot().status, "disabled");
    }
}
