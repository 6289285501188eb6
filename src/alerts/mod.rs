//! System alerts: conditions the owner must hear about without opening the CRM — backups
//! failing, outbound messages stuck, the disk filling up, the WhatsApp webhook refusing
//! badly signed requests — sent to the same e-mail and Telegram recipients as the reports.
//!
//! A watcher in the server checks every `[alerts] interval_secs`. An alert is sent when a
//! condition starts, repeated every `repeat_hours` while it lasts, and followed by a
//! "resolved" message when it clears. Brand alerts go to that brand's recipients;
//! installation alerts (disk, backups, webhook) to every active brand's. The state is in
//! memory: after a restart a condition still present is announced again, which is the
//! right default for something nobody has fixed.

mod checks;
mod dispatch;

use std::sync::atomic::{AtomicU64, Ordering};

pub use checks::current;
pub use dispatch::Watcher;

/// WhatsApp webhook requests refused for their signature since start (see `checks`).
static SIGNATURE_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Counts one webhook request refused for a bad or missing signature.
pub fn signature_failed() {
    SIGNATURE_FAILURES.fetch_add(1, Ordering::Relaxed);
}

pub fn signature_failures() -> u64 {
    SIGNATURE_FAILURES.load(Ordering::Relaxed)
}

/// One condition that needs the owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Stable identity of the condition, e.g. `outbox:gollos` or `disk`.
    pub key: String,
    /// The brand it concerns; `None` for the installation.
    pub brand: Option<String>,
    pub es: String,
    pub en: String,
}

impl Alert {
    fn text(&self) -> String {
        format!("{} / {}", self.es, self.en)
    }
}
