//! Exact prices: decimal text (JSON number or string) to integer minor units, never through `f64`.

use serde::Serialize;
use std::fmt;

/// An amount in the currency's minor units (cents for BRL/PEN/MXN, whole units for CLP/JPY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Money {
    /// Amount in minor units, e.g. `5490` for BRL 54.90.
    pub minor_units: i64,
    /// ISO 4217 code as Meta sent it, e.g. `"BRL"`.
    pub currency: String,
}

impl Money {
    /// Decimal places of this currency ([`currency_exponent`]).
    pub fn exponent(&self) -> u32 {
        currency_exponent(&self.currency)
    }
}

impl fmt::Display for Money {
    /// `BRL 54.90`, `CLP 3500`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.exponent();
        let sign = if self.minor_units < 0 { "-" } else { "" };
        let abs = self.minor_units.unsigned_abs();
        if exp == 0 {
            return write!(f, "{} {sign}{abs}", self.currency);
        }
        let div = 10u64.pow(exp);
        write!(
            f,
            "{} {sign}{}.{:0width$}",
            self.currency,
            abs / div,
            abs % div,
            width = exp as usize
        )
    }
}

/// ISO 4217 minor-unit exponent. Only the exceptions to "2" are listed; unknown codes get 2.
pub fn currency_exponent(code: &str) -> u32 {
    match code.to_ascii_uppercase().as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Why a price could not be turned into minor units exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("el precio «{0}» no es un número decimal válido")]
    NotANumber(String),
    #[error("el precio «{0}» tiene más decimales de los que admite la moneda {1}")]
    TooPrecise(String, String),
    #[error("el precio «{0}» está fuera de rango")]
    OutOfRange(String),
    #[error("el precio «{0}» es negativo")]
    Negative(String),
}

/// Parses `raw`, the JSON text of a price (`54.9`, `12`, `"54.90"`, `5.49e1`), into minor units of
/// `currency`. Exact: `54.9` BRL is `5490`; `0.001` BRL is an error rather than a silent rounding.
pub fn parse_price(raw: &str, currency: &str) -> Result<Money, PriceError> {
    let text = raw.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    let bad = || PriceError::NotANumber(text.to_owned());
    if text.starts_with('-') {
        return Err(PriceError::Negative(text.to_owned()));
    }
    let text_unsigned = text.strip_prefix('+').unwrap_or(text);
    let (mantissa, exp10) = match text_unsigned.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = text_unsigned[i + 1..].parse().map_err(|_| bad())?;
            (&text_unsigned[..i], e)
        }
        None => (text_unsigned, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Err(bad());
    }
    // value = digits × 10^(exp10 − frac_len); minor = value × 10^currency_exp.
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let frac_len = i64::try_from(frac_part.len()).map_err(|_| bad())?;
    let shift = i64::from(exp10) - frac_len + i64::from(currency_exponent(currency));
    let out_of_range = || PriceError::OutOfRange(text.to_owned());
    let minor: i64 = if digits.is_empty() {
        0
    } else if shift >= 0 {
        let base: i64 = digits.parse().map_err(|_| out_of_range())?;
        let factor = u32::try_from(shift)
            .ok()
            .and_then(|s| 10i64.checked_pow(s))
            .ok_or_else(out_of_range)?;
        base.checked_mul(factor).ok_or_else(out_of_range)?
    } else {
        // Negative shift drops trailing digits, which must all be zero to stay exact.
        let drop = usize::try_from(-shift).map_err(|_| out_of_range())?;
        if drop >= digits.len() {
            return Err(PriceError::TooPrecise(text.to_owned(), currency.to_owned()));
        }
        let (keep, dropped) = digits.split_at(digits.len() - drop);
        if dropped.bytes().any(|b| b != b'0') {
            return Err(PriceError::TooPrecise(text.to_owned(), currency.to_owned()));
        }
        keep.parse().map_err(|_| out_of_range())?
    };
    Ok(Money {
        minor_units: minor,
        currency: currency.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minor(raw: &str, cur: &str) -> Result<i64, PriceError> {
        parse_price(raw, cur).map(|m| m.minor_units)
    }

    #[test]
    fn decimals_become_exact_minor_units() {
        assert_eq!(minor("54.9", "BRL"), Ok(5490));
        assert_eq!(minor("49.90", "BRL"), Ok(4990));
        assert_eq!(minor("6.5", "BRL"), Ok(650));
        assert_eq!(minor("12", "BRL"), Ok(1200));
        assert_eq!(minor("7.99", "USD"), Ok(799));
        assert_eq!(minor("\"54.90\"", "PEN"), Ok(5490));
        assert_eq!(minor("0.1", "PEN"), Ok(10));
        assert_eq!(minor("0.29", "PEN"), Ok(29), "0.29 is 0.28999… in f64");
        assert_eq!(minor("3500", "CLP"), Ok(3500));
        assert_eq!(minor("3500.00", "CLP"), Ok(3500));
        assert_eq!(minor("1.234", "KWD"), Ok(1234));
        assert_eq!(minor("5.49e1", "BRL"), Ok(5490));
        assert_eq!(minor("5490E-2", "BRL"), Ok(5490));
        assert_eq!(minor("0", "BRL"), Ok(0));
        assert_eq!(minor(".5", "BRL"), Ok(50));
        assert_eq!(minor("5.", "BRL"), Ok(500));
    }

    #[test]
    fn inexact_or_garbage_prices_are_errors() {
        assert!(matches!(
            minor("0.001", "BRL"),
            Err(PriceError::TooPrecise(..))
        ));
        assert!(matches!(
            minor("10.5", "CLP"),
            Err(PriceError::TooPrecise(..))
        ));
        assert!(matches!(minor("-1", "BRL"), Err(PriceError::Negative(_))));
        assert!(matches!(
            minor("1e99", "BRL"),
            Err(PriceError::OutOfRange(_))
        ));
        assert!(matches!(
            minor("99999999999999999999", "BRL"),
            Err(PriceError::OutOfRange(_))
        ));
        assert!(matches!(
            minor("1e-999999999999", "BRL"),
            Err(PriceError::NotANumber(_))
        ));
        for bad in [
            "", ".", "abc", "1,50", "1.2.3", "null", "true", "1e", "\"\"",
        ] {
            assert!(
                matches!(minor(bad, "BRL"), Err(PriceError::NotANumber(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn money_displays_with_the_currency_exponent() {
        let m = |minor_units, c: &str| {
            Money {
                minor_units,
                currency: c.into(),
            }
            .to_string()
        };
        assert_eq!(m(14830, "BRL"), "BRL 148.30");
        assert_eq!(m(5, "PEN"), "PEN 0.05");
        assert_eq!(m(3500, "CLP"), "CLP 3500");
        assert_eq!(m(1234, "KWD"), "KWD 1.234");
    }
}
