//! The delivery loop: claims due messages of every active brand and delivers them.
//!
//! One loop serves all brands: each tick it asks every open brand when its next message is
//! due (a cheap indexed read, asked again only after the brand's next commit) and claims only
//! where something is, so an idle install costs no writes and no reads. A closed brand is not
//! opened to ask: its file answers when its next message is due, and is asked again only when
//! it changes (a CLI command queued a message), see [`WakeCheck`]. Brands are served one after another and messages of a brand in order, which
//! keeps per-recipient ordering; rate limits live in each service's [`Delivery`], which also
//! says how many messages it can take now, so the loop claims no more than that.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{Delivery, MAX_ATTEMPTS, Outcome, Service, backoff, store};
use crate::error::AppError;
use crate::tenants::{Registry, Tenant, WakeCheck};
use crate::time::now_ms;

/// How long a claimed message is reserved; a message whose outcome is unknown after a crash
/// waits this long for the provider's confirmation before it is tried again.
pub const LEASE: Duration = Duration::from_secs(120);
const TICK: Duration = Duration::from_millis(250);
const CLAIM_BATCH: u32 = 50;

/// The deliveries configured for this install, by service.
#[derive(Clone, Default)]
pub struct Deliveries {
    by_service: HashMap<Service, Arc<dyn Delivery>>,
}

impl Deliveries {
    pub fn with(mut self, service: Service, delivery: Arc<dyn Delivery>) -> Self {
        self.by_service.insert(service, delivery);
        self
    }

    fn get(&self, service: Service) -> Option<&Arc<dyn Delivery>> {
        self.by_service.get(&service)
    }
}

/// When a closed brand's next message is due: every unsent message, leased ones included
/// (a lease ends at `proximo_intento_en`).
pub const NEXT_DUE: &str =
    "SELECT MIN(proximo_intento_en) FROM outbox WHERE estado IN ('pendiente', 'enviando')";

/// The outbox's view of closed brands.
pub fn wake_check() -> WakeCheck {
    WakeCheck::new(NEXT_DUE)
}

/// Runs until `stop` turns true.
pub async fn run(registry: Arc<Registry>, deliveries: Deliveries, mut stop: watch::Receiver<bool>) {
    let wake = wake_check();
    loop {
        // A full queue (a campaign) is drained back to back; the pause is for an idle one.
        let busy = match tick(&registry, &deliveries, &wake).await {
            Ok(handled) => handled > 0,
            Err(e) => {
                tracing::warn!(error = %e, "outbox tick failed");
                false
            }
        };
        if busy && !*stop.borrow() {
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass over every active brand (closed ones only when something is due); returns how
/// many messages were handled.
pub async fn tick(
    registry: &Registry,
    deliveries: &Deliveries,
    wake: &WakeCheck,
) -> Result<usize, AppError> {
    let mut handled = 0;
    for brand in registry.list(false).await? {
        let Some(tenant) = wake.due_tenant(registry, &brand.slug, now_ms()).await? else {
            continue;
        };
        handled += drain_tenant(&tenant, deliveries).await?;
    }
    Ok(handled)
}

async fn drain_tenant(tenant: &Arc<Tenant>, deliveries: &Deliveries) -> Result<usize, AppError> {
    let now = now_ms();
    let due = tenant
        .db()
        .read(move |c| store::due_services(c, now))
        .await?;
    // Each service is claimed up to what it can send now; one with no delivery configured is
    // claimed in full so that each message records why it waits.
    let mut limits = Vec::with_capacity(due.len());
    for service in due {
        let limit = match deliveries.get(service) {
            Some(d) => d.capacity(tenant.slug()).await.min(CLAIM_BATCH),
            None => CLAIM_BATCH,
        };
        if limit > 0 {
            limits.push((service, limit));
        }
    }
    if limits.is_empty() {
        return Ok(0);
    }
    let lease = LEASE.as_millis() as i64;
    let claimed = tenant
        .db()
        .write_in_background_as("system:outbox", move |c| {
            store::claim_due(c, now_ms(), lease, &limits)
        })
        .await?;
    let count = claimed.len();
    // Outcomes are recorded in one transaction per batch: one commit instead of fifty. A crash
    // before it leaves the batch leased, and the provider's echo of `ob:{id}` confirms sends.
    let mut outcomes = Vec::with_capacity(count);
    for message in claimed {
        let outcome = match deliveries.get(message.service) {
            Some(d) => d.deliver(tenant.slug(), &message).await,
            None => Outcome::Retry {
                after: Duration::from_secs(300),
                error: format!(
                    "{} no está configurado / is not configured",
                    message.service.as_str()
                ),
            },
        };
        outcomes.push((message.id, message.attempts, outcome));
    }
    tenant
        .db()
        .write_in_background_as("system:outbox", move |c| {
            let now = now_ms();
            for (id, attempts, outcome) in outcomes {
                record(c, id, attempts, outcome, now)?;
            }
            Ok(())
        })
        .await?;
    Ok(count)
}

fn record(
    c: &rusqlite::Connection,
    id: i64,
    attempts: i64,
    outcome: Outcome,
    now: i64,
) -> Result<(), AppError> {
    match outcome {
        Outcome::Sent { external_id } => store::mark_sent(c, id, external_id.as_deref(), now),
        Outcome::Failed { error } => store::mark_failed(c, id, &error),
        Outcome::Retry { error, .. } if attempts >= MAX_ATTEMPTS => store::mark_failed(
            c,
            id,
            &format!("{error} (tras {attempts} intentos / after {attempts} attempts)"),
        ),
        Outcome::Retry { after, error } => {
            let wait = after.max(backoff(attempts));
            store::reschedule(c, id, now + wait.as_millis() as i64, Some(&error), true)
        }
        Outcome::Defer { after } => {
            store::reschedule(c, id, now + after.as_millis() as i64, None, false)
        }
    }
}
