//! Time as the product handles it: stored as unix milliseconds UTC, shown in a brand's zone.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// Now, as stored.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// RFC 3339 with the zone's offset, e.g. `2026-11-25T06:50:04.123-05:00`.
pub fn format_in(unix_ms: i64, tz: chrono_tz::Tz) -> String {
    match Utc.timestamp_millis_opt(unix_ms).single() {
        Some(t) => t
            .with_timezone(&tz)
            .to_rfc3339_opts(SecondsFormat::Millis, false),
        None => String::new(),
    }
}

/// Parses an RFC 3339 instant, or a plain date taken as midnight in `tz`.
pub fn parse_instant(value: &str, tz: chrono_tz::Tz) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.timestamp_millis());
    }
    let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    let midnight = date.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_brand_offset() {
        let lima: chrono_tz::Tz = "America/Lima".parse().unwrap();
        assert_eq!(format_in(0, lima), "1969-12-31T19:00:00.000-05:00");
    }

    #[test]
    fn dates_are_midnight_in_the_brand_zone() {
        let lima: chrono_tz::Tz = "America/Lima".parse().unwrap();
        let ms = parse_instant("2026-01-02", lima).unwrap();
        assert_eq!(format_in(ms, lima), "2026-01-02T00:00:00.000-05:00");
        assert!(parse_instant("2026-13-02", lima).is_none());
        assert!(parse_instant("ayer", lima).is_none());
    }
}
