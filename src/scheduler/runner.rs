//! The scheduler loop: finds due (job, brand) pairs, runs each once on its own task, and
//! records the outcome.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{JobCtx, JobSpec, latest_due, store};
use crate::config::NotifyConfig;
use crate::error::{AppError, msg};
use crate::tenants::{Registry, Slug, WakeCheck};
use crate::time::now_ms;

const TICK: Duration = Duration::from_secs(1);
/// Per-brand runs of brands that are closed at the time, at most this many at once: at a
/// minute boundary every brand's per-minute job is due, and opening 100 brands side by side
/// would hold them all in memory together (≈ 3–4 MiB each) instead of a few at a time.
const CLOSED_BRANDS_AT_ONCE: usize = 2;

pub struct Scheduler {
    registry: Arc<Registry>,
    specs: Vec<JobSpec>,
    notify: Arc<NotifyConfig>,
    /// (job, brand) pairs running now: a slow run is never started twice.
    running: Arc<Mutex<HashSet<(String, String)>>>,
    /// See [`CLOSED_BRANDS_AT_ONCE`].
    closed_gate: Arc<tokio::sync::Semaphore>,
    /// For jobs with a [`JobSpec::pending`] probe: which closed brands have work for them.
    wakes: HashMap<&'static str, Arc<WakeCheck>>,
}

impl Scheduler {
    pub fn new(
        registry: Arc<Registry>,
        specs: Vec<JobSpec>,
        notify: Arc<NotifyConfig>,
    ) -> Scheduler {
        Scheduler {
            registry,
            notify,
            running: Arc::default(),
            closed_gate: Arc::new(tokio::sync::Semaphore::new(CLOSED_BRANDS_AT_ONCE)),
            wakes: specs
                .iter()
                .filter_map(|s| Some((s.name, Arc::new(WakeCheck::new(s.pending?)))))
                .collect(),
            specs,
        }
    }

    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.tick_at(now_ms()).await {
                tracing::warn!(error = %e, "scheduler tick failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Starts every run due at `now` and returns their tasks (tests await them).
    pub async fn tick_at(&self, now: i64) -> Result<Vec<JoinHandle<()>>, AppError> {
        let brands = self.registry.list(false).await?;
        let mut pairs = Vec::new();
        for spec in &self.specs {
            let schedule = spec.schedule()?;
            if spec.per_brand {
                pairs.extend(
                    brands
                        .iter()
                        .map(|b| (spec, schedule.clone(), b.slug.to_string(), b.tz())),
                );
            } else {
                pairs.push((spec, schedule, String::new(), chrono_tz::UTC));
            }
        }
        // Every (job, scope) state in ONE write: new pairs are registered in one commit (not
        // one per pair: 1,100 commits on the first start with 100 brands), and a tick with
        // nothing new changes nothing.
        let keys: Vec<(&'static str, String)> = pairs
            .iter()
            .map(|(s, _, b, _)| (s.name, b.clone()))
            .collect();
        let states = self
            .registry
            .control()
            .write(move |c| {
                keys.iter()
                    .map(|(name, key)| store::ensure(c, name, key, now))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let mut started = Vec::new();
        for ((spec, schedule, brand, tz), state) in pairs.into_iter().zip(states) {
            let Some((due, missed)) = latest_due(&schedule, tz, state.ultimo_programado, now)
            else {
                continue;
            };
            let claim = (spec.name.to_string(), brand.clone());
            if !self
                .running
                .lock()
                .map(|mut r| r.insert(claim.clone()))
                .unwrap_or(false)
            {
                continue;
            }
            if missed > 1 {
                tracing::info!(
                    job = spec.name,
                    brand,
                    missed,
                    "catching up missed runs once"
                );
            }
            let (registry, spec, running, notify, gate) = (
                self.registry.clone(),
                spec.clone(),
                self.running.clone(),
                self.notify.clone(),
                self.closed_gate.clone(),
            );
            let wake = self.wakes.get(spec.name).cloned();
            started.push(tokio::spawn(async move {
                let closed = spec.per_brand
                    && Slug::parse(&brand).is_ok_and(|s| registry.if_open(&s).is_none());
                let _permit = match closed {
                    true => gate.acquire_owned().await.ok(),
                    false => None,
                };
                let run = execute(&registry, &spec, &brand, Some(due), notify, wake.as_deref());
                if let Err(e) = run.await {
                    tracing::warn!(job = spec.name, brand, error = %e, "job failed");
                }
                if let Ok(mut r) = running.lock() {
                    r.remove(&claim);
                }
            }));
        }
        Ok(started)
    }
}

/// Runs one job for one scope and records it; returns the job's own summary.
async fn execute(
    registry: &Arc<Registry>,
    spec: &JobSpec,
    brand: &str,
    scheduled_for: Option<i64>,
    notify: Arc<NotifyConfig>,
    wake: Option<&WakeCheck>,
) -> Result<String, AppError> {
    // A job's visit does not keep the brand open (the idle close goes by requests).
    let tenant = match (spec.per_brand, wake) {
        (false, _) => None,
        (true, None) => Some(registry.tenant_quiet(&Slug::parse(brand)?).await?),
        (true, Some(wake)) => match wake
            .tenant(registry, &Slug::parse(brand)?, now_ms())
            .await?
        {
            Some(t) => Some(t),
            None => return record_nothing_due(registry, spec.name, brand, scheduled_for).await,
        },
    };
    let (name, key) = (spec.name, brand.to_string());
    let run_id = registry
        .control()
        .write(move |c| {
            store::ensure(c, name, &key, now_ms())?;
            store::start_run(c, name, &key, scheduled_for, now_ms())
        })
        .await?;
    let ctx = JobCtx {
        registry: registry.clone(),
        tenant,
        scheduled_for,
        notify,
    };
    // A job runs on its own task: a panic in it is a failed run, not a dead scheduler.
    let outcome = match tokio::spawn((spec.run)(ctx)).await {
        Ok(result) => result,
        Err(e) => Err(AppError::internal(format!("job panicked: {e}"))),
    };
    let (ok, detail) = match &outcome {
        Ok(d) => (true, d.clone()),
        Err(e) => (false, e.to_string()),
    };
    let key = brand.to_string();
    registry
        .control()
        .write(move |c| store::finish_run(c, run_id, name, &key, ok, &detail, now_ms()))
        .await?;
    outcome
}

/// Records a run that found nothing to do in a closed brand, without opening it.
async fn record_nothing_due(
    registry: &Arc<Registry>,
    name: &'static str,
    brand: &str,
    scheduled_for: Option<i64>,
) -> Result<String, AppError> {
    let detail = "nada pendiente (marca cerrada) / nothing pending (brand closed)";
    let key = brand.to_string();
    registry
        .control()
        .write(move |c| {
            let now = now_ms();
            store::ensure(c, name, &key, now)?;
            let run = store::start_run(c, name, &key, scheduled_for, now)?;
            store::finish_run(c, run, name, &key, true, detail, now)
        })
        .await?;
    Ok(detail.to_string())
}

/// Runs `name` now, for one brand or (per-brand jobs without `brand`) for every active brand.
pub async fn run_now(
    registry: &Arc<Registry>,
    specs: &[JobSpec],
    name: &str,
    brand: Option<&Slug>,
    notify: &Arc<NotifyConfig>,
) -> Result<Vec<(String, Result<String, AppError>)>, AppError> {
    let spec = specs.iter().find(|s| s.name == name).ok_or_else(|| {
        AppError::BadRequest(msg(
            format!("No existe el trabajo «{name}»."),
            format!("There is no job `{name}`."),
        ))
    })?;
    let scopes: Vec<String> = match (spec.per_brand, brand) {
        (true, Some(b)) => vec![b.to_string()],
        (true, None) => registry
            .list(false)
            .await?
            .into_iter()
            .map(|b| b.slug.to_string())
            .collect(),
        (false, _) => vec![String::new()],
    };
    let mut results = Vec::new();
    for scope in scopes {
        let outcome = execute(registry, spec, &scope, None, notify.clone(), None).await;
        results.push((scope, outcome));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::{JobFuture, JobSpec};
    use crate::tenants::BrandInput;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A brand named after its slug, in soles and Lima's zone.
    fn lima_brand(slug: &str) -> BrandInput {
        BrandInput {
            slug: slug.into(),
            nombre: slug.into(),
            moneda: "PEN".into(),
            zona_horaria: "America/Lima".into(),
            pais: "PE".into(),
            idioma: "es".into(),
        }
    }

    static RUNS: AtomicUsize = AtomicUsize::new(0);

    fn counting(_ctx: JobCtx) -> JobFuture {
        Box::pin(async {
            RUNS.fetch_add(1, Ordering::SeqCst);
            Ok("contado".into())
        })
    }

    fn failing(_ctx: JobCtx) -> JobFuture {
        Box::pin(async { Err(AppError::internal("boom")) })
    }

    async fn run_all(handles: Vec<JoinHandle<()>>) -> usize {
        let n = handles.len();
        for h in handles {
            h.await.unwrap();
        }
        n
    }

    #[tokio::test]
    async fn missed_runs_are_caught_up_once_across_a_restart_and_brands_are_independent() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(Registry::open(dir.path(), 1).unwrap());
        for slug in ["a", "b"] {
            registry.create(lima_brand(slug)).await.unwrap();
        }
        let specs = vec![
            JobSpec {
                name: "cada_minuto",
                description: "",
                cron: "0 * * * * *",
                per_brand: true,
                run: counting,
                pending: None,
            },
            JobSpec {
                name: "roto",
                description: "",
                cron: "0 * * * * *",
                per_brand: false,
                run: failing,
                pending: None,
            },
        ];
        let t0 = 1_800_000_000_000; // a whole minute
        let first = Scheduler::new(registry.clone(), specs.clone(), Arc::default());
        assert_eq!(
            run_all(first.tick_at(t0).await.unwrap()).await,
            0,
            "new jobs wait for their first due time"
        );
        // Five minutes and a half later: five due times per brand, run once each.
        assert_eq!(run_all(first.tick_at(t0 + 330_000).await.unwrap()).await, 3);
        assert_eq!(RUNS.load(Ordering::SeqCst), 2);
        // Restart: the process's registry is closed and the control database opened again
        // from disk; the new scheduler does not run the caught-up times again.
        drop(first);
        registry.close().await;
        drop(registry);
        let registry = Arc::new(Registry::open(dir.path(), 1).unwrap());
        let second = Scheduler::new(registry.clone(), specs, Arc::default());
        assert_eq!(
            run_all(second.tick_at(t0 + 340_000).await.unwrap()).await,
            0
        );
        assert_eq!(
            run_all(second.tick_at(t0 + 361_000).await.unwrap()).await,
            3
        );
        assert_eq!(
            RUNS.load(Ordering::SeqCst),
            4,
            "the failing install-wide job did not stop the brands"
        );
        let control = registry.control().clone();
        let (a_runs, broken) = control
            .read(|c| {
                Ok((
                    store::run_count(c, "cada_minuto", "a")?,
                    store::get(c, "roto", "")?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(a_runs, 2);
        let broken = broken.unwrap();
        assert_eq!(broken.resultado.as_deref(), Some("error"));
        assert!(broken.detalle.unwrap().contains("boom"));
    }

    static AT_ONCE: AtomicUsize = AtomicUsize::new(0);
    static MOST_AT_ONCE: AtomicUsize = AtomicUsize::new(0);
    static SLOW_RUNS: AtomicUsize = AtomicUsize::new(0);

    fn slow(ctx: JobCtx) -> JobFuture {
        Box::pin(async move {
            assert!(ctx.tenant.is_some(), "a per-brand job gets its brand");
            let now = AT_ONCE.fetch_add(1, Ordering::SeqCst) + 1;
            MOST_AT_ONCE.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            AT_ONCE.fetch_sub(1, Ordering::SeqCst);
            SLOW_RUNS.fetch_add(1, Ordering::SeqCst);
            Ok(String::new())
        })
    }

    /// Jobs run for every brand, closed ones included, opening only a few closed brands at
    /// once, and a job's visit does not keep a brand open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_for_closed_brands_a_few_at_a_time_and_leave_them_closable() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(Registry::open(dir.path(), 1).unwrap());
        let slugs = ["a", "b", "c", "d", "e"];
        for slug in slugs {
            registry.create(lima_brand(slug)).await.unwrap();
        }
        assert_eq!(registry.close_idle(Duration::ZERO).await, 5);
        let specs = vec![JobSpec {
            name: "lento",
            description: "",
            cron: "0 * * * * *",
            per_brand: true,
            run: slow,
            pending: None,
        }];
        let t0 = 1_800_000_000_000;
        let scheduler = Scheduler::new(registry.clone(), specs, Arc::default());
        run_all(scheduler.tick_at(t0).await.unwrap()).await;
        assert_eq!(
            run_all(scheduler.tick_at(t0 + 61_000).await.unwrap()).await,
            5
        );
        assert_eq!(
            SLOW_RUNS.load(Ordering::SeqCst),
            5,
            "every brand's run happened"
        );
        let most = MOST_AT_ONCE.load(Ordering::SeqCst);
        assert!(
            (1..=CLOSED_BRANDS_AT_ONCE).contains(&most),
            "{most} closed brands open at once"
        );
        assert_eq!(
            registry.close_idle(Duration::from_secs(60)).await,
            5,
            "jobs do not count as use"
        );
        registry.close().await;
    }

    static PROBED_RUNS: AtomicUsize = AtomicUsize::new(0);

    fn probed(_ctx: JobCtx) -> JobFuture {
        Box::pin(async {
            PROBED_RUNS.fetch_add(1, Ordering::SeqCst);
            Ok(String::new())
        })
    }

    /// A job with a `pending` probe does not open a closed brand that has nothing for it
    /// (the run is recorded as finding nothing), and does open it once there is work, even
    /// when another process put the work there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_brand_with_nothing_pending_is_not_opened_for_a_probed_job() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(Registry::open(dir.path(), 1).unwrap());
        registry.create(lima_brand("a")).await.unwrap();
        assert_eq!(registry.close_idle(Duration::ZERO).await, 1);
        let specs = vec![JobSpec {
            name: "sondeado",
            description: "",
            cron: "0 * * * * *",
            per_brand: true,
            run: probed,
            pending: Some("SELECT CASE WHEN (SELECT sellado_en FROM cifrado) = 99 THEN 0 END"),
        }];
        let a = Slug::parse("a").unwrap();
        let t0 = 1_800_000_000_000;
        let scheduler = Scheduler::new(registry.clone(), specs, Arc::default());
        run_all(scheduler.tick_at(t0).await.unwrap()).await;
        assert_eq!(
            run_all(scheduler.tick_at(t0 + 61_000).await.unwrap()).await,
            1
        );
        assert_eq!(
            PROBED_RUNS.load(Ordering::SeqCst),
            0,
            "nothing pending: not run"
        );
        assert!(registry.if_open(&a).is_none(), "and not opened");
        let runs = registry
            .control()
            .read(|c| store::run_count(c, "sondeado", "a"))
            .await
            .unwrap();
        assert_eq!(runs, 1, "the due run is recorded");

        // Another process (the CLI) leaves work while the brand is closed.
        {
            let cli = Registry::open(dir.path(), 1).unwrap();
            let t = cli.tenant(&a).await.unwrap();
            t.db()
                .write(|c| Ok(c.execute("UPDATE cifrado SET sellado_en = 99", [])?))
                .await
                .unwrap();
            cli.close().await;
        }
        assert_eq!(
            run_all(scheduler.tick_at(t0 + 121_000).await.unwrap()).await,
            1
        );
        assert_eq!(PROBED_RUNS.load(Ordering::SeqCst), 1, "work pending: run");
        registry.close().await;
    }
}
