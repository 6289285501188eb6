//! One batch of a launched campaign: the next recipients frozen in `campana_cola` get their
//! WhatsApp template queued in the outbox (paced at the number's rate), or are left out with
//! the reason when they no longer accept marketing. A batch is one write and marks what it
//! did in that same write, so a crash between batches loses nothing and queues nobody twice.

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::Campaign;
use super::audience::{DESTINATION, LAST_PRODUCT, Member};
use crate::error::AppError;
use crate::outbox::{self, OutboundMessage, Service};
use crate::whatsapp::outbound::{OutboundMessage as WaMessage, Template};
use crate::whatsapp::queue::recipient;

/// Most recipients one batch queues.
pub const SIZE: usize = 500;
/// A batch also stops after this long, so a slow machine holds the writer no longer than this
/// (plus the recipient under way and the commit) whatever the batch size.
pub const TIME: Duration = Duration::from_millis(100);
/// Recipients read at a time within a batch: reading one means opening its sealed WhatsApp
/// number, so a batch cut short by [`TIME`] must not have read hundreds it will not queue.
const READ: usize = 50;

/// Why a frozen recipient is never queued.
pub const OPTED_OUT: &str = "el cliente se dio de baja de las campañas antes de su envío / the customer opted out of marketing before the send";
pub const NO_DESTINATION: &str =
    "el cliente ya no tiene WhatsApp / the customer has no WhatsApp number any more";
pub const CANCELLED: &str = "campaña cancelada antes de encolar su mensaje / campaign cancelled before its message was queued";

/// Launched, not cancelled campaigns with recipients still to queue, as `(id, due)`: due at
/// the scheduled time, or at the launch.
macro_rules! waiting_campaigns {
    () => {
        "SELECT k.id, MAX(COALESCE(k.programada_para, k.lanzada_en), k.lanzada_en) AS due
         FROM campanas k
         WHERE k.lanzada_en IS NOT NULL AND k.estado <> 'cancelada'
           AND EXISTS (SELECT 1 FROM campana_cola q WHERE q.campana_id = k.id AND q.estado = 'pendiente')"
    };
}

/// For a closed brand (see [`crate::tenants::WakeCheck`]): when its next batch is due.
pub const NEXT_DUE: &str = concat!("SELECT MIN(due) FROM (", waiting_campaigns!(), ")");

/// The oldest campaign whose time has come and that still has recipients to queue.
pub fn due(c: &Connection, now: i64) -> Result<Option<i64>, AppError> {
    Ok(c.prepare_cached(concat!(
        "SELECT id FROM (",
        waiting_campaigns!(),
        ") WHERE due <= ?1 ORDER BY id LIMIT 1"
    ))?
    .query_row([now], |r| r.get(0))
    .optional()?)
}

/// The template send for one recipient.
fn message(k: &Campaign, m: &Member, points: Option<i64>) -> WaMessage {
    let values: Vec<String> = k
        .variables
        .iter()
        .map(|v| match v.as_str() {
            "nombre" => m.nombre.split_whitespace().next().unwrap_or("").to_owned(),
            "ultimo_producto" => m.ultimo_producto.clone().unwrap_or_default(),
            "puntos" => points.unwrap_or(0).to_string(),
            _ => String::new(),
        })
        // WhatsApp refuses empty parameters; a dash reads better than a failed send.
        .map(|v| if v.is_empty() { "-".to_owned() } else { v })
        .collect();
    let mut template = Template::new(k.plantilla.clone(), k.idioma.clone());
    if !values.is_empty() {
        template = template.body_positional(values);
    }
    WaMessage::template(recipient(&m.destino), template)
}

/// A recipient still to queue, read again now: consent and destination may have changed
/// since the launch.
struct Waiting {
    cliente_id: i64,
    nombre: String,
    destino: Option<String>,
    ultimo_producto: Option<String>,
    consent: bool,
}

fn waiting(c: &Connection, id: i64, limit: usize) -> Result<Vec<Waiting>, AppError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT c.id, c.nombre, {DESTINATION}, {LAST_PRODUCT}, c.consentimiento_marketing = 1
         FROM campana_cola q JOIN clientes c ON c.id = q.cliente_id
         LEFT JOIN wa_contactos w ON w.cliente_id = c.id
         WHERE q.campana_id = ?1 AND q.estado = 'pendiente'
         ORDER BY q.cliente_id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![id, limit as i64], |r| {
        Ok(Waiting {
            cliente_id: r.get(0)?,
            nombre: r.get(1)?,
            destino: r.get(2)?,
            ultimo_producto: r.get(3)?,
            consent: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn leave_out(c: &Connection, id: i64, customer: i64, why: &str) -> Result<(), AppError> {
    c.prepare_cached(
        "UPDATE campana_cola SET estado = 'omitido', motivo = ?3 WHERE campana_id = ?1 AND cliente_id = ?2",
    )?
    .execute(params![id, customer, why])?;
    Ok(())
}

/// Queues the next batch (at most `size` recipients, at most [`TIME`]) of campaign `id`:
/// each message paced `1/rate_mps` after the previous one of the campaign, from the later of
/// now and the campaign's start. Returns how many recipients it handled (queued or left out);
/// 0 when there is nothing (left) to do.
pub fn queue(
    c: &Connection,
    id: i64,
    rate_mps: u32,
    now: i64,
    size: usize,
) -> Result<usize, AppError> {
    let began = Instant::now();
    let Some(k) = super::store::get(c, id, now)? else {
        return Ok(0);
    };
    let Some(launched) = k.lanzada_en.filter(|_| k.estado != "cancelada") else {
        return Ok(0);
    };
    let start = k.programada_para.unwrap_or(launched).max(launched);
    if start > now {
        return Ok(0);
    }
    let step_us = 1_000_000 / i64::from(rate_mps.max(1));
    // Pacing continues where the previous batch stopped, or from now if that slot has passed.
    let handled: i64 = c
        .prepare_cached(
            "SELECT COUNT(*) FROM campana_cola WHERE campana_id = ?1 AND estado <> 'pendiente'",
        )?
        .query_row([id], |r| r.get(0))?;
    let base = (start + handled * step_us / 1000).max(now);
    let summary = format!("Campaña «{}» (plantilla {})", k.nombre, k.plantilla);
    let shared = Shared {
        sealed_summary: c.query_row("SELECT pii_seal(?1)", [&summary], |r| r.get(0))?,
        summary,
        k: &k,
        now,
    };
    let mut done = 0usize;
    let mut slot = 0i64;
    // Each read starts again at the first recipient still `pendiente`: the ones handled just
    // before have left the partial index.
    'batch: while done < size {
        let chunk = waiting(c, id, READ.min(size - done))?;
        if chunk.is_empty() {
            break;
        }
        for w in chunk {
            if done > 0 && began.elapsed() >= TIME {
                break 'batch;
            }
            slot += queue_one(c, &shared, w, base + slot * step_us / 1000)?;
            done += 1;
        }
    }
    Ok(done)
}

/// What every message of one batch shares.
struct Shared<'a> {
    k: &'a Campaign,
    summary: String,
    /// The timeline entry's text, sealed once for the whole batch.
    sealed_summary: String,
    now: i64,
}

/// Queues one recipient's message to go out at `not_before`, or leaves them out when they no
/// longer accept marketing or have no WhatsApp number; returns the pacing slots used (1 or 0).
fn queue_one(c: &Connection, s: &Shared, w: Waiting, not_before: i64) -> Result<i64, AppError> {
    let (k, id, now) = (s.k, s.k.id, s.now);
    let Some(destino) = w.destino.filter(|_| w.consent) else {
        let why = if w.consent { NO_DESTINATION } else { OPTED_OUT };
        leave_out(c, id, w.cliente_id, why)?;
        return Ok(0);
    };
    let m = Member {
        cliente_id: w.cliente_id,
        nombre: w.nombre,
        destino,
        segmento: String::new(),
        ultimo_producto: w.ultimo_producto,
    };
    let points = if k.variables.iter().any(|v| v == "puntos") {
        Some(crate::loyalty::store::balance(c, m.cliente_id, now)?)
    } else {
        None
    };
    let outbox_id = outbox::enqueue(
        c,
        &OutboundMessage {
            service: Service::Whatsapp,
            destination: m.destino.clone(),
            payload: json!({
                "request": message(k, &m, points).to_json(),
                "free_form": false,
                "summary": &s.summary,
                "marketing": true,
                "campana_id": id,
            }),
            key: Some(format!("campana:{id}:{}", m.cliente_id)),
            customer_id: Some(m.cliente_id),
            not_before: Some(not_before),
        },
        now,
    )?;
    record(c, id, m.cliente_id, outbox_id, &s.sealed_summary, now)?;
    Ok(1)
}

/// What a queued message leaves behind, in the batch's write: the WhatsApp status row, the
/// campaign send, the customer's timeline entry and the recipient marked `encolado`.
fn record(
    c: &Connection,
    id: i64,
    customer: i64,
    outbox_id: i64,
    sealed_summary: &str,
    now: i64,
) -> Result<(), AppError> {
    c.prepare_cached(
        "INSERT INTO wa_salientes (outbox_id, actualizado_en) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?
    .execute(params![outbox_id, now])?;
    c.prepare_cached(
        "INSERT OR IGNORE INTO campana_destinatarios (campana_id, cliente_id, outbox_id, creado_en)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id, customer, outbox_id, now])?;
    // Written directly, not through `interactions::store::insert` (two existence queries, a
    // seal and a read-back per row): the customer exists, the key is new (the recipient was
    // `pendiente`) and one sealed summary serves the whole batch.
    c.prepare_cached(
        "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, external_id, metadatos, creado_en)
         VALUES (?1, 'whatsapp', 'saliente', 'campana', ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        customer,
        sealed_summary,
        format!("wa-out:{outbox_id}"),
        format!(r#"{{"outbox_id":{outbox_id},"campana_id":{id}}}"#),
        now
    ])?;
    c.prepare_cached(
        "UPDATE campana_cola SET estado = 'encolado', encolado_en = ?3 WHERE campana_id = ?1 AND cliente_id = ?2",
    )?
    .execute(params![id, customer, now])?;
    Ok(())
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
