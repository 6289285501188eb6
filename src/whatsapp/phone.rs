//! Phone identities for matching customers: the E.164 forms a WhatsApp `wa_id` may correspond to
//! (Mexico 521↔52, Argentina 549↔54, Brazil's ninth digit) and normalisation of typed numbers.
//!
//! Replies always go to the `wa_id` exactly as received; these variants are only for *finding* a
//! customer whose number was stored in another form.

use phonenumber::{Mode, country};

/// Why a typed number could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("el código de país «{0}» no es válido")]
    UnknownCountry(String),
    #[error("«{0}» no parece un número de teléfono")]
    Unparseable(String),
    #[error("«{0}» no es un número válido para {1}")]
    Invalid(String, String),
}

/// Normalises a number typed by staff or a web form to E.164 (`+51987654321`), reading national
/// formats in `default_country` (ISO 3166 alpha-2, the brand's country, e.g. `"PE"`).
pub fn normalize_e164(input: &str, default_country: &str) -> Result<String, PhoneError> {
    let id: country::Id = default_country
        .trim()
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| PhoneError::UnknownCountry(default_country.to_owned()))?;
    let trimmed = input.trim();
    // A bare run of 11+ digits is how WhatsApp writes ids: read it as international.
    let digits_only = trimmed.len() >= 11 && trimmed.bytes().all(|b| b.is_ascii_digit());
    let text = if digits_only {
        format!("+{trimmed}")
    } else {
        trimmed.to_owned()
    };
    let number = phonenumber::parse(Some(id), &text)
        .map_err(|_| PhoneError::Unparseable(input.to_owned()))?;
    let e164 = number.format().mode(Mode::E164).to_string();
    if number.is_valid() {
        return Ok(e164);
    }
    // "+52 1 55…" (old Mexican mobile form) is not valid E.164 any more, but its variant is.
    canonical(&e164)
        .filter(|c| *c != e164)
        .ok_or_else(|| PhoneError::Invalid(input.to_owned(), default_country.to_owned()))
}

/// The E.164 form of a `wa_id` (`"5215512345678"` → `"+5215512345678"`); digits only are kept.
pub fn wa_id_to_e164(wa_id: &str) -> String {
    let digits: String = wa_id.chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

/// Every E.164 form under which this `wa_id` (or E.164 number) may be stored, canonical first
/// (the one `phonenumber` validates, e.g. `+52…` for Mexico, `+549…` for Argentine mobiles,
/// `+55DD9…` for Brazilian mobiles), then the form as received, then other variants. Empty for an
/// empty id (username users).
pub fn lookup_candidates(wa_id: &str) -> Vec<String> {
    let received = wa_id_to_e164(wa_id);
    if received.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(3);
    if let Some(c) = canonical(&received) {
        out.push(c);
    }
    for v in std::iter::once(received.clone()).chain(variants(&received)) {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// True when two ids/numbers can be the same WhatsApp user (their candidate sets meet).
pub fn same_user(a: &str, b: &str) -> bool {
    let cb = lookup_candidates(b);
    lookup_candidates(a).iter().any(|x| cb.contains(x))
}

/// The first candidate `phonenumber` accepts as valid, if any.
fn canonical(e164: &str) -> Option<String> {
    std::iter::once(e164.to_owned())
        .chain(variants(e164))
        .find(|c| phonenumber::parse(None, c).is_ok_and(|n| n.is_valid()))
}

/// Country-specific alternates of an E.164 string (`+` and digits).
fn variants(e164: &str) -> Vec<String> {
    let d = e164.trim_start_matches('+');
    let n = d.len();
    let mut out = Vec::new();
    // Mexico: mobiles used to carry a "1" after the country code; WhatsApp still reports 521 + 10.
    if let Some(rest) = d.strip_prefix("521").filter(|r| r.len() == 10) {
        out.push(format!("+52{rest}"));
    } else if let Some(rest) = d.strip_prefix("52").filter(|r| r.len() == 10) {
        out.push(format!("+521{rest}"));
    }
    // Argentina: mobiles are +54 9 + area + number (10 digits); dialled forms drop the 9.
    if let Some(rest) = d.strip_prefix("549").filter(|r| r.len() == 10) {
        out.push(format!("+54{rest}"));
    } else if let Some(rest) = d.strip_prefix("54").filter(|r| r.len() == 10) {
        out.push(format!("+549{rest}"));
    }
    // Brazil: 55 + DDD (2) + 9 + 8 digits for mobiles; old accounts report 55 + DDD + 8 digits.
    if d.starts_with("55") && n == 13 && d.as_bytes()[4] == b'9' {
        out.push(format!("+{}{}", &d[..4], &d[5..]));
    } else if d.starts_with("55") && n == 12 && matches!(d.as_bytes()[4], b'6'..=b'9') {
        // Only 8-digit numbers starting 6–9 were mobiles; 2–5 are landlines and never get the 9.
        out.push(format!("+{}9{}", &d[..4], &d[4..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mexico_521_and_52_find_each_other() {
        assert_eq!(
            lookup_candidates("5215512345678"),
            ["+525512345678", "+5215512345678"]
        );
        assert_eq!(
            lookup_candidates("525512345678"),
            ["+525512345678", "+5215512345678"]
        );
        assert!(same_user(
            "5215512345678",
            "+52 55 1234 5678".replace(' ', "").as_str()
        ));
    }

    #[test]
    fn argentina_549_and_54_find_each_other() {
        assert_eq!(
            lookup_candidates("5491122334455"),
            ["+5491122334455", "+541122334455"]
        );
        // Without the 9 it is also a valid Buenos Aires landline, so it stays first.
        assert_eq!(
            lookup_candidates("541122334455"),
            ["+541122334455", "+5491122334455"]
        );
    }

    #[test]
    fn brazil_ninth_digit_is_added_and_removed_for_mobiles_only() {
        // Legacy 12-digit wa_id of a mobile: canonical is the 13-digit form.
        assert_eq!(
            lookup_candidates("551187654321"),
            ["+5511987654321", "+551187654321"]
        );
        assert_eq!(
            lookup_candidates("5511987654321"),
            ["+5511987654321", "+551187654321"]
        );
        assert_eq!(
            lookup_candidates("5521998877665"),
            ["+5521998877665", "+552198877665"]
        );
        // A São Paulo landline (starts with 3) never gets a 9.
        assert_eq!(lookup_candidates("551133334444"), ["+551133334444"]);
    }

    #[test]
    fn other_countries_and_degenerate_ids() {
        assert_eq!(lookup_candidates("51987654321"), ["+51987654321"]);
        assert_eq!(lookup_candidates("+1 (415) 555-2671"), ["+14155552671"]);
        assert!(lookup_candidates("").is_empty());
        assert!(lookup_candidates("abc").is_empty());
        for weird in ["5", "55", "559", "5219", "۵۵۱۱۹۸۷۶۵۴۳۲۱", "+++", "55 11 9"] {
            let _ = lookup_candidates(weird);
        }
        assert!(!same_user("51987654321", "51987654322"));
        assert!(!same_user("", ""));
    }

    #[test]
    fn typed_numbers_normalise_to_e164() {
        assert_eq!(
            normalize_e164("987 654 321", "PE"),
            Ok("+51987654321".into())
        );
        assert_eq!(
            normalize_e164("+51 987-654-321", "pe"),
            Ok("+51987654321".into())
        );
        assert_eq!(
            normalize_e164("55 1234 5678", "MX"),
            Ok("+525512345678".into())
        );
        assert_eq!(
            normalize_e164("+52 1 55 1234 5678", "MX"),
            Ok("+525512345678".into())
        );
        assert_eq!(
            normalize_e164("(11) 98765-4321", "BR"),
            Ok("+5511987654321".into())
        );
        assert_eq!(
            normalize_e164("011 15-2233-4455", "AR"),
            Ok("+5491122334455".into())
        );
        assert_eq!(
            normalize_e164("5215512345678", "PE"),
            Ok("+525512345678".into())
        );
        assert!(matches!(
            normalize_e164("hola", "PE"),
            Err(PhoneError::Unparseable(_))
        ));
        assert!(matches!(
            normalize_e164("12", "PE"),
            Err(PhoneError::Invalid(..)) | Err(PhoneError::Unparseable(_))
        ));
        assert_eq!(
            normalize_e164("987654321", "ZZZ"),
            Err(PhoneError::UnknownCountry("ZZZ".into()))
        );
        assert_eq!(
            PhoneError::UnknownCountry("X".into()).to_string(),
            "el código de país «X» no es válido"
        );
    }
}
