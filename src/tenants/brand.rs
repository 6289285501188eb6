//! The brand record and the rules for its fields.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, FieldError, msg};

/// A validated brand slug: `^[a-z0-9][a-z0-9-]{0,39}$`. Because a slug names a file under
/// `<data-dir>/tenants/`, this type is what makes path traversal impossible.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(value: &str) -> Result<Slug, AppError> {
        let bytes = value.as_bytes();
        let valid = !bytes.is_empty()
            && bytes.len() <= 40
            && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if valid {
            Ok(Slug(value.to_string()))
        } else {
            Err(AppError::validation(
                "slug",
                "invalid_slug",
                msg(
                    "El identificador debe tener de 1 a 40 caracteres: minúsculas, dígitos y guiones, sin empezar por guion.",
                    "The slug must be 1 to 40 characters: lowercase letters, digits and hyphens, not starting with a hyphen.",
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Slug::parse(&s).map_err(|_| serde::de::Error::custom("invalid brand slug"))
    }
}

/// A brand as stored in the control database.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Brand {
    #[schema(value_type = String, example = "gollos")]
    pub slug: Slug,
    pub nombre: String,
    /// ISO 4217 code, e.g. `PEN`.
    pub moneda: String,
    /// IANA time zone, e.g. `America/Lima`.
    pub zona_horaria: String,
    /// ISO 3166-1 alpha-2 country used for phone numbers written without a prefix.
    pub pais: String,
    /// `es` or `en`.
    pub idioma: String,
    #[serde(skip)]
    pub archived_at: Option<i64>,
    #[serde(skip)]
    pub created_at: i64,
}

impl Brand {
    pub fn tz(&self) -> chrono_tz::Tz {
        self.zona_horaria.parse().unwrap_or(chrono_tz::UTC)
    }

    /// Formats a stored UTC instant as RFC 3339 with the brand's offset.
    pub fn format_time(&self, unix_ms: i64) -> String {
        crate::time::format_in(unix_ms, self.tz())
    }

    pub fn country(&self) -> Option<phonenumber::country::Id> {
        self.pais.parse().ok()
    }
}

/// Fields to create a brand.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandInput {
    #[schema(value_type = String, example = "gollos")]
    pub slug: String,
    pub nombre: String,
    #[serde(default = "default_currency")]
    pub moneda: String,
    #[serde(default = "default_tz")]
    pub zona_horaria: String,
    #[serde(default = "default_country")]
    pub pais: String,
    #[serde(default = "default_lang")]
    pub idioma: String,
}

fn default_currency() -> String {
    "PEN".into()
}
fn default_tz() -> String {
    "America/Lima".into()
}
fn default_country() -> String {
    "PE".into()
}
fn default_lang() -> String {
    "es".into()
}

/// Fields that may change on an existing brand; absent means unchanged.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandPatch {
    pub nombre: Option<String>,
    pub moneda: Option<String>,
    pub zona_horaria: Option<String>,
    pub pais: Option<String>,
    pub idioma: Option<String>,
}

/// Checks the brand fields shared by create and update, collecting every problem.
pub fn validate_fields(
    nombre: Option<&str>,
    moneda: Option<&str>,
    zona_horaria: Option<&str>,
    pais: Option<&str>,
    idioma: Option<&str>,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if let Some(n) = nombre
        && (n.trim().is_empty() || n.chars().count() > 120)
    {
        errors.push(FieldError::new(
            "nombre",
            "invalid_name",
            msg(
                "El nombre es obligatorio (máx. 120).",
                "Name is required (max 120).",
            ),
        ));
    }
    if let Some(c) = moneda
        && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        errors.push(FieldError::new(
            "moneda",
            "invalid_currency",
            msg(
                "Moneda ISO 4217 de tres letras, p. ej. PEN.",
                "ISO 4217 three-letter currency, e.g. PEN.",
            ),
        ));
    }
    if let Some(z) = zona_horaria
        && z.parse::<chrono_tz::Tz>().is_err()
    {
        errors.push(FieldError::new(
            "zona_horaria",
            "invalid_time_zone",
            msg(
                "Zona horaria IANA desconocida, p. ej. America/Lima.",
                "Unknown IANA time zone, e.g. America/Lima.",
            ),
        ));
    }
    if let Some(p) = pais
        && p.parse::<phonenumber::country::Id>().is_err()
    {
        errors.push(FieldError::new(
            "pais",
            "invalid_country",
            msg(
                "País ISO 3166 de dos letras, p. ej. PE.",
                "ISO 3166 two-letter country, e.g. PE.",
            ),
        ));
    }
    if let Some(l) = idioma
        && l != "es"
        && l != "en"
    {
        errors.push(FieldError::new(
            "idioma",
            "invalid_language",
            msg("Idioma: es o en.", "Language: es or en."),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_strict() {
        for ok in [
            "gollos",
            "goio-store",
            "eco-eterno",
            "a",
            "9x",
            &"a".repeat(40),
        ] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "Gollos",
            "a_b",
            "../x",
            "a/b",
            "a.b",
            "ñ",
            &"a".repeat(41),
            "a b",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_validation_collects_all_errors() {
        let err = validate_fields(
            Some(""),
            Some("soles"),
            Some("Lima"),
            Some("XX"),
            Some("fr"),
        )
        .unwrap_err();
        let AppError::Validation(errors) = err else {
            panic!()
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["nombre", "moneda", "zona_horaria", "pais", "idioma"]
        );
    }
}
