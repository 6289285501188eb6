//! Turning one SQLite value into the JSON that Postgres' `jsonb_to_recordset` reads as the
//! mirror's type: money in major units, instants, booleans, JSON, pseudonyms.

use rusqlite::types::ValueRef;
use serde_json::{Map, Value};

use super::pseudo::Pseudonymizer;
use super::tables::{Column, Kind};

/// One SQLite value as the JSON that `jsonb_to_recordset` turns into the Postgres type.
pub(super) fn convert(
    col: &Column,
    value: ValueRef<'_>,
    exponent: u32,
    pseudo: &Pseudonymizer,
) -> Result<Value, String> {
    Ok(match (col.kind, value) {
        (_, ValueRef::Null) => Value::Null,
        (Kind::Int, ValueRef::Integer(i)) => Value::from(i),
        (Kind::Money, ValueRef::Integer(i)) => Value::String(decimal(i, exponent)),
        (Kind::Bool, ValueRef::Integer(i)) => Value::Bool(i != 0),
        (Kind::Time, ValueRef::Integer(ms)) => {
            let at = chrono::DateTime::from_timestamp_millis(ms)
                .filter(|t| chrono::Datelike::year(t) <= 9999)
                .ok_or_else(|| format!("time out of range: {ms}"))?;
            Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        }
        (Kind::Text, ValueRef::Text(bytes)) => {
            let text = String::from_utf8_lossy(bytes);
            let text = if col.personal {
                pseudo.apply(&text)
            } else {
                text.into_owned()
            };
            Value::String(without_nul(text))
        }
        (Kind::Json, ValueRef::Text(bytes)) => {
            let text = String::from_utf8_lossy(bytes);
            let empty = matches!(text.trim(), "" | "{}" | "[]");
            if col.personal && !pseudo.is_passthrough() && !empty {
                Value::String(pseudo.apply(&text))
            } else {
                let mut v = serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned()));
                scrub(&mut v);
                v
            }
        }
        (kind, other) => return Err(format!("unexpected {:?} for {kind:?}", other.data_type())),
    })
}

/// Postgres text and jsonb cannot hold U+0000; it becomes U+FFFD instead of failing the sync.
fn without_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

fn scrub(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('\0') => *s = s.replace('\0', "\u{FFFD}"),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => {
            let clean: Map<String, Value> = std::mem::take(map)
                .into_iter()
                .map(|(k, mut v)| {
                    scrub(&mut v);
                    (without_nul(k), v)
                })
                .collect();
            *map = clean;
        }
        _ => {}
    }
}

/// Minor units as a decimal in major units: `decimal(-1250, 2) == "-12.50"`.
pub fn decimal(minor: i64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let unit = 10i128.pow(exponent);
    let v = i128::from(minor);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.abs();
    format!("{sign}{}.{:0w$}", a / unit, a % unit, w = exponent as usize)
}

/// Digits after the decimal point of an ISO 4217 currency.
pub fn currency_exponent(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_every_minor_unit() {
        assert_eq!(decimal(1250, 2), "12.50");
        assert_eq!(decimal(-5, 2), "-0.05");
        assert_eq!(decimal(0, 2), "0.00");
        assert_eq!(decimal(1500, 0), "1500");
        assert_eq!(decimal(1, 3), "0.001");
        assert_eq!(decimal(i64::MIN, 2), "-92233720368547758.08");
        assert_eq!(currency_exponent("PEN"), 2);
        assert_eq!(currency_exponent("CLP"), 0);
    }

    #[test]
    fn nul_characters_cannot_poison_the_feed() {
        let col = Column {
            name: "x",
            pg: "x",
            kind: Kind::Json,
            personal: false,
        };
        let v = convert(
            &col,
            ValueRef::Text(br#"{"a":"b\u0000c"}"#),
            2,
            &Pseudonymizer::passthrough(),
        )
        .unwrap();
        assert_eq!(v.to_string(), "{\"a\":\"b\u{FFFD}c\"}");
    }
}
