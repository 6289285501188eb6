//! The embedded scheduler: jobs with cron schedules evaluated in each brand's time zone,
//! persisted in the control database so a restart catches up a missed run exactly once.
//!
//! Jobs are declared in code ([`catalog`]) and call domain job functions; each brand runs
//! separately so one brand's failure never blocks another's, and every run happens on its
//! own task so a long job never blocks the web server.

pub mod api;
mod catalog;
pub mod pages;
mod runner;
pub mod store;

pub use catalog::catalog;
pub use runner::{Scheduler, run_now};

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use crate::error::AppError;
use crate::tenants::{Registry, Tenant};

/// What a job receives.
pub struct JobCtx {
    pub registry: Arc<Registry>,
    /// The brand for per-brand jobs.
    pub tenant: Option<Arc<Tenant>>,
    /// The due time this run covers (unix ms); `None` for "run now".
    pub scheduled_for: Option<i64>,
    /// Where reports and alerts go out from (`[email]`, `[telegram]`).
    pub notify: Arc<crate::config::NotifyConfig>,
}

pub type JobFuture = Pin<Box<dyn Future<Output = Result<String, AppError>> + Send>>;

/// A declared job.
#[derive(Clone)]
pub struct JobSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// Cron with seconds: `sec min hour day-of-month month day-of-week`.
    pub cron: &'static str,
    /// Run once per active brand (in its zone) rather than once for the install (UTC).
    pub per_brand: bool,
    pub run: fn(JobCtx) -> JobFuture,
    /// For a frequent per-brand job whose work is all in the data (no clock rule): SQL
    /// answering when the brand next has work for it (unix ms; 0 = now) or NULL for none.
    /// A closed brand with none is not opened for the run (see `tenants::WakeCheck`); the
    /// run is recorded as having found nothing to do, which is what it would have found.
    pub pending: Option<&'static str>,
}

impl JobSpec {
    fn schedule(&self) -> Result<cron::Schedule, AppError> {
        cron::Schedule::from_str(self.cron).map_err(|e| {
            AppError::internal(format!("job {}: bad cron `{}`: {e}", self.name, self.cron))
        })
    }
}

/// The parsed schedule of `spec` (for listings outside this module).
pub fn schedule_of(spec: &JobSpec) -> Result<cron::Schedule, AppError> {
    spec.schedule()
}

/// The latest due time in `(after, now]` and how many due times that range held.
pub fn latest_due(
    schedule: &cron::Schedule,
    tz: chrono_tz::Tz,
    after_ms: i64,
    now_ms: i64,
) -> Option<(i64, u32)> {
    let after: DateTime<chrono_tz::Tz> = Utc
        .timestamp_millis_opt(after_ms)
        .single()?
        .with_timezone(&tz);
    let mut latest = None;
    let mut count = 0u32;
    // Bounded: a minutely job after a month away is ~43k steps, still instant.
    for due in schedule.after(&after).take(100_000) {
        let ms = due.timestamp_millis();
        if ms > now_ms {
            break;
        }
        latest = Some(ms);
        count += 1;
    }
    latest.map(|l| (l, count))
}

/// The next due time after `now` in `tz`.
pub fn next_due(schedule: &cron::Schedule, tz: chrono_tz::Tz, now_ms: i64) -> Option<i64> {
    let now = Utc
        .timestamp_millis_opt(now_ms)
        .single()?
        .with_timezone(&tz);
    schedule.after(&now).next().map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn catch_up_runs_once_for_the_latest_missed_time_in_the_brand_zone() {
        let daily_3am = cron::Schedule::from_str("0 0 3 * * *").unwrap();
        let lima: chrono_tz::Tz = "America/Lima".parse().unwrap();
        // Down from Monday 02:00 to Thursday 10:00 Lima: three 03:00 runs were missed.
        let (latest, missed) = latest_due(
            &daily_3am,
            lima,
            ms("2026-11-23T02:00:00-05:00"),
            ms("2026-11-26T10:00:00-05:00"),
        )
        .unwrap();
        assert_eq!(latest, ms("2026-11-26T03:00:00-05:00"));
        assert_eq!(missed, 4, "Mon, Tue, Wed and Thu 03:00 were due");
        assert!(latest_due(&daily_3am, lima, latest, ms("2026-11-26T10:00:00-05:00")).is_none());
        assert_eq!(
            next_due(&daily_3am, lima, latest),
            Some(ms("2026-11-27T03:00:00-05:00"))
        );
    }

    #[test]
    fn every_declared_job_has_a_valid_schedule() {
        for job in catalog() {
            job.schedule()
                .unwrap_or_else(|e| panic!("{}: {e}", job.name));
        }
    }
}
