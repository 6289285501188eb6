//! A period cut at month boundaries (issue 5, scope 6): the days before its first whole
//! month (`head`), the whole months, the days after its last whole month (`tail`). Period
//! figures read the whole months from the monthly summaries of tenant V27 and only the ends
//! from the daily rows, so a year costs about twelve monthly rows per key plus at most two
//! partial months of days, whatever the brand's volume.

use chrono::{Datelike, Months, NaiveDate};
use rusqlite::{Connection, params};

use super::period::Period;
use crate::error::AppError;

/// A period as the summaries are read: day ranges at the ends, whole months in between.
/// A period with no whole month in it is one day range (`head`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The period's first day.
    pub desde: NaiveDate,
    /// Days before the first whole month (inclusive).
    pub head: Option<(NaiveDate, NaiveDate)>,
    /// First days of the first and the last whole month.
    pub months: Option<(NaiveDate, NaiveDate)>,
    /// Days after the last whole month (inclusive).
    pub tail: Option<(NaiveDate, NaiveDate)>,
}

fn first_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn last_of(d: NaiveDate) -> Option<NaiveDate> {
    first_of(d).checked_add_months(Months::new(1))?.pred_opt()
}

/// `YYYY-MM`, as the monthly tables key a month.
pub fn month_key(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// An empty `BETWEEN` range for an absent part.
const NONE: (&str, &str) = ("1", "0");

impl Span {
    pub fn of(p: Period) -> Span {
        let (a, b) = (p.desde, p.hasta);
        let first_whole = if a.day() == 1 {
            Some(a)
        } else {
            first_of(a).checked_add_months(Months::new(1))
        };
        let last_whole = if last_of(b) == Some(b) {
            Some(first_of(b))
        } else {
            first_of(b).checked_sub_months(Months::new(1))
        };
        let (Some(m1), Some(m2)) = (first_whole, last_whole) else {
            return Span::days(a, b);
        };
        if m1 > m2 {
            return Span::days(a, b);
        }
        let end = last_of(m2).unwrap_or(b);
        Span {
            desde: a,
            head: m1.pred_opt().filter(|_| a < m1).map(|h| (a, h)),
            months: Some((m1, m2)),
            tail: end.succ_opt().filter(|_| end < b).map(|t| (t, b)),
        }
    }

    fn days(a: NaiveDate, b: NaiveDate) -> Span {
        Span {
            desde: a,
            head: Some((a, b)),
            months: None,
            tail: None,
        }
    }

    /// The parameters of [`union`]: head from/to, tail from/to (`YYYY-MM-DD`), first/last
    /// whole month (`YYYY-MM`); an absent part as an empty range.
    pub fn keys(&self) -> [String; 6] {
        let days = |r: Option<(NaiveDate, NaiveDate)>| match r {
            Some((f, t)) => (f.to_string(), t.to_string()),
            None => (NONE.0.to_string(), NONE.1.to_string()),
        };
        let (h1, h2) = days(self.head);
        let (t1, t2) = days(self.tail);
        let (m1, m2) = match self.months {
            Some((f, t)) => (month_key(f), month_key(t)),
            None => (NONE.0.to_string(), NONE.1.to_string()),
        };
        [h1, h2, t1, t2, m1, m2]
    }

    /// Every month there is (the all-time figures): no days, all months.
    pub fn all_time_keys() -> [String; 6] {
        let none = || (NONE.0.to_string(), NONE.1.to_string());
        let ((h1, h2), (t1, t2)) = (none(), none());
        [h1, h2, t1, t2, "0000-00".into(), "9999-99".into()]
    }
}

/// The rows `cols` of a period, as a subquery: the head and tail days of `day_table` (by
/// `dia`) and the whole months of `month_table` (by `mes`), bound to `?1`…`?6` =
/// [`Span::keys`]. Each part is one range of its table's primary key.
pub fn union(day_table: &str, month_table: &str, cols: &str) -> String {
    format!(
        "(SELECT {cols} FROM {day_table} WHERE dia BETWEEN ?1 AND ?2
          UNION ALL SELECT {cols} FROM {day_table} WHERE dia BETWEEN ?3 AND ?4
          UNION ALL SELECT {cols} FROM {month_table} WHERE mes BETWEEN ?5 AND ?6)"
    )
}

/// Distinct customers with a non-cancelled order in the period, each counted once, at their
/// first activity in it:
/// - in the head or the tail: their customer-days there whose previous order day
///   (`anterior`, V25; '' for none) is before the period, read grouped by (day, previous
///   day) from V28's `analitica_activos_dia_anterior`;
/// - in a whole month: the customer-months of the whole months whose previous order day
///   is before the period (V27's `analitica_activos_mes*`): from an earlier month than the
///   period's first day (monthly keys), or a day of that month before it (daily keys —
///   at most the 30 days of the head's month).
///
/// A customer active in the head and again in a whole month or the tail has a previous
/// day inside the period there, so is not counted twice.
pub fn active_customers(conn: &Connection, p: Period) -> Result<i64, AppError> {
    let s = Span::of(p);
    let a = s.desde.to_string();
    let mut n = 0i64;
    let mut days = conn.prepare_cached(
        "SELECT COALESCE(SUM(clientes), 0) FROM analitica_activos_dia_anterior
         WHERE dia BETWEEN ?1 AND ?2 AND anterior < ?3",
    )?;
    for (from, to) in [s.head, s.tail].into_iter().flatten() {
        n += days.query_row(params![from.to_string(), to.to_string(), a], |r| {
            r.get::<_, i64>(0)
        })?;
    }
    if let Some((m1, m2)) = s.months {
        let (m1, m2) = (month_key(m1), month_key(m2));
        let own_month = first_of(s.desde);
        let earlier: i64 = conn
            .prepare_cached(
                "SELECT COALESCE(SUM(clientes), 0) FROM analitica_activos_mes
                 WHERE mes BETWEEN ?1 AND ?2 AND anterior < ?3",
            )?
            .query_row(params![m1, m2, month_key(own_month)], |r| r.get(0))?;
        let same_month: i64 = conn
            .prepare_cached(
                "SELECT COALESCE(SUM(clientes), 0) FROM analitica_activos_mes_dia
                 WHERE anterior >= ?3 AND anterior < ?4 AND mes BETWEEN ?1 AND ?2",
            )?
            .query_row(params![m1, m2, own_month.to_string(), a], |r| r.get(0))?;
        n += earlier + same_month;
    }
    Ok(n)
}
