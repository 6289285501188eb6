//! Reading and parsing a batch of stored webhook bodies (`wa_eventos`) for the processor
//! ([`super::ingest`]), on a reader and a blocking thread instead of the brand's writer.

use std::sync::Arc;

use rusqlite::Connection;

use super::order_text::Preparsed;
use super::payload::{Event, MessageKind, parse_webhook};
use crate::error::AppError;
use crate::tenants::Tenant;

/// Bodies per writer job: small, so a webhook's ack (a one-row insert queued behind the job)
/// waits for a few messages, not 64. 32 drained ≈ 5 % more messages a second, but the acks'
/// p99 during a burst rose from ≈ 19 to ≈ 26 ms (docs/benchmarks.md, session 15).
const BATCH: i64 = 16;
/// A job stops reading bodies once it holds this many bytes of them: a body can be 3 MB, and 16
/// of them were 48 MB in memory at once on a low-RAM machine; now a few MB at most.
const BATCH_BYTES: usize = 2 << 20;

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
            let pending = read_pending(c, after)?;
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

/// The next pending bodies after `after`, in id order: [`BATCH`] at most, and no more once
/// they add up to [`BATCH_BYTES`].
fn read_pending(c: &Connection, after: i64) -> Result<Vec<(i64, Vec<u8>)>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, pii_open(cuerpo) FROM wa_eventos WHERE procesado_en IS NULL AND id > ?1
         ORDER BY id LIMIT ?2",
    )?;
    let mut rows = stmt.query_map([after, BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut pending: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut bytes = 0;
    while bytes < BATCH_BYTES
        && let Some(row) = rows.next()
    {
        let (id, body): (i64, Vec<u8>) = row?;
        bytes += body.len();
        pending.push((id, body));
    }
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Schema, migrations};

    fn store(c: &Connection, sizes: &[usize]) {
        for size in sizes {
            c.execute(
                "INSERT INTO wa_eventos (cuerpo, recibido_en) VALUES (?1, 1)",
                [vec![b'x'; *size]],
            )
            .unwrap();
        }
    }

    fn ids(pending: &[(i64, Vec<u8>)]) -> Vec<i64> {
        pending.iter().map(|(id, _)| *id).collect()
    }

    #[test]
    fn a_batch_is_bounded_by_count_and_by_bytes() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c, Schema::Tenant).unwrap();
        store(&c, &[100; 40]);
        let first = read_pending(&c, 0).unwrap();
        assert_eq!(ids(&first), (1..=16).collect::<Vec<_>>());
        let rest = read_pending(&c, 32).unwrap();
        assert_eq!(ids(&rest), (33..=40).collect::<Vec<_>>());
        c.execute("UPDATE wa_eventos SET procesado_en = 1", [])
            .unwrap();

        // Big bodies: the batch stops at the one that reaches the byte budget.
        store(&c, &[BATCH_BYTES / 2, BATCH_BYTES / 2, 10, 10]);
        let big = read_pending(&c, 0).unwrap();
        assert_eq!(ids(&big), vec![41, 42]);
        assert_eq!(ids(&read_pending(&c, 42).unwrap()), vec![43, 44]);
        // One body over the budget still moves the queue on.
        store(&c, &[BATCH_BYTES + 1]);
        assert_eq!(ids(&read_pending(&c, 44).unwrap()), vec![45]);
    }
}
