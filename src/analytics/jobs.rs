//! Analytics work that runs by itself: the nightly full recompute (segments, RFM, CLV) and
//! the segment updater that follows the change feed so a customer's segment moves as soon
//! as their order lands, without slowing the order write.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::{refresh, zone};
use crate::error::AppError;
use crate::tenants::{Registry, Tenant};

const TICK: Duration = Duration::from_secs(1);

/// Makes sure the brand's offset table and rollups match its zone (rebuilding if not).
pub async fn ensure_zone(tenant: &Tenant) -> Result<(), AppError> {
    let tz = tenant.brand().tz();
    let current = tenant.db().read(zone::stored_zone).await?;
    if current.as_deref() != Some(tz.name()) {
        tenant.db().write(move |c| zone::ensure(c, tz)).await?;
    }
    Ok(())
}

/// Full recompute for one brand as of `now`: reads on a reader, writes the differences in
/// one write. Returns a one-line summary for the job log.
pub async fn recompute(tenant: &Tenant, now: DateTime<Utc>) -> Result<String, AppError> {
    ensure_zone(tenant).await?;
    let tz = tenant.brand().tz();
    let plan = tenant
        .db()
        .read(move |c| refresh::compute(c, tz, now))
        .await?;
    let customers = plan.segments.len();
    let note = plan.clv_error.clone();
    let changed = tenant.db().write(move |c| refresh::apply(c, &plan)).await?;
    Ok(match note {
        None => format!("{customers} clientes, {changed} cambios de segmento / segment changes"),
        Some(e) => format!("{customers} clientes, {changed} cambios de segmento; CLV: {e}"),
    })
}

/// One incremental pass for one brand.
pub async fn update_segments(tenant: &Tenant, now: DateTime<Utc>) -> Result<usize, AppError> {
    ensure_zone(tenant).await?;
    if !tenant.db().read(refresh::pending).await? {
        return Ok(0);
    }
    let tz = tenant.brand().tz();
    tenant
        .db()
        .write(move |c| refresh::incremental(c, tz, now))
        .await
}

/// Runs until `stop` turns true: every second, an incremental pass over each open brand.
pub async fn run(registry: Arc<Registry>, mut stop: watch::Receiver<bool>) {
    loop {
        for tenant in registry.open_tenants() {
            if tenant.brand().archived_at.is_some() {
                continue;
            }
            if let Err(e) = update_segments(&tenant, Utc::now()).await {
                tracing::warn!(marca = %tenant.slug(), error = %e, "segmentos: fallo al actualizar");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => return,
        }
    }
}
