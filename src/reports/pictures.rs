//! A brand report's charts and CSV, drawn by the dashboard's own chart code
//! ([`crate::analytics::dashboard_charts`]) from the dashboard's rollups and rasterised to
//! PNG: revenue per day over a trend window ending on the report's last day, revenue by
//! channel, top products, customers by segment; and the detailed products table as CSV.

use chrono::{Days, NaiveDate, TimeZone};

use super::deliver::Picture;
use super::kpis::Period;
use crate::analytics::dashboard_charts::{self, Chart};
use crate::analytics::metrics;
use crate::analytics::period::Period as DayRange;
use crate::analytics::report::{self, Kind};
use crate::error::AppError;
use crate::tenants::{Brand, Tenant};

/// What a brand report carries besides its text.
pub struct Extras {
    pub pictures: Vec<Picture>,
    pub csv: (String, Vec<u8>),
}

fn local_day(tz: chrono_tz::Tz, ms: i64) -> NaiveDate {
    tz.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// The local days the report covers (its `[from, to)` range, inclusive days), and the
/// longer window its revenue chart shows: 14 days for the daily report (one point alone says
/// nothing), 28 for the weekly one.
pub fn days(period: Period, tz: chrono_tz::Tz, now: i64) -> (DayRange, DayRange) {
    let (from, to) = period.range(tz, now);
    let covered = DayRange {
        desde: local_day(tz, from),
        hasta: local_day(tz, to - 1),
    };
    let span = match period {
        Period::Daily => 14,
        Period::Weekly => 28,
    };
    let trend = DayRange {
        desde: covered
            .hasta
            .checked_sub_days(Days::new(span - 1))
            .unwrap_or(covered.desde),
        hasta: covered.hasta,
    };
    (covered, trend)
}

/// Reads the figures (putting the rollups on the brand's zone first, as the dashboard does)
/// and draws the report's charts and CSV.
pub async fn build(
    tenant: &Tenant,
    brand: &Brand,
    period: Period,
    now: i64,
) -> Result<Extras, AppError> {
    let tz = brand.tz();
    let (covered, trend) = days(period, tz, now);
    let stored = tenant
        .db()
        .read(crate::analytics::zone::stored_zone)
        .await?;
    if stored.as_deref() != Some(tz.name()) {
        tenant
            .db()
            .write_as("system:reports", move |c| {
                crate::analytics::zone::ensure(c, tz)
            })
            .await?;
    }
    let (d, serie, table) = tenant
        .db()
        .read(move |c| {
            Ok((
                metrics::dashboard(c, covered)?,
                metrics::series(c, trend)?,
                report::build(c, Kind::Products, covered)?,
            ))
        })
        .await?;
    let currency = brand.moneda.clone();
    let pictures = tokio::task::spawn_blocking(move || {
        let revenue = dashboard_charts::revenue(&serie, &currency);
        [
            (Chart::Revenue, revenue),
            (
                Chart::Channels,
                dashboard_charts::draw(Chart::Channels, &d, &currency),
            ),
            (
                Chart::Products,
                dashboard_charts::draw(Chart::Products, &d, &currency),
            ),
            (
                Chart::Segments,
                dashboard_charts::draw(Chart::Segments, &d, &currency),
            ),
        ]
        .into_iter()
        .map(|(chart, svg)| {
            Ok(Picture {
                name: chart.name().to_owned(),
                title: chart.title().to_owned(),
                png: crate::analytics::png::render(&svg)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()
    })
    .await
    .map_err(|e| AppError::internal(format!("chart task: {e}")))??;
    let name = format!(
        "{}-productos-{}-{}.csv",
        brand.slug, covered.desde, covered.hasta
    );
    Ok(Extras {
        pictures,
        csv: (name, table.to_csv()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_covers_yesterday_and_charts_two_weeks_ending_there() {
        let lima: chrono_tz::Tz = "America/Lima".parse().unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
            .unwrap()
            .timestamp_millis();
        let (covered, trend) = days(Period::Daily, lima, now);
        assert_eq!(covered.desde.to_string(), "2026-11-23");
        assert_eq!(covered.hasta, covered.desde);
        assert_eq!(trend.days(), 14);
        assert_eq!(trend.hasta, covered.hasta);
        let (week, trend) = days(Period::Weekly, lima, now);
        assert_eq!(week.days(), 7);
        assert_eq!(week.hasta.to_string(), "2026-11-23");
        assert_eq!(trend.days(), 28);
    }
}
