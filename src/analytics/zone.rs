//! The brand's time zone as SQLite can use it: the table of UTC offsets (`analitica_zona`)
//! that the rollup triggers read to put an order on its local day, and the switch that
//! rebuilds every rollup when the brand moves to another zone.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::AppError;

/// First and last instants the table covers (1970 – 2100, seconds).
const FROM_S: i64 = 0;
const TO_S: i64 = 4_102_444_800;
const DAY_S: i64 = 86_400;

fn offset_at(tz: Tz, second: i64) -> i64 {
    match DateTime::<Utc>::from_timestamp(second, 0) {
        Some(t) => i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        ),
        None => 0,
    }
}

/// (from ms, offset ms) rows: one at 1970 and one per offset change after it. Offsets are
/// probed daily and each change is located to the second by bisection (zones never change
/// twice within a day).
pub fn offsets(tz: Tz) -> Vec<(i64, i64)> {
    let mut rows = vec![(FROM_S * 1000, offset_at(tz, FROM_S) * 1000)];
    let mut current = offset_at(tz, FROM_S);
    let mut t = FROM_S;
    while t < TO_S {
        let next = t + DAY_S;
        let o = offset_at(tz, next);
        if o != current {
            let (mut lo, mut hi) = (t, next); // offset(lo) == current, offset(hi) == o
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            rows.push((hi * 1000, o * 1000));
            current = o;
        }
        t = next;
    }
    rows
}

/// The zone the rollups were built for, if any.
pub fn stored_zone(conn: &Connection) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row(
            "SELECT valor FROM analitica_estado WHERE clave = 'zona_horaria'",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

/// Makes the offset table match `tz`; when it did not (first use, or the brand changed
/// zone), rebuilds every rollup so days are the new zone's. Returns whether it rebuilt.
pub fn ensure(conn: &Connection, tz: Tz) -> Result<bool, AppError> {
    if stored_zone(conn)?.as_deref() == Some(tz.name()) {
        return Ok(false);
    }
    conn.execute("DELETE FROM analitica_zona", [])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO analitica_zona (desde_ms, offset_ms) VALUES (?1, ?2)")?;
    for (from, offset) in offsets(tz) {
        insert.execute(params![from, offset])?;
    }
    conn.execute(
        "INSERT INTO analitica_estado (clave, valor) VALUES ('zona_horaria', ?1)
         ON CONFLICT (clave) DO UPDATE SET valor = excluded.valor",
        [tz.name()],
    )?;
    super::rollups::rebuild(conn)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lima_has_one_offset_and_madrid_switches_twice_a_year() {
        let lima: Tz = "America/Lima".parse().unwrap_or(Tz::UTC);
        let rows = offsets(lima);
        assert_eq!(rows.last().map(|r| r.1), Some(-5 * 3600 * 1000));
        let madrid: Tz = "Europe/Madrid".parse().unwrap_or(Tz::UTC);
        let rows = offsets(madrid);
        // 2024-03-31 01:00 UTC: CET -> CEST.
        let spring = Utc
            .with_ymd_and_hms(2024, 3, 31, 1, 0, 0)
            .single()
            .map(|t| t.timestamp_millis())
            .unwrap_or_default();
        assert!(rows.contains(&(spring, 7_200_000)), "{:?}", &rows[..3]);
        assert_eq!(offsets(Tz::UTC), vec![(0, 0)]);
    }
}
