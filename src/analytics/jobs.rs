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
/// Order changes past the segment cursor above which a pass recomputes the brand in full
/// (on a reader) instead of customer by customer (on the writer).
const BACKLOG: i64 = 5_000;

/// Makes sure the brand's offset table and rollups match its zone (rebuilding if not).
pub async fn ensure_zone(tenant: &Tenant) -> Result<(), AppError> {
    let tz = tenant.brand().tz();
    let current = tenant
        .db()
        .read_unchanged("analytics zone", zone::stored_zone)
        .await?;
    if current.as_deref() != Some(tz.name()) {
        tenant.db().write(move |c| zone::ensure(c, tz)).await?;
    }
    Ok(())
}

/// Full recompute for one brand as of `now`: reads on a reader, writes the differences in
/// one write. Returns a one-line summary for the job log.
pub async fn recompute<C>(tenant: &Tenant, clock: C) -> Result<String, AppError>
where
    C: FnOnce() -> DateTime<Utc> + Send + 'static,
{
    ensure_zone(tenant).await?;
    let tz = tenant.brand().tz();
    let plan = tenant
        .db()
        .read(move |c| refresh::compute(c, tz, clock))
        .await?;
    let customers = plan.segments.len();
    let note = plan.clv_error.clone();
    let t = plan.timings;
    // Where the time went, so a slow night can be read from the job log.
    let started = std::time::Instant::now();
    let changed = tenant.db().write(move |c| refresh::apply(c, &plan)).await?;
    let times = format!(
        "lectura/read {:.1} s, segmentos {:.1} s, RFM {:.1} s, ajuste CLV/fit {:.1} s, predicción/predict {:.1} s, escritura/write {:.1} s",
        t.read,
        t.segments,
        t.rfm,
        t.clv_fit,
        t.clv_predict,
        started.elapsed().as_secs_f64()
    );
    Ok(match note {
        None => format!(
            "{customers} clientes, {changed} cambios de segmento / segment changes ({times})"
        ),
        Some(e) => {
            format!("{customers} clientes, {changed} cambios de segmento; CLV: {e} ({times})")
        }
    })
}

/// One incremental pass for one brand. `clock` is read inside the pass, once the pass sees
/// the data: an order committed while the pass waited for the writer must not look as if it
/// were placed after "now" (it would be left out and its customer never reclassified).
pub async fn update_segments<C>(tenant: &Tenant, clock: C) -> Result<usize, AppError>
where
    C: Fn() -> DateTime<Utc> + Copy + Send + 'static,
{
    ensure_zone(tenant).await?;
    // Asked every second of every open brand: kept until the brand's next commit.
    let (cursor, last) = tenant
        .db()
        .read_unchanged("segment feed position", refresh::feed_position)
        .await?;
    if last <= cursor {
        return Ok(0);
    }
    let tz = tenant.brand().tz();
    let backlog = tenant
        .db()
        .read(move |c| refresh::order_backlog(c, cursor, BACKLOG + 1))
        .await?;
    if backlog > BACKLOG {
        // A restore, an import or the demo's bulk load: classify everyone on a reader and
        // write only the differences, instead of holding the brand's writer for every
        // customer in turn (which stalled every other write for tens of seconds).
        let plan = tenant
            .db()
            .read(move |c| refresh::compute(c, tz, clock))
            .await?;
        return tenant
            .db()
            .write(move |c| {
                let changed = refresh::apply(c, &plan)?;
                // What the feed held up to `seen_seq` is in the plan (customers changed
                // after it were skipped by `apply` and stay past the cursor).
                refresh::advance_cursor(c, plan.seen_seq)?;
                Ok(changed)
            })
            .await;
    }
    // Classified on a reader, from one snapshot (the clock is read inside it, after the feed
    // position, so no order in it looks newer than "now"); only the differences are written.
    // A customer whose orders changed after the snapshot is left to the next pass (see
    // `apply_incremental`). Reading each changed customer's orders on the writer took 10 %
    // of its time under order load at 1M orders, and every write waited meanwhile.
    let plan = tenant
        .db()
        .read(move |c| refresh::plan_incremental(c, tz, clock))
        .await?;
    match plan {
        None => Ok(0),
        Some(plan) => {
            tenant
                .db()
                .write(move |c| refresh::apply_incremental(c, &plan))
                .await
        }
    }
}

/// Runs until `stop` turns true: every second, an incremental pass over each open brand.
pub async fn run(registry: Arc<Registry>, mut stop: watch::Receiver<bool>) {
    loop {
        for tenant in registry.open_tenants() {
            if tenant.brand().archived_at.is_some() {
                continue;
            }
            if let Err(e) = update_segments(&tenant, Utc::now).await {
                tracing::warn!(marca = %tenant.slug(), error = %e, "segmentos: fallo al actualizar");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => return,
        }
    }
}
