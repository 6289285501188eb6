//! Reading and parsing a batch of stored webhook bodies (`wa_eventos`) for the processor
//! ([`super::ingest`]), on a reader and a blocking thread instead of the brand's writer.

use std::sync::Arc;

use super::order_text::Preparsed;
use super::payload::{Event, MessageKind, parse_webhook};
use crate::error::AppError;
use crate::tenants::Tenant;

/// Bodies per writer job: small, so a webhook's ack (a one-row insert queued behind the job)
/// waits for a few messages, not 64; bodies are read into memory per job (up to 3 MB each).
const BATCH: i64 = 16;

/// A batch read and parsed, ready for the writer.
pub(super) struct Prepared {
    pub last_id: i64,
    pub parsed: Vec<(i64, Result<Vec<Event>, String>)>,
    pub preparsed: Preparsed,
}

/// Reads and parses the next pending bodies after `after`, off the writer thread: JSON
/// parsing was most of what the single writer spent per message, and every other write of
/// the brand (the webhook's own ack among them) queues behind the writer job. So are the
/// free texts, against the catalogue as this read sees it (see `Preparsed`).
pub(super) async fn prepare(
    tenant: &Arc<Tenant>,
    after: i64,
) -> Result<Option<Prepared>, AppError> {
    let (pending, catalogue) = tenant
        .db()
        .read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, pii_open(cuerpo) FROM wa_eventos WHERE procesado_en IS NULL AND id > ?1
                 ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt.query_map([after, BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let pending: Vec<(i64, Vec<u8>)> = rows.collect::<Result<_, _>>()?;
            let catalogue = if pending.is_empty() {
                Vec::new()
            } else {
                super::bot::parser_catalogue(c)?
            };
            Ok((pending, catalogue))
        })
        .await?;
    let Some(&(last_id, _)) = pending.last() else {
        return Ok(None);
    };
    let (parsed, preparsed) = tokio::task::spawn_blocking(move || {
        let parsed: Vec<(i64, Result<Vec<Event>, String>)> = pending
            .into_iter()
            .map(|(id, body)| (id, parse_webhook(&body).map_err(|e| e.to_string())))
            .collect();
        let texts = parsed
            .iter()
            .filter_map(|(_, events)| events.as_ref().ok())
            .flatten()
            .filter_map(|event| match event {
                Event::Message(m) => match &m.message.kind {
                    MessageKind::Text { body } => Some(body.as_str()),
                    MessageKind::Button { text, .. } => Some(text.as_str()),
                    _ => None,
                },
                _ => None,
            });
        let preparsed = Preparsed::new(catalogue, texts);
        (parsed, preparsed)
    })
    .await?;
    Ok(Some(Prepared {
        last_id,
        parsed,
        preparsed,
    }))
}
