//! How money and time look on screen: minor units in the brand's currency, instants in the
//! brand's time zone. Used as template filters so every page shows them the same way.

use chrono::{TimeZone, Utc};
use minijinja::State;

/// Digits after the decimal point for a currency (ISO 4217 minor units; 2 unless listed).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "CLP" | "PYG" | "VND" | "ISK" | "UGX" | "XOF" | "XAF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

/// `1250` minor units as `12.50` (no symbol); what inputs show and [`parse_money`] reads.
pub fn decimal(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale as u64,
        abs % scale as u64,
        width = digits as usize
    )
}

/// Money as people read it: `S/ 12.50`, `12.50 €`, `US$ 3.00`, with thousands grouped.
pub fn money(minor: i64, currency: &str) -> String {
    let plain = decimal(minor, currency);
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
    let (sign, int) = int.strip_prefix('-').map_or(("", int), |i| ("-", i));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let number = if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    };
    pattern(currency).replace("{n}", &number)
}

/// Where the number goes for a currency (`S/ {n}`); shared with the page's JavaScript.
pub fn pattern(currency: &str) -> String {
    match currency {
        "PEN" => "S/ {n}".into(),
        "USD" => "US$ {n}".into(),
        "EUR" => "{n} €".into(),
        "MXN" | "COP" | "ARS" | "CLP" => "$ {n}".into(),
        "GBP" => "£{n}".into(),
        other => format!("{{n}} {other}"),
    }
}

/// Reads `12.50`, `12,50`, `12` or `S/ 12.50` as minor units; `None` for anything else.
pub fn parse_money(text: &str, currency: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .trim_start_matches("S/")
        .trim_start_matches("US$")
        .trim_matches(|c: char| c == '$' || c == '€' || c.is_whitespace())
        .replace(',', ".");
    let digits = minor_digits(currency);
    let (int, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > digits as usize
        || int.len() > 13
    {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().ok()? * 10i64.pow(digits - frac.len() as u32)
    };
    int.checked_mul(10i64.pow(digits))?.checked_add(frac_value)
}

fn tz_of(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// Money built only from digits and our own currency patterns, so it is marked safe
/// (HTML escaping would otherwise write `S/` as `S&#x2f;`).
pub fn money_filter(minor: i64, currency: String) -> minijinja::Value {
    let text = money(minor, &currency);
    if text
        .chars()
        .any(|c| matches!(c, '<' | '>' | '&' | '"' | '\''))
    {
        return minijinja::Value::from(text);
    }
    minijinja::Value::from_safe_string(text)
}

pub fn decimal_filter(minor: i64, currency: String) -> String {
    decimal(minor, &currency)
}

/// `14:05` in the brand's zone.
pub fn time_filter(ms: i64, tz: String) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.with_timezone(&tz_of(&tz)).format("%H:%M").to_string())
        .unwrap_or_default()
}

/// `25/11/2026 14:05` in the brand's zone.
pub fn datetime_filter(ms: i64, tz: String) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| {
            t.with_timezone(&tz_of(&tz))
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// `hace 5 min` / `5 min ago`, for the age of an order on the board.
pub fn ago_filter(state: &State, ms: i64) -> String {
    let en = state
        .lookup("lang")
        .is_some_and(|l| l.as_str() == Some("en"));
    let mins = ((crate::time::now_ms() - ms) / 60_000).max(0);
    let text = if mins < 1 {
        if en { "now" } else { "ahora" }.to_string()
    } else if mins < 60 {
        format!("{mins} min")
    } else if mins < 48 * 60 {
        format!("{} h", mins / 60)
    } else {
        format!("{} d", mins / (24 * 60))
    };
    if mins < 1 {
        text
    } else if en {
        format!("{text} ago")
    } else {
        format!("hace {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_shapes() {
        assert_eq!(money(1250, "PEN"), "S/ 12.50");
        assert_eq!(money(123456789, "PEN"), "S/ 1,234,567.89");
        assert_eq!(money(5, "EUR"), "0.05 €");
        assert_eq!(money(-1250, "USD"), "US$ -12.50");
        assert_eq!(money(1500, "CLP"), "$ 1,500");
        assert_eq!(decimal(1250, "PEN"), "12.50");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(parse_money("12.5", "PEN"), Some(1250));
        assert_eq!(parse_money("12,50", "PEN"), Some(1250));
        assert_eq!(parse_money("S/ 3", "PEN"), Some(300));
        assert_eq!(parse_money("0.05", "PEN"), Some(5));
        assert_eq!(parse_money("1.234", "PEN"), None);
        assert_eq!(parse_money("-1", "PEN"), None);
        assert_eq!(parse_money("", "PEN"), None);
        assert_eq!(parse_money("abc", "PEN"), None);
        assert_eq!(parse_money("99999999999999999999", "PEN"), None);
    }
}
