//! The WhatsApp side of the demo's chats: each customer who wrote on WhatsApp gets the
//! identity and the inbox conversation that live ingestion would have created, so the inbox
//! screen opens populated: recent chats open, a few unread, some waiting for a person.
//!
//! The threads are followed while the rows are generated ([`Inbox::see`], on the generating
//! thread, with the message texts still in plain), instead of queried back from the loaded
//! interactions afterwards: that query walked two million interactions in customer order
//! (a random read of each row) and opened every customer's last message again.

use rusqlite::{Connection, params};

use super::calendar::DAY;
use super::plan::Plan;
use crate::error::AppError;

/// Chats quieter than this are closed.
const OPEN_FOR: i64 = 3 * DAY;
/// A customer whose last message is this recent and unanswered counts as unread.
const UNREAD_FOR: i64 = 2 * DAY;
/// Characters of the last message kept as the conversation's summary.
const SUMMARY_CHARS: usize = 200;

/// One customer's WhatsApp thread so far.
struct Thread {
    /// The latest message by (time, id), as `ORDER BY creado_en DESC, id DESC` finds it.
    last: (i64, i64),
    last_inbound: bool,
    /// The latest message's first [`SUMMARY_CHARS`] characters, in plain.
    summary: String,
    /// When the customer last wrote (the 24-hour window), if ever.
    latest_inbound: Option<i64>,
}

/// The WhatsApp threads of a load, by the plan's customer index.
pub struct Inbox {
    threads: Vec<Option<Thread>>,
}

impl Inbox {
    pub fn new(customers: usize) -> Inbox {
        Inbox {
            threads: (0..customers).map(|_| None).collect(),
        }
    }

    /// Records WhatsApp interaction `id` of customer `customer` (plan index).
    pub fn see(&mut self, customer: usize, id: i64, at: i64, direccion: &str, body: &str) {
        let Some(slot) = self.threads.get_mut(customer) else {
            return;
        };
        let inbound = direccion == "entrante";
        let thread = slot.get_or_insert_with(|| Thread {
            last: (i64::MIN, i64::MIN),
            last_inbound: false,
            summary: String::new(),
            latest_inbound: None,
        });
        if inbound {
            thread.latest_inbound = Some(thread.latest_inbound.map_or(at, |t| t.max(at)));
        }
        if (at, id) > thread.last {
            thread.last = (at, id);
            thread.last_inbound = inbound;
            thread.summary.clear();
            thread.summary.extend(body.chars().take(SUMMARY_CHARS));
        }
    }

    /// Writes `wa_contactos` and `conversaciones` for every customer with a phone who has a
    /// WhatsApp thread, in customer order; `customers` maps plan indexes to ids (ascending).
    pub fn write(&self, conn: &Connection, plan: &Plan, customers: &[i64]) -> Result<(), AppError> {
        let now = plan.now;
        let mut contact = conn.prepare(
            "INSERT INTO wa_contactos (cliente_id, wa_id, wa_id_bi, nombre_perfil, ultimo_entrante_en)
             VALUES (?1, pii_seal(?2), pii_bi('wa_id', ?2), pii_seal(?3), ?4)
             ON CONFLICT DO NOTHING",
        )?;
        let mut conversation = conn.prepare(
            "INSERT INTO conversaciones (cliente_id, estado, no_leidos, necesita_humano, motivo_humano,
                ultimo_mensaje_en, ultimo_resumen, actualizado_en)
             VALUES (?1, ?2, ?3, ?4,
                CASE WHEN ?4 = 1 THEN pii_seal('El cliente pidió hablar con una persona') END,
                ?5, pii_seal(?6), ?7)
             ON CONFLICT DO NOTHING",
        )?;
        for (i, thread) in self.threads.iter().enumerate() {
            let (Some(t), Some(c)) = (thread, plan.customers.get(i)) else {
                continue;
            };
            if !c.has_phone {
                continue;
            }
            let id = customers[i];
            let e164 = super::people::e164(c.person.phone);
            let wa_id: String = e164.chars().skip(1).collect();
            if contact.execute(params![id, wa_id, c.person.name, t.latest_inbound])? == 0 {
                continue;
            }
            let (at, _) = t.last;
            let open = if at > now - OPEN_FOR {
                "abierta"
            } else {
                "cerrada"
            };
            let unread = t.last_inbound && at > now - UNREAD_FOR;
            // One in three unread chats asked for a person: the inbox shows the handoff flag.
            let handoff = unread && id % 3 == 0;
            conversation.execute(params![
                id,
                open,
                i64::from(unread),
                i64::from(handoff),
                at,
                t.summary,
                now
            ])?;
        }
        Ok(())
    }
}

/// Plan index of customer `id` (`customers` is ascending, as the ids were given in order).
pub fn index_of(customers: &[i64], id: i64) -> Result<usize, AppError> {
    customers
        .binary_search(&id)
        .map_err(|_| AppError::internal(format!("demo customer {id} is not in the plan")))
}
