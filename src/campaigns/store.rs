//! SQL for campaigns: create, read, launch (the audience frozen in one short write; the
//! messages are queued by `batch.rs`), cancel, and the per-brand automation switches.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::audience::{self, Exclude};
use super::{Audience, Campaign};
use crate::error::{AppError, msg};

/// A campaign ready to be stored.
pub struct NewCampaign {
    pub nombre: String,
    pub tipo: String,
    pub audiencia: Audience,
    pub plantilla: String,
    pub idioma: String,
    pub variables: Vec<String>,
    pub programada_para: Option<i64>,
    pub creado_por: String,
}

pub fn insert(c: &Connection, n: &NewCampaign, now: i64) -> Result<i64, AppError> {
    let estado = if n.programada_para.is_some() {
        "programada"
    } else {
        "borrador"
    };
    c.prepare_cached(
        "INSERT INTO campanas (nombre, tipo, audiencia, plantilla, idioma, variables, estado,
            programada_para, creado_por, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        n.nombre,
        n.tipo,
        serde_json::to_string(&n.audiencia).map_err(AppError::internal)?,
        n.plantilla,
        n.idioma,
        serde_json::to_string(&n.variables).map_err(AppError::internal)?,
        estado,
        n.programada_para,
        n.creado_por,
        now
    ])?;
    Ok(c.last_insert_rowid())
}

const COLUMNS: &str =
    "k.id, k.nombre, k.tipo, k.audiencia, k.plantilla, k.idioma, k.variables, k.estado,
    k.programada_para, k.lanzada_en, k.destinatarios, k.creado_por, k.creado_en,
    EXISTS (SELECT 1 FROM campana_destinatarios d JOIN outbox o ON o.id = d.outbox_id
            WHERE d.campana_id = k.id AND o.estado IN ('pendiente', 'enviando')),
    (SELECT COUNT(*) FROM campana_cola q WHERE q.campana_id = k.id AND q.estado = 'pendiente')";

fn row(r: &rusqlite::Row, now: i64) -> rusqlite::Result<Campaign> {
    let audiencia: String = r.get(3)?;
    let variables: String = r.get(6)?;
    let stored: String = r.get(7)?;
    let programada_para: Option<i64> = r.get(8)?;
    let pendientes: i64 = r.get(14)?;
    let pending = r.get::<_, bool>(13)? || pendientes > 0;
    // The stored state says what staff did; progress is read from the recipients still to
    // queue and the outbox.
    let estado = match stored.as_str() {
        "programada" | "enviando" if r.get::<_, Option<i64>>(9)?.is_some() => {
            if programada_para.is_some_and(|t| t > now) {
                "programada"
            } else if pending {
                "enviando"
            } else {
                "enviada"
            }
        }
        other => other,
    }
    .to_owned();
    Ok(Campaign {
        id: r.get(0)?,
        nombre: r.get(1)?,
        tipo: r.get(2)?,
        audiencia: serde_json::from_str(&audiencia).unwrap_or_default(),
        plantilla: r.get(4)?,
        idioma: r.get(5)?,
        variables: serde_json::from_str(&variables).unwrap_or_default(),
        estado,
        programada_para,
        lanzada_en: r.get(9)?,
        destinatarios: r.get(10)?,
        pendientes,
        creado_por: r.get(11)?,
        creado_en: r.get(12)?,
    })
}

pub fn get(c: &Connection, id: i64, now: i64) -> Result<Option<Campaign>, AppError> {
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM campanas k WHERE k.id = ?1"))?
            .query_row([id], |r| row(r, now))
            .optional()?,
    )
}

/// Newest first.
pub fn list(c: &Connection, limit: u32, now: i64) -> Result<Vec<Campaign>, AppError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM campanas k ORDER BY k.id DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], |r| row(r, now))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Launches the campaign: freezes its audience now (consent checked) in `campana_cola` and
/// marks it launched. The messages are queued afterwards, in bounded batches, by the campaign
/// sender (`sender.rs`), from the scheduled time or at once, so this stays one short write
/// however big the audience. Returns how many recipients were stored.
pub fn launch(c: &Connection, id: i64, tz: chrono_tz::Tz, now: i64) -> Result<i64, AppError> {
    let k = get(c, id, now)?.ok_or(AppError::NotFound("campaña"))?;
    if k.lanzada_en.is_some() || k.estado == "cancelada" {
        return Err(AppError::conflict(msg(
            "La campaña ya fue enviada o cancelada.",
            "The campaign was already sent or cancelled.",
        )));
    }
    let exclude = k.tipo.starts_with("auto_").then(|| Exclude {
        tipo: k.tipo.clone(),
        // Welcome once ever; re-engagement and win-back at most every 30 days.
        since: if k.tipo == "auto_nuevo" {
            0
        } else {
            now - 30 * 24 * 3600 * 1000
        },
    });
    let stored = audience::freeze(c, id, &k.audiencia, tz, exclude.as_ref(), now)?;
    let start = k.programada_para.unwrap_or(now).max(now);
    let estado = if start > now {
        "programada"
    } else {
        "enviando"
    };
    c.prepare_cached(
        "UPDATE campanas SET estado = ?2, lanzada_en = ?3, destinatarios = ?4, actualizado_en = ?3 WHERE id = ?1",
    )?
    .execute(params![id, estado, now, stored])?;
    Ok(stored)
}

/// Cancels a campaign: messages not yet sent are dropped.
pub fn cancel(c: &Connection, id: i64, now: i64) -> Result<i64, AppError> {
    get(c, id, now)?.ok_or(AppError::NotFound("campaña"))?;
    let dropped = c
        .prepare_cached(
            "UPDATE outbox SET estado = 'cancelado', ultimo_error = pii_seal('campaña cancelada / campaign cancelled')
             WHERE estado = 'pendiente' AND id IN (SELECT outbox_id FROM campana_destinatarios WHERE campana_id = ?1)",
        )?
        .execute([id])?;
    // Recipients the sender has not reached yet are never queued.
    let never = c
        .prepare_cached(
            "UPDATE campana_cola SET estado = 'omitido', motivo = ?2 WHERE campana_id = ?1 AND estado = 'pendiente'",
        )?
        .execute(params![id, super::batch::CANCELLED])?;
    c.prepare_cached(
        "UPDATE campanas SET estado = 'cancelada', actualizado_en = ?2 WHERE id = ?1",
    )?
    .execute(params![id, now])?;
    Ok((dropped + never) as i64)
}

/// One automation switch.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Automation {
    /// auto_en_riesgo | auto_perdido | auto_nuevo | encuesta
    pub clave: String,
    pub activa: bool,
    pub plantilla: Option<String>,
    #[serde(default = "default_lang")]
    pub idioma: String,
    /// Extra settings, e.g. `{"retraso_min": 60, "nps": true}` for surveys.
    #[serde(default)]
    pub ajustes: serde_json::Value,
    /// When it was last switched on (unix ms UTC), kept by the server; surveys go to orders
    /// delivered from then on. Ignored when sent.
    #[serde(default)]
    #[schema(read_only)]
    pub activa_desde: Option<i64>,
}

fn default_lang() -> String {
    "es".into()
}

pub fn automation(c: &Connection, key: &str) -> Result<Automation, AppError> {
    let found = c
        .prepare_cached(
            "SELECT activa, plantilla, idioma, ajustes, activa_desde
             FROM automatizaciones WHERE clave = ?1",
        )?
        .query_row([key], |r| {
            let ajustes: String = r.get(3)?;
            Ok(Automation {
                clave: key.to_owned(),
                activa: r.get(0)?,
                plantilla: r.get(1)?,
                idioma: r.get(2)?,
                ajustes: serde_json::from_str(&ajustes).unwrap_or_default(),
                activa_desde: r.get(4)?,
            })
        })
        .optional()?;
    Ok(found.unwrap_or(Automation {
        clave: key.to_owned(),
        activa: false,
        plantilla: None,
        idioma: default_lang(),
        ajustes: json!({}),
        activa_desde: None,
    }))
}

pub fn set_automation(c: &Connection, a: &Automation, now: i64) -> Result<(), AppError> {
    let ajustes = if a.ajustes.is_object() {
        a.ajustes.to_string()
    } else {
        "{}".into()
    };
    // `activa_desde` moves only when the switch goes from off to on: saving other settings of
    // an automation that is on does not restart it.
    c.prepare_cached(
        "INSERT INTO automatizaciones (clave, activa, plantilla, idioma, ajustes, actualizado_en, activa_desde)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?2 THEN ?6 END)
         ON CONFLICT (clave) DO UPDATE SET activa = excluded.activa, plantilla = excluded.plantilla,
            idioma = excluded.idioma, ajustes = excluded.ajustes, actualizado_en = excluded.actualizado_en,
            activa_desde = CASE WHEN NOT excluded.activa THEN NULL
                                WHEN automatizaciones.activa THEN automatizaciones.activa_desde
                                ELSE excluded.activa_desde END",
    )?
    .execute(params![a.clave, a.activa, a.plantilla, a.idioma, ajustes, now])?;
    Ok(())
}
