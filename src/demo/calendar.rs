//! Local days of the demo window in the brand's time zone, each with how busy it is, so
//! order times follow the brand's weekday, season and opening-hour patterns.

use chrono::{Datelike, NaiveDate, TimeZone};
use rand::Rng;
use rand::rngs::SmallRng;

use super::profile::Profile;

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

struct Day {
    /// Local midnight as unix ms UTC.
    midnight: i64,
    /// Sum of the weights of the days before this one.
    before: f64,
}

pub struct Calendar {
    pub start: i64,
    days: Vec<Day>,
    total_weight: f64,
    hours: [u16; 24],
    hours_total: u32,
}

impl Calendar {
    /// The `months` before `now` in `tz`.
    pub fn new(profile: &Profile, tz: chrono_tz::Tz, now: i64, months: u32) -> Calendar {
        let start = now - i64::from(months) * 2_629_746_000;
        let local = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap_or_default()
                .with_timezone(&tz)
                .date_naive()
        };
        let (first, last) = (local(start), local(now));
        let mut days = Vec::new();
        let mut date = first;
        let mut before = 0.0;
        while date <= last && days.len() < 40_000 {
            let midnight = tz
                .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map_or(start, |t| t.timestamp_millis());
            days.push(Day { midnight, before });
            before += day_weight(profile, date);
            date = date.succ_opt().unwrap_or(date);
        }
        Calendar {
            start,
            days,
            total_weight: before,
            hours: profile.hours,
            hours_total: profile.hours.iter().map(|h| u32::from(*h)).sum(),
        }
    }

    fn day_of(&self, t: i64) -> usize {
        self.days
            .partition_point(|d| d.midnight <= t)
            .saturating_sub(1)
    }

    fn local_hour(&self, rng: &mut SmallRng) -> i64 {
        let mut ticket = rng.gen_range(0..self.hours_total.max(1));
        for (h, w) in self.hours.iter().enumerate() {
            let w = u32::from(*w);
            if ticket < w {
                return h as i64;
            }
            ticket -= w;
        }
        12
    }

    /// Weight sum of the days before day `i` (the total after the last day).
    fn before(&self, i: usize) -> f64 {
        self.days.get(i).map_or(self.total_weight, |d| d.before)
    }

    /// An instant in `[lo, hi)`: a day drawn by how busy it is, then an hour drawn from the
    /// opening-hour pattern. Ranges too short for the pattern get any instant of the range.
    pub fn place(&self, rng: &mut SmallRng, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let (first, last) = (self.day_of(lo), self.day_of(hi - 1));
        let (from, to) = (self.before(first), self.before(last + 1));
        for _ in 0..16 {
            let ticket = if to > from {
                rng.gen_range(from..to)
            } else {
                from
            };
            let day = self
                .days
                .partition_point(|d| d.before <= ticket)
                .saturating_sub(1)
                .clamp(first, last);
            let at = self.days[day].midnight + self.local_hour(rng) * HOUR + rng.gen_range(0..HOUR);
            if (lo..hi).contains(&at) {
                return at;
            }
        }
        rng.gen_range(lo..hi)
    }
}

fn day_weight(profile: &Profile, date: NaiveDate) -> f64 {
    let weekday = date.weekday().num_days_from_monday() as usize;
    let month = date.month0() as usize;
    let mut w = profile.weekdays[weekday] * profile.months[month];
    // Día del Pollo a la Brasa (third Sunday of July) is the busiest day of a pollería.
    if profile.kind == super::profile::Kind::Gollos
        && date.month() == 7
        && weekday == 6
        && (15..=21).contains(&date.day())
    {
        w *= 3.0;
    }
    w
}
