//! Running the sync: one pass over every brand, and the continuous loop used by
//! `autonomo serve` and `autonomo mirror sync --follow` (retries with backoff, never touching
//! the CRM's writers: it only reads through the brands' read pools).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio_postgres::Client;

use super::status::MirrorStatus;
use super::sync::{Progress, StepReport, sync_brand};
use super::{Settings, pg};
use crate::tenants::{Registry, Tenant};

/// Longest a single brand step may take before the connection is dropped and retried.
const STEP_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Longest wait between attempts while Postgres is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Even when nothing seems pending, every brand is checked against Postgres this often (the
/// mirror may have been reset by hand).
const RECHECK: Duration = Duration::from_secs(60);

/// What a pass reports as it goes.
pub enum Event {
    Progress(Progress),
    Step(StepReport),
}

/// Syncs every brand once. With `force`, brands whose last known cursor equals their feed's
/// head are asked too. Every brand is tried even when one fails; the first error is returned.
pub async fn sync_all(
    registry: &Registry,
    settings: &Settings,
    client: &mut Client,
    status: &MirrorStatus,
    force: bool,
    report: &(dyn Fn(Event) + Send + Sync),
) -> anyhow::Result<Vec<StepReport>> {
    let mut reports = Vec::new();
    let mut first_error = None;
    for brand in registry.list(true).await? {
        let slug = brand.slug.as_str().to_string();
        let outcome = async {
            let tenant = registry.tenant(&brand.slug).await?;
            let known = status.known_cursor(&slug);
            let (head, oldest) = pending(&tenant, known).await?;
            status.record_brand(&slug, known, head, oldest);
            if !force && known == Some(head) {
                return anyhow::Ok(None);
            }
            let progress = |p: Progress| report(Event::Progress(p));
            let current = tenant.brand();
            let step = sync_brand(
                client,
                tenant.db(),
                &current,
                &settings.site,
                &settings.pseudo,
                &progress,
            );
            let done = tokio::time::timeout(STEP_TIMEOUT, step)
                .await
                .map_err(|_| {
                    anyhow::anyhow!("paso del espejo demasiado lento / mirror step timed out")
                })??;
            let (head, oldest) = pending(&tenant, Some(done.to)).await?;
            status.record_brand(&slug, Some(done.to), head, oldest);
            Ok(Some(done))
        }
        .await;
        match outcome {
            Ok(Some(done)) => {
                report(Event::Step(done.clone()));
                reports.push(done);
            }
            Ok(None) => {}
            Err(e) => {
                let e = e.context(format!("marca {slug}"));
                tracing::warn!(error = %format!("{e:#}"), "espejo / mirror");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(reports),
    }
}

/// The feed's head and the time of the first change after `cursor`.
pub(super) async fn pending(
    tenant: &Tenant,
    cursor: Option<i64>,
) -> anyhow::Result<(i64, Option<i64>)> {
    let after = cursor.unwrap_or(0);
    Ok(tenant
        .db()
        .read(move |c| {
            Ok(c.query_row(
                "SELECT max(coalesce((SELECT max(seq) FROM changes), 0),
                            coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)),
                        (SELECT en FROM changes WHERE seq > ?1 ORDER BY seq LIMIT 1)",
                [after],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await?)
}

/// Keeps the mirror up to date until `shutdown` turns true. Postgres being down or slow only
/// delays the mirror: the loop records the error, waits with backoff and tries again.
pub async fn run_continuously(
    registry: Arc<Registry>,
    settings: Settings,
    status: Arc<MirrorStatus>,
    mut shutdown: watch::Receiver<bool>,
    report: Arc<dyn Fn(Event) + Send + Sync>,
) {
    let mut client: Option<Client> = None;
    let mut backoff = settings.interval;
    let mut last_full_check: Option<Instant> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let force = last_full_check.is_none_or(|t| t.elapsed() >= RECHECK);
        let attempt = pass(&registry, &settings, &mut client, &status, force, &*report);
        let outcome = tokio::select! {
            r = attempt => r,
            _ = shutdown.changed() => break,
        };
        let failing = outcome.is_err();
        let wait = match outcome {
            Ok(()) => {
                status.record_success();
                if force {
                    last_full_check = Some(Instant::now());
                }
                backoff = settings.interval;
                settings.interval
            }
            Err(e) => {
                status.record_error(&e);
                client = None;
                let wait = backoff + Duration::from_millis(rand::random::<u64>() % 250);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                wait
            }
        };
        // While Postgres is away the lag figures keep moving, from the SQLite side alone.
        let deadline = Instant::now() + wait;
        loop {
            if failing {
                refresh_lag(&registry, &status).await;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(left.min(settings.interval)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

async fn pass(
    registry: &Registry,
    settings: &Settings,
    client: &mut Option<Client>,
    status: &MirrorStatus,
    force: bool,
    report: &(dyn Fn(Event) + Send + Sync),
) -> anyhow::Result<()> {
    let connected = match client.take() {
        Some(c) if !c.is_closed() => c,
        _ => {
            let mut c = pg::connect(&settings.postgres_url).await?;
            pg::migrate(&mut c).await?;
            c
        }
    };
    let c = client.insert(connected);
    sync_all(registry, settings, c, status, force, report).await?;
    Ok(())
}

/// While Postgres is away, keeps the lag figures moving from the SQLite side alone.
async fn refresh_lag(registry: &Registry, status: &MirrorStatus) {
    let Ok(brands) = registry.list(true).await else {
        return;
    };
    for brand in brands {
        let slug = brand.slug.as_str();
        let known = status.known_cursor(slug);
        if let Ok(tenant) = registry.tenant(&brand.slug).await
            && let Ok((head, oldest)) = pending(&tenant, known).await
        {
            status.record_brand(slug, known, head, oldest);
        }
    }
}
