//! Series, steps and enrolments in the brand's database. Every write validates first, so a
//! bad input changes nothing.

use rusqlite::{Connection, OptionalExtension, params};

use super::{DAY_MS, Enrolment, Series, SeriesSummary, Step};
use crate::error::{AppError, msg};
use crate::tenants::Slug;
use crate::tenants::ids::CustomerId;

fn invalid(field: &str, es: &str, en: &str) -> AppError {
    AppError::validation(field, "invalid", msg(es, en))
}

/// A new step as staff or the API give it.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub dias: i64,
    pub plantilla: Option<String>,
    pub idioma: Option<String>,
    pub texto: String,
}

pub fn create(
    c: &Connection,
    name: &str,
    description: &str,
    auto: bool,
    now: i64,
) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(invalid(
            "nombre",
            "El nombre es obligatorio (máx. 120 caracteres).",
            "The name is required (max 120 characters).",
        ));
    }
    c.execute(
        "INSERT INTO series_educativas (nombre, descripcion, auto_inscribir, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![name, description.trim(), auto, now],
    )?;
    Ok(c.last_insert_rowid())
}

fn exists(c: &Connection, series: i64) -> Result<(), AppError> {
    c.query_row(
        "SELECT 1 FROM series_educativas WHERE id = ?1",
        [series],
        |_| Ok(()),
    )
    .optional()?
    .ok_or(AppError::NotFound("serie"))
}

/// Appends a step at the end of the series.
pub fn add_step(c: &Connection, series: i64, step: &NewStep, now: i64) -> Result<i64, AppError> {
    exists(c, series)?;
    if !(0..=365).contains(&step.dias) {
        return Err(invalid(
            "dias",
            "Los días deben estar entre 0 y 365.",
            "Days must be between 0 and 365.",
        ));
    }
    let text = step.texto.trim();
    if text.is_empty() || text.chars().count() > 1024 {
        return Err(invalid(
            "texto",
            "El texto es obligatorio (máx. 1024 caracteres).",
            "The text is required (max 1024 characters).",
        ));
    }
    // Meta's template names are lowercase letters, digits and underscores.
    let template = step
        .plantilla
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if template.is_some_and(|t| {
        t.len() > 512
            || !t
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
    }) {
        return Err(invalid(
            "plantilla",
            "Plantilla: solo minúsculas, números y guion bajo.",
            "Template: lowercase letters, digits and underscores only.",
        ));
    }
    let lang = step
        .idioma
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("es");
    if lang.len() > 10 || !lang.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '_') {
        return Err(invalid(
            "idioma",
            "Idioma inválido (p. ej. es, es_PE).",
            "Invalid language (e.g. es, es_PE).",
        ));
    }
    c.execute(
        "INSERT INTO series_pasos (serie_id, orden, dias, plantilla, idioma, texto, creado_en)
         VALUES (?1, (SELECT COALESCE(MAX(orden), 0) + 1 FROM series_pasos WHERE serie_id = ?1), ?2, ?3, ?4, ?5, ?6)",
        params![series, step.dias, template, lang, text, now],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn set_active(c: &Connection, series: i64, active: bool, now: i64) -> Result<(), AppError> {
    exists(c, series)?;
    c.execute(
        "UPDATE series_educativas SET activa = ?2, actualizado_en = ?3 WHERE id = ?1 AND activa IS NOT ?2",
        params![series, active, now],
    )?;
    Ok(())
}

/// Days before the step after `done` steps, if there is one.
pub fn next_delay(c: &Connection, series: i64, done: i64) -> Result<Option<i64>, AppError> {
    Ok(c.prepare_cached(
        "SELECT dias FROM series_pasos WHERE serie_id = ?1 AND orden > ?2 ORDER BY orden LIMIT 1",
    )?
    .query_row(params![series, done], |r| r.get(0))
    .optional()?)
}

/// Enrols a customer who accepted marketing messages; an enrolment that ended in `baja` starts
/// again from where it stopped. Returns the enrolment id and whether it is new or revived.
pub fn enroll(
    c: &Connection,
    series: i64,
    customer: i64,
    origin: &str,
    now: i64,
) -> Result<(i64, bool), AppError> {
    exists(c, series)?;
    let consent: bool = c
        .query_row(
            "SELECT consentimiento_marketing FROM clientes WHERE id = ?1",
            [customer],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(AppError::NotFound("cliente"))?;
    if !consent {
        return Err(invalid(
            "cliente_id",
            "El cliente no aceptó mensajes de marketing: no se puede inscribir.",
            "The customer has not opted in to marketing messages: cannot enrol.",
        ));
    }
    let current: Option<(i64, String, i64)> = c
        .query_row(
            "SELECT id, estado, pasos_enviados FROM series_inscripciones WHERE serie_id = ?1 AND cliente_id = ?2",
            params![series, customer],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match current {
        Some((id, status, _)) if status != "baja" => Ok((id, false)),
        Some((id, _, done)) => {
            let due = now + next_delay(c, series, done)?.unwrap_or(0) * DAY_MS;
            c.execute(
                "UPDATE series_inscripciones SET estado = 'activa', proximo_en = ?2, actualizado_en = ?3 WHERE id = ?1",
                params![id, due, now],
            )?;
            Ok((id, true))
        }
        None => {
            let due = now + next_delay(c, series, 0)?.unwrap_or(0) * DAY_MS;
            c.execute(
                "INSERT INTO series_inscripciones (serie_id, cliente_id, proximo_en, origen, inscrito_en, actualizado_en)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![series, customer, due, origin, now],
            )?;
            Ok((c.last_insert_rowid(), true))
        }
    }
}

/// Ends an enrolment of `series` (staff removed the customer).
pub fn unenroll(c: &Connection, series: i64, enrolment: i64, now: i64) -> Result<(), AppError> {
    let n = c.execute(
        "UPDATE series_inscripciones SET estado = 'baja', actualizado_en = ?3
         WHERE id = ?1 AND serie_id = ?2 AND estado = 'activa'",
        params![enrolment, series, now],
    )?;
    if n == 0 {
        return Err(AppError::NotFound("inscripcion"));
    }
    Ok(())
}

const SUMMARY_SQL: &str = "SELECT s.id, s.nombre, s.descripcion, s.activa, s.auto_inscribir,
        (SELECT COUNT(*) FROM series_pasos p WHERE p.serie_id = s.id),
        (SELECT COUNT(*) FROM series_inscripciones i WHERE i.serie_id = s.id),
        (SELECT COUNT(*) FROM series_inscripciones i WHERE i.serie_id = s.id AND i.estado = 'completada'),
        (SELECT COUNT(*) FROM series_envios e JOIN series_inscripciones i ON i.id = e.inscripcion_id
          WHERE i.serie_id = s.id AND e.respuesta_interaccion_id IS NOT NULL)
     FROM series_educativas s";

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SeriesSummary> {
    Ok(SeriesSummary {
        id: r.get(0)?,
        nombre: r.get(1)?,
        descripcion: r.get(2)?,
        activa: r.get(3)?,
        auto_inscribir: r.get(4)?,
        pasos: r.get(5)?,
        inscritos: r.get(6)?,
        completados: r.get(7)?,
        respuestas: r.get(8)?,
    })
}

pub fn list(c: &Connection) -> Result<Vec<SeriesSummary>, AppError> {
    let mut stmt = c.prepare(&format!("{SUMMARY_SQL} ORDER BY s.activa DESC, s.id"))?;
    let rows = stmt.query_map([], summary_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A series with its steps and enrolments (most advanced first), or `None`.
pub fn get(c: &Connection, slug: &Slug, series: i64) -> Result<Option<Series>, AppError> {
    let Some(resumen) = c
        .query_row(
            &format!("{SUMMARY_SQL} WHERE s.id = ?1"),
            [series],
            summary_row,
        )
        .optional()?
    else {
        return Ok(None);
    };
    let steps = c
        .prepare(
            "SELECT p.id, p.orden, p.dias, p.plantilla, p.idioma, p.texto,
                (SELECT COUNT(*) FROM series_envios e WHERE e.paso_id = p.id),
                (SELECT COUNT(*) FROM series_envios e WHERE e.paso_id = p.id AND e.respuesta_interaccion_id IS NOT NULL)
             FROM series_pasos p WHERE p.serie_id = ?1 ORDER BY p.orden",
        )?
        .query_map([series], |r| {
            Ok(Step {
                id: r.get(0)?,
                orden: r.get(1)?,
                dias: r.get(2)?,
                plantilla: r.get(3)?,
                idioma: r.get(4)?,
                texto: r.get(5)?,
                enviados: r.get(6)?,
                respuestas: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let enrolments = c
        .prepare(
            "SELECT i.id, i.cliente_id, cl.nombre, i.estado, i.pasos_enviados, i.proximo_en, i.origen,
                    cl.consentimiento_marketing, pii_open(r.cuerpo), p.orden, e.respondido_en
             FROM series_inscripciones i
             JOIN clientes cl ON cl.id = i.cliente_id
             LEFT JOIN series_envios e ON e.id = (
                 SELECT e2.id FROM series_envios e2 WHERE e2.inscripcion_id = i.id
                   AND e2.respuesta_interaccion_id IS NOT NULL ORDER BY e2.respondido_en DESC LIMIT 1)
             LEFT JOIN interacciones r ON r.id = e.respuesta_interaccion_id
             LEFT JOIN series_pasos p ON p.id = e.paso_id
             WHERE i.serie_id = ?1
             ORDER BY i.pasos_enviados DESC, i.id LIMIT 500",
        )?
        .query_map([series], |r| {
            let status: String = r.get(3)?;
            Ok(Enrolment {
                id: r.get(0)?,
                cliente_id: CustomerId::new(slug, r.get(1)?).to_string(),
                cliente: r.get(2)?,
                proximo_en: (status == "activa")
                    .then(|| r.get(5))
                    .transpose()?,
                estado: status,
                pasos_enviados: r.get(4)?,
                origen: r.get(6)?,
                consentimiento: r.get(7)?,
                ultima_respuesta: r.get(8)?,
                respuesta_paso: r.get(9)?,
                respondido_en: r.get(10)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Series {
        resumen,
        pasos_detalle: steps,
        inscripciones: enrolments,
    }))
}
