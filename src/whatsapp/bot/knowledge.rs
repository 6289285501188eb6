//! What staff teach the bot, shared by the JSON API and the settings screen: FAQ entries and
//! the bot's settings (business hours, the closed-hours reply, the template used outside the
//! 24-hour window). Validation lives here so both doors refuse the same things.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, msg};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Faq {
    #[serde(default, skip_deserializing)]
    pub id: i64,
    pub pregunta: String,
    pub respuesta: String,
}

impl Faq {
    pub fn check(&self) -> Result<(), AppError> {
        let bad = |field: &str| {
            AppError::validation(
                field,
                "length",
                msg(
                    "Debe tener de 1 a 1000 caracteres.",
                    "Must be 1 to 1000 characters.",
                ),
            )
        };
        if self.pregunta.trim().is_empty() || self.pregunta.chars().count() > 1000 {
            return Err(bad("pregunta"));
        }
        if self.respuesta.trim().is_empty() || self.respuesta.chars().count() > 1000 {
            return Err(bad("respuesta"));
        }
        Ok(())
    }
}

pub fn list_faq(c: &Connection) -> Result<Vec<Faq>, AppError> {
    let mut stmt = c.prepare_cached("SELECT id, pregunta, respuesta FROM wa_faq ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(Faq {
            id: r.get(0)?,
            pregunta: r.get(1)?,
            respuesta: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Adds an entry; returns its id.
pub fn add_faq(c: &Connection, f: &Faq, now: i64) -> Result<i64, AppError> {
    f.check()?;
    c.execute(
        "INSERT INTO wa_faq (pregunta, respuesta, creado_en) VALUES (?1, ?2, ?3)",
        params![f.pregunta.trim(), f.respuesta.trim(), now],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn update_faq(c: &Connection, id: i64, f: &Faq) -> Result<(), AppError> {
    f.check()?;
    let n = c.execute(
        "UPDATE wa_faq SET pregunta = ?2, respuesta = ?3 WHERE id = ?1",
        params![id, f.pregunta.trim(), f.respuesta.trim()],
    )?;
    if n == 0 {
        return Err(AppError::NotFound("pregunta frecuente"));
    }
    Ok(())
}

pub fn delete_faq(c: &Connection, id: i64) -> Result<(), AppError> {
    match c.execute("DELETE FROM wa_faq WHERE id = ?1", [id])? {
        0 => Err(AppError::NotFound("pregunta frecuente")),
        _ => Ok(()),
    }
}

/// Bot settings; `null`, absent or blank removes a setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// "HH:MM-HH:MM" in the brand's time zone, e.g. "11:00-22:30".
    pub horario: Option<String>,
    /// Reply sent outside business hours.
    pub fuera_de_horario: Option<String>,
    /// Approved template sent instead of free-form text outside the 24-hour window.
    pub plantilla: Option<String>,
    pub plantilla_idioma: Option<String>,
}

const KEYS: [&str; 4] = [
    "horario",
    "fuera_de_horario",
    "plantilla",
    "plantilla_idioma",
];

impl Settings {
    pub fn check(&self) -> Result<(), AppError> {
        if let Some(h) = self.horario.as_deref().filter(|h| !h.trim().is_empty()) {
            let ok = h.split_once('-').is_some_and(|(a, b)| {
                [a, b].iter().all(|t| {
                    t.trim().split_once(':').is_some_and(|(h, m)| {
                        h.parse::<u32>().is_ok_and(|h| h < 24)
                            && m.parse::<u32>().is_ok_and(|m| m < 60)
                    })
                })
            });
            if !ok {
                return Err(AppError::validation(
                    "horario",
                    "format",
                    msg("Usa el formato HH:MM-HH:MM.", "Use the format HH:MM-HH:MM."),
                ));
            }
        }
        for (field, v) in [
            ("fuera_de_horario", &self.fuera_de_horario),
            ("plantilla", &self.plantilla),
            ("plantilla_idioma", &self.plantilla_idioma),
        ] {
            if v.as_deref().is_some_and(|v| v.chars().count() > 1000) {
                return Err(AppError::validation(
                    field,
                    "length",
                    msg("Máximo 1000 caracteres.", "At most 1000 characters."),
                ));
            }
        }
        Ok(())
    }

    fn values(&self) -> [&Option<String>; 4] {
        [
            &self.horario,
            &self.fuera_de_horario,
            &self.plantilla,
            &self.plantilla_idioma,
        ]
    }
}

pub fn read_settings(c: &Connection) -> Result<Settings, AppError> {
    let get = |k| super::setting(c, k);
    Ok(Settings {
        horario: get("horario")?,
        fuera_de_horario: get("fuera_de_horario")?,
        plantilla: get("plantilla")?,
        plantilla_idioma: get("plantilla_idioma")?,
    })
}

pub fn write_settings(c: &Connection, s: &Settings) -> Result<(), AppError> {
    s.check()?;
    for (key, value) in KEYS.iter().zip(s.values()) {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => c.execute(
                "INSERT INTO wa_ajustes (clave, valor) VALUES (?1, ?2)
                 ON CONFLICT (clave) DO UPDATE SET valor = excluded.valor",
                params![key, v],
            )?,
            None => c.execute("DELETE FROM wa_ajustes WHERE clave = ?1", [key])?,
        };
    }
    Ok(())
}

/// The brand's template for messages outside the 24-hour window, as (name, language), when
/// one is configured; the language defaults to `es`.
pub fn template(c: &Connection) -> Result<Option<(String, String)>, AppError> {
    let name = super::setting(c, "plantilla")?.filter(|n| !n.trim().is_empty());
    let lang = super::setting(c, "plantilla_idioma")?;
    Ok(name.map(|n| (n, lang.unwrap_or_else(|| "es".into()))))
}
