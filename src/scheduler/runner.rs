//! The scheduler loop: finds due (job, brand) pairs, runs each once on its own task, and
//! records the outcome.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{JobCtx, JobSpec, latest_due, store};
use crate::config::NotifyConfig;
use crate::error::{AppError, msg};
use crate::tenants::{Registry, Slug};
use crate::time::now_ms;

const TICK: Duration = Duration::from_secs(1);

pub struct Scheduler {
    registry: Arc<Registry>,
    specs: Vec<JobSpec>,
    notify: Arc<NotifyConfig>,
    /// (job, brand) pairs running now: a slow run is never started twice.
    running: Arc<Mutex<HashSet<(String, String)>>>,
}

impl Scheduler {
    pub fn new(
        registry: Arc<Registry>,
        specs: Vec<JobSpec>,
        notify: Arc<NotifyConfig>,
    ) -> Scheduler {
        Scheduler {
            registry,
            specs,
            notify,
            running: Arc::default(),
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
            let (registry, spec, running, notify) = (
                self.registry.clone(),
                spec.clone(),
                self.running.clone(),
                self.notify.clone(),
            );
            started.push(tokio::spawn(async move {
                if let Err(e) = execute(&registry, &spec, &brand, Some(due), notify).await {
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
) -> Result<String, AppError> {
    let tenant = if spec.per_brand {
        Some(registry.tenant(&Slug::parse(brand)?).await?)
    } else {
        None
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
        let outcome = execute(registry, spec, &scope, None, notify.clone()).await;
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
            registry
                .create(BrandInput {
                    slug: slug.into(),
                    nombre: slug.into(),
                    moneda: "PEN".into(),
                    zona_horaria: "America/Lima".into(),
                    pais: "PE".into(),
                    idioma: "es".into(),
                })
                .await
                .unwrap();
        }
        let specs = vec![
            JobSpec {
                name: "cada_minuto",
                description: "",
                cron: "0 * * * * *",
                per_brand: true,
                run: counting,
            },
            JobSpec {
                name: "roto",
                description: "",
                cron: "0 * * * * *",
                per_brand: false,
                run: failing,
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
}
