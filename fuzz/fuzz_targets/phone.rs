//! Fuzzes phone normalisation (E.164 from whatever staff or a CSV wrote) for brands in
//! the three first countries. It may refuse a number, never panic.
#![no_main]

use autonomo::customers::normalize_phone;
use autonomo::tenants::{Brand, Slug};
use libfuzzer_sys::fuzz_target;

fn brand(country: &str) -> Brand {
    Brand {
        slug: Slug::parse("fuzz").expect("slug"),
        nombre: "Fuzz".into(),
        moneda: "PEN".into(),
        zona_horaria: "America/Lima".into(),
        pais: country.into(),
        idioma: "es".into(),
        archived_at: None,
        created_at: 0,
    }
}

fuzz_target!(|raw: &str| {
    for country in ["PE", "MX", "AR", "ES", "ZZ"] {
        if let Some(e164) = normalize_phone(raw, &brand(country)) {
            assert!(e164.starts_with('+'), "{e164}");
            assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()), "{e164}");
        }
    }
});
