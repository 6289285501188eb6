//! The campaign sender: a background task that queues launched campaigns into the WhatsApp
//! outbox, one bounded batch ([`batch::queue`]) per write, with a pause between batches so
//! the brand's single writer serves orders, customers and replies in between. A launch (from
//! a request, the builder screen or the automatic-campaigns job) only freezes the audience;
//! this task does the rest, once the campaign's time has come. It keeps no state of its own:
//! each batch marks its recipients in the same write, so after a crash or a restart the next
//! pass resumes with the ones still `pendiente`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::batch;
use crate::error::AppError;
use crate::tenants::{Registry, Tenant, WakeCheck};
use crate::time::now_ms;

/// How often brands are asked for due campaigns when nothing is being queued.
const TICK: Duration = Duration::from_millis(500);
/// The pause between two batches: long enough for the writer to commit what other callers
/// queued meanwhile on its own, before the next batch joins the queue.
const PAUSE: Duration = Duration::from_millis(40);

/// Runs until `stop` turns true.
pub async fn run(registry: Arc<Registry>, mut stop: watch::Receiver<bool>) {
    let wake = WakeCheck::new(batch::NEXT_DUE);
    loop {
        let busy = match tick(&registry, &wake).await {
            Ok(handled) => handled > 0,
            Err(e) => {
                tracing::warn!(error = %e, "campaign sender tick failed");
                false
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(if busy { PAUSE } else { TICK }) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass over the active brands (closed ones only when a campaign is due): at most one
/// batch per brand, so brands take turns and one brand's big campaign does not hold up
/// another's. Returns how many recipients were handled; a brand that fails is logged and the
/// others go on.
pub async fn tick(registry: &Registry, wake: &WakeCheck) -> Result<usize, AppError> {
    let mut handled = 0;
    for brand in registry.list(false).await? {
        let Some(tenant) = wake.due_tenant(registry, &brand.slug, now_ms()).await? else {
            continue;
        };
        match step(registry, &tenant, batch::SIZE).await {
            Ok(n) => handled += n,
            Err(e) => tracing::warn!(brand = %brand.slug, error = %e, "campaign batch failed"),
        }
    }
    Ok(handled)
}

/// Queues one batch (at most `size` recipients) of the brand's oldest due campaign; returns
/// how many recipients it handled, 0 when nothing is due.
pub async fn step(registry: &Registry, tenant: &Tenant, size: usize) -> Result<usize, AppError> {
    let Some(id) = tenant.db().read(|c| batch::due(c, now_ms())).await? else {
        return Ok(0);
    };
    let rate = super::api::send_rate(registry, tenant.slug()).await?;
    let began = std::time::Instant::now();
    let handled = tenant
        .db()
        .write_as("system:campanas", move |c| {
            batch::queue(c, id, rate, now_ms(), size)
        })
        .await?;
    tracing::debug!(brand = %tenant.slug(), campana = id, handled, ms = began.elapsed().as_millis() as u64, "campaign batch");
    Ok(handled)
}

#[cfg(test)]
#[path = "sender_tests.rs"]
mod tests;
