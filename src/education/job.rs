//! The `series_educativas` job and the capture of replies. A run enrols the opted-in
//! customers of auto-enrolling series, then sends each due enrolment its next step. Safe to
//! run twice: `series_envios (inscripcion_id, paso_id)` is unique and the outbox key too.

use rusqlite::{Connection, OptionalExtension, params};

use super::{DAY_MS, Outcome, store};
use crate::conversations::window_open;
use crate::error::AppError;
use crate::whatsapp::outbound::{OutboundMessage, Template};
use crate::whatsapp::queue;

/// Enrolments one run handles (a long outage does not flood the outbox in one transaction).
const BATCH: i64 = 500;
/// A customer message this long after a step counts as its reply.
const REPLY_MS: i64 = 7 * DAY_MS;

pub fn job(ctx: crate::scheduler::JobCtx) -> crate::scheduler::JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        let now = crate::time::now_ms();
        let out = tenant
            .db()
            .write_as("system:job:series_educativas", move |c| run_due(c, now))
            .await?;
        Ok(out.describe())
    })
}

struct Due {
    id: i64,
    series: i64,
    customer: i64,
    done: i64,
    consent: bool,
}

/// Enrols and sends as of `now`, in the caller's transaction.
pub fn run_due(c: &Connection, now: i64) -> Result<Outcome, AppError> {
    let enrolled = c.execute(
        "INSERT INTO series_inscripciones (serie_id, cliente_id, proximo_en, origen, inscrito_en, actualizado_en)
         SELECT s.id, cl.id,
                ?1 + 86400000 * (SELECT dias FROM series_pasos p WHERE p.serie_id = s.id ORDER BY orden LIMIT 1),
                'automatica', ?1, ?1
         FROM series_educativas s JOIN clientes cl ON cl.consentimiento_marketing = 1
         WHERE s.activa = 1 AND s.auto_inscribir = 1
           AND EXISTS (SELECT 1 FROM series_pasos p WHERE p.serie_id = s.id)
           AND NOT EXISTS (SELECT 1 FROM series_inscripciones i WHERE i.serie_id = s.id AND i.cliente_id = cl.id)",
        [now],
    )? as i64;
    let mut out = Outcome {
        inscritos: enrolled,
        ..Outcome::default()
    };
    let due: Vec<Due> = c
        .prepare_cached(
            "SELECT i.id, i.serie_id, i.cliente_id, i.pasos_enviados, cl.consentimiento_marketing
             FROM series_inscripciones i
             JOIN series_educativas s ON s.id = i.serie_id AND s.activa = 1
             JOIN clientes cl ON cl.id = i.cliente_id
             WHERE i.estado = 'activa' AND i.proximo_en <= ?1 ORDER BY i.proximo_en LIMIT ?2",
        )?
        .query_map(params![now, BATCH], |r| {
            Ok(Due {
                id: r.get(0)?,
                series: r.get(1)?,
                customer: r.get(2)?,
                done: r.get(3)?,
                consent: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    for d in due {
        if !d.consent {
            // The customer said "baja" (or staff removed consent): nothing more is sent.
            set_status(c, d.id, "baja", now)?;
            out.bajas += 1;
            continue;
        }
        let step: Option<(i64, i64, Option<String>, String, String)> = c
            .prepare_cached(
                "SELECT id, orden, plantilla, idioma, texto FROM series_pasos
                 WHERE serie_id = ?1 AND orden > ?2 ORDER BY orden LIMIT 1",
            )?
            .query_row(params![d.series, d.done], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((step, order, template, lang, text)) = step else {
            set_status(c, d.id, "completada", now)?;
            out.completados += 1;
            continue;
        };
        let key = format!("serie:{}:{step}", d.id);
        let Some(outbox) = send(c, d.customer, &text, template.as_deref(), &lang, &key, now)?
        else {
            out.en_espera += 1;
            continue;
        };
        c.prepare_cached(
            "INSERT INTO series_envios (inscripcion_id, paso_id, outbox_id, enviado_en) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![d.id, step, outbox, now])?;
        out.enviados += 1;
        match store::next_delay(c, d.series, order)? {
            Some(days) => {
                c.prepare_cached(
                    "UPDATE series_inscripciones SET pasos_enviados = ?2, proximo_en = ?3, actualizado_en = ?4 WHERE id = ?1",
                )?
                .execute(params![d.id, order, now + days * DAY_MS, now])?;
            }
            None => {
                c.prepare_cached(
                    "UPDATE series_inscripciones SET pasos_enviados = ?2, estado = 'completada', actualizado_en = ?3 WHERE id = ?1",
                )?
                .execute(params![d.id, order, now])?;
                out.completados += 1;
            }
        }
    }
    Ok(out)
}

fn set_status(c: &Connection, id: i64, status: &str, now: i64) -> Result<(), AppError> {
    c.prepare_cached(
        "UPDATE series_inscripciones SET estado = ?2, actualizado_en = ?3 WHERE id = ?1",
    )?
    .execute(params![id, status, now])?;
    Ok(())
}

/// Queues one step: `text` inside the 24-hour window; outside it the step's template, else
/// the brand's (`whatsapp::bot::knowledge::template`). `None` when it cannot be sent now.
fn send(
    c: &Connection,
    customer: i64,
    text: &str,
    template: Option<&str>,
    lang: &str,
    key: &str,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let contact: Option<(Option<String>, Option<i64>)> = c
        .prepare_cached(
            "SELECT COALESCE(pii_open(w.wa_id), pii_open(cl.wa_id), ltrim(pii_open(cl.telefono), '+'), pii_open(w.bsuid)), w.ultimo_entrante_en
             FROM clientes cl LEFT JOIN wa_contactos w ON w.cliente_id = cl.id WHERE cl.id = ?1",
        )?
        .query_row([customer], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((Some(dest), last_in)) = contact else {
        return Ok(None);
    };
    let to = queue::recipient(&dest);
    let chosen = match template {
        Some(name) => Some((name.to_owned(), lang.to_owned())),
        None => crate::whatsapp::bot::knowledge::template(c)?,
    };
    let (message, summary) = if window_open(last_in, now) {
        (OutboundMessage::text(to, text), text.to_owned())
    } else if let Some((name, lang)) = chosen {
        let summary = format!("[plantilla {name}] {text}");
        (
            OutboundMessage::template(to, Template::new(name, lang)),
            summary,
        )
    } else {
        return Ok(None);
    };
    // Queued for delivery in wall-clock time, even when the run is "as of" another time.
    queue::enqueue(
        c,
        customer,
        &dest,
        &message,
        &summary,
        key,
        crate::time::now_ms(),
    )
    .map(Some)
}

/// Links a customer's message to the last step sent to them in the week before it, if that
/// step has no reply yet, and marks the interaction with the series and step. Called by the
/// WhatsApp inbound pipeline in the transaction that stores the message.
pub fn capture_reply(
    c: &Connection,
    customer: i64,
    interaction: i64,
    at: i64,
) -> Result<bool, AppError> {
    let target: Option<(i64, i64, i64)> = c
        .prepare_cached(
            "SELECT e.id, i.serie_id, p.orden FROM series_envios e
             JOIN series_inscripciones i ON i.id = e.inscripcion_id
             JOIN series_pasos p ON p.id = e.paso_id
             WHERE i.cliente_id = ?1 AND e.enviado_en BETWEEN ?2 AND ?3
             ORDER BY e.enviado_en DESC, e.id DESC LIMIT 1",
        )?
        .query_row(params![customer, at - REPLY_MS, at], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((sent, series, order)) = target else {
        return Ok(false);
    };
    let linked = c
        .prepare_cached(
            "UPDATE series_envios SET respuesta_interaccion_id = ?2, respondido_en = ?3
             WHERE id = ?1 AND respuesta_interaccion_id IS NULL",
        )?
        .execute(params![sent, interaction, at])?
        > 0;
    if linked {
        c.prepare_cached(
            "UPDATE interacciones SET metadatos = json_set(COALESCE(metadatos, '{}'), '$.serie', json_object('serie_id', ?2, 'paso', ?3))
             WHERE id = ?1",
        )?
        .execute(params![interaction, series, order])?;
    }
    Ok(linked)
}
