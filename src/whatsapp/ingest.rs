//! The processor: reads stored webhook bodies (`wa_eventos`) and turns every item into CRM
//! records — customer, interaction, inbox, bot reply, order, status — once per message id and
//! once per (id, status), across restarts. Each item runs in its own savepoint so one bad item
//! does not stop the others; the event is marked processed in the same transaction.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, params};
use serde_json::json;
use tokio::sync::{Notify, watch};

use super::identity::{self, Sender};
use super::order_text::Preparsed;
use super::payload::{DeliveryStatus, Event, InboundMessage, MessageKind, StatusUpdate};
use super::prepare::{Prepared, prepare};
use crate::error::AppError;
use crate::interactions::{self, NewInteraction};
use crate::tenants::{Brand, Registry, Tenant, WakeCheck};
use crate::time::now_ms;

static WAKE: Notify = Notify::const_new();
/// A brand is drained only when it has events left unprocessed (see [`WakeCheck`]): an open
/// one is asked again only after a commit, a closed one (events a crash left: the webhook
/// stores events through an open brand) is not opened otherwise.
static PENDING: std::sync::LazyLock<WakeCheck> = std::sync::LazyLock::new(|| {
    WakeCheck::new(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM wa_eventos WHERE procesado_en IS NULL) THEN 0 END",
    )
});
const TICK: Duration = Duration::from_secs(1);
/// Batches one brand drains before the next brand's turn.
const BATCHES_PER_TURN: usize = 8;

/// Tells the processor a new event was stored.
pub fn wake() {
    WAKE.notify_one();
}

/// Runs until `stop` turns true: drains every brand's pending events, then waits for a wake-up
/// (or a tick, which also picks up events left by a crash).
pub async fn run(registry: Arc<Registry>, mut stop: watch::Receiver<bool>) {
    loop {
        loop {
            match drain_all(&registry).await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "procesador de WhatsApp: fallo al drenar");
                    break;
                }
            }
        }
        tokio::select! {
            _ = WAKE.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass over every brand with a WhatsApp number; returns how many events were processed.
pub async fn drain_all(registry: &Registry) -> Result<usize, AppError> {
    let numbers: Vec<(String, String)> = registry
        .control()
        .read_unchanged("whatsapp numbers", |c| {
            let mut stmt =
                c.prepare_cached("SELECT marca, phone_number_id FROM whatsapp_numeros")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    let mut done = 0;
    for (slug, number) in numbers {
        let Ok(slug) = crate::tenants::Slug::parse(&slug) else {
            continue;
        };
        let Some(tenant) = PENDING.due_tenant(registry, &slug, now_ms()).await? else {
            continue;
        };
        done += drain(&tenant, &number).await?;
    }
    Ok(done)
}

/// Drains a brand's pending events, a few batches per turn so other brands take turns. The
/// write of one batch overlaps the read and parse of the next: the processor is one loop per
/// brand, and its round trip (read, parse, queue behind the acks, write, commit) bounded how
/// many messages a second reached the CRM.
async fn drain(tenant: &Arc<Tenant>, number: &str) -> Result<usize, AppError> {
    let mut done = 0;
    // Batches read and parsed, in id order. A job that yielded to queued writes (webhook acks)
    // puts what it left back in front, so a customer's messages stay in order and nothing is
    // read or parsed twice; the next batch is read while one is written, when none is held.
    let mut held: VecDeque<Prepared> = prepare(tenant, 0).await?.into_iter().collect();
    for _ in 0..BATCHES_PER_TURN {
        let Some(batch) = held.pop_front() else { break };
        let read_ahead = held.is_empty().then_some(batch.last_id);
        let (applied, following) = tokio::join!(apply(tenant, number, batch), async {
            match read_ahead {
                Some(after) => prepare(tenant, after).await,
                None => Ok(None),
            }
        });
        let (handled, rest) = applied?;
        done += handled;
        if let Some(rest) = rest {
            held.push_front(rest);
        }
        if let Some(following) = following? {
            held.push_back(following);
        }
    }
    Ok(done)
}

/// Bodies a job handles before it may yield the writer: at least one, so processing always
/// moves on, however busy the webhook is.
const BODIES_BEFORE_YIELD: usize = 1;

/// Applies a prepared batch in one writer job. Returns how many bodies it handled and, when
/// writes queued behind it (webhook acks first), the bodies it left for the next job.
async fn apply(
    tenant: &Arc<Tenant>,
    number: &str,
    batch: Prepared,
) -> Result<(usize, Option<Prepared>), AppError> {
    let brand = tenant.brand();
    let number = number.to_owned();
    tenant
        .db()
        .write_as("system:whatsapp-webhook", move |c| {
            let Prepared {
                last_id,
                parsed,
                preparsed,
            } = batch;
            let mut items = parsed.into_iter();
            let mut handled = 0;
            while let Some((id, events)) = items.next() {
                process_event(c, &brand, &number, &preparsed, id, events)?;
                handled += 1;
                if handled >= BODIES_BEFORE_YIELD && crate::db::others_waiting() {
                    let parsed: Vec<_> = items.collect();
                    let rest = (!parsed.is_empty()).then_some(Prepared {
                        last_id,
                        parsed,
                        preparsed,
                    });
                    return Ok((handled, rest));
                }
            }
            Ok((handled, None))
        })
        .await
}

/// The message as metadata, its free text masked: that text is the interaction's body, which
/// is sealed at rest, and metadata is not (bots update it in SQL).
fn without_free_text(msg: &impl serde::Serialize) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    let free = matches!(
                        k.as_str(),
                        "body"
                            | "caption"
                            | "title"
                            | "description"
                            | "name"
                            | "address"
                            | "text"
                            | "payload"
                            | "formatted_name"
                            | "phone"
                            | "email"
                            // The sender's WhatsApp identity is sealed in wa_contactos (tenant
                            // V20); a clear copy here would undo that.
                            | "from"
                            | "from_user_id"
                            | "wa_id"
                            | "user_id"
                            | "username"
                    );
                    if free && v.is_string() {
                        *v = serde_json::Value::String("***".into());
                    } else {
                        walk(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(msg).unwrap_or_default();
    walk(&mut v);
    v
}

/// Applies one parsed body; item errors are logged and recorded, never propagated.
fn process_event(
    c: &Connection,
    brand: &Brand,
    number: &str,
    preparsed: &Preparsed,
    id: i64,
    parsed: Result<Vec<Event>, String>,
) -> Result<(), AppError> {
    // Read before the writer ran: skip a body another pass already processed.
    let still_pending: bool = c
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM wa_eventos WHERE id = ?1 AND procesado_en IS NULL)",
        )?
        .query_row([id], |r| r.get(0))?;
    if !still_pending {
        return Ok(());
    }
    let now = now_ms();
    let mut errors = Vec::new();
    match parsed {
        Err(e) => errors.push(e),
        Ok(events) => {
            for event in events {
                if let Err(e) =
                    in_savepoint(c, |c| handle(c, brand, number, preparsed, &event, now))
                {
                    tracing::warn!(marca = %brand.slug.as_str(), error = %e, "elemento de WhatsApp no procesado");
                    errors.push(e.to_string());
                }
            }
        }
    }
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    c.prepare_cached("UPDATE wa_eventos SET procesado_en = ?2, error = ?3 WHERE id = ?1")?
        .execute(params![id, now, error])?;
    Ok(())
}

fn in_savepoint(
    c: &Connection,
    f: impl FnOnce(&Connection) -> Result<(), AppError>,
) -> Result<(), AppError> {
    c.prepare_cached("SAVEPOINT wa_item")?.execute([])?;
    match f(c) {
        Ok(()) => {
            c.prepare_cached("RELEASE wa_item")?.execute([])?;
            Ok(())
        }
        Err(e) => {
            c.execute_batch("ROLLBACK TO wa_item; RELEASE wa_item")?;
            Err(e)
        }
    }
}

fn handle(
    c: &Connection,
    brand: &Brand,
    number: &str,
    preparsed: &Preparsed,
    event: &Event,
    now: i64,
) -> Result<(), AppError> {
    match event {
        Event::Message(m) if m.routing.phone_number_id == number => {
            message(c, brand, preparsed, m, now)
        }
        Event::Status(s) if s.routing.phone_number_id == number => status(c, s, now),
        Event::ChangeErrors { routing, errors } if routing.phone_number_id == number => {
            tracing::warn!(marca = %brand.slug.as_str(), errores = ?errors, "WhatsApp informa errores de la cuenta");
            Ok(())
        }
        Event::Malformed(m) => {
            tracing::warn!(marca = %brand.slug.as_str(), lugar = %m.location, error = %m.error, "elemento ilegible");
            Ok(())
        }
        Event::OtherField { field, .. } => {
            tracing::info!(marca = %brand.slug.as_str(), campo = %field, "campo de webhook no usado");
            Ok(())
        }
        _ => Ok(()),
    }
}

fn message(
    c: &Connection,
    brand: &Brand,
    preparsed: &Preparsed,
    m: &InboundMessage,
    now: i64,
) -> Result<(), AppError> {
    let msg = &m.message;
    let seen: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM wa_entrantes WHERE wamid = ?1)")?
        .query_row([&msg.id], |r| r.get(0))?;
    if seen {
        return Ok(());
    }
    let sender = Sender::of(msg, m.contact.as_ref());
    let sent_at = msg.timestamp.saturating_mul(1000);
    let customer = match &msg.kind {
        MessageKind::System(notice) => identity::changed_number(c, &sender, notice)?,
        _ => Some(identity::resolve(c, &brand.slug, &sender, sent_at, now)?),
    };
    c.prepare_cached(
        "INSERT INTO wa_entrantes (wamid, cliente_id, enviado_en, procesado_en) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![msg.id, customer, sent_at, now])?;
    let Some(customer) = customer else {
        tracing::info!(wamid = %msg.id, "mensaje de sistema sin cliente conocido");
        return Ok(());
    };
    let summary = msg.readable_summary();
    let (interaction_id, _) = interactions::store::insert_returning_id(
        c,
        &NewInteraction {
            customer_id: customer,
            channel: "whatsapp".into(),
            direction: "entrante".into(),
            kind: "mensaje".into(),
            body: summary.chars().take(interactions::MAX_BODY_CHARS).collect(),
            external_id: Some(msg.id.clone()),
            order_id: None,
            metadata: json!({ "wamid": msg.id, "mensaje": without_free_text(msg) }),
            at: sent_at.min(now),
        },
    )?;
    crate::conversations::store::touch_incoming(c, customer, &summary, sent_at.min(now))?;
    // A message after an education series step is that step's reply (an opt-out is not).
    if !matches!(msg.kind, MessageKind::System(_))
        && !crate::campaigns::optout::is_opt_out(&msg.kind)
    {
        // Matched at processing time: the message's own timestamp has only second precision.
        crate::education::job::capture_reply(c, customer, interaction_id, now)?;
    }
    // Auto-replies run only here, after the dedup insert: a replayed message answers nothing.
    // An opt-out ("STOP", "baja") is answered by the campaigns domain instead of the bot.
    let dest = sender.destination();
    if crate::campaigns::optout::handle(c, customer, dest.as_deref(), msg, now)?
        || crate::surveys::handle(c, customer, dest.as_deref(), msg, now)?
        || crate::subscriptions::whatsapp::handle(
            c,
            customer,
            dest.as_deref(),
            msg,
            brand.tz(),
            now,
        )?
    {
        return Ok(());
    }
    if let Some(dest) = sender.destination() {
        super::bot::on_message(
            c,
            &super::bot::Ctx {
                brand,
                customer,
                destination: &dest,
                now,
                preparsed,
            },
            msg,
        )?;
    }
    Ok(())
}

/// Rank used to move an outbound message's state forward only; `failed` is final.
fn rank(s: &DeliveryStatus) -> i64 {
    match s {
        DeliveryStatus::Failed => 100,
        other => i64::from(other.rank()),
    }
}

fn status(c: &Connection, s: &StatusUpdate, now: i64) -> Result<(), AppError> {
    let st = &s.status;
    let errors =
        (!st.errors.is_empty()).then(|| serde_json::to_string(&st.errors).unwrap_or_default());
    let fresh = c
        .prepare_cached(
            "INSERT INTO wa_estados (wamid, estado, en, errores) VALUES (?1, ?2, ?3, pii_seal(?4)) ON CONFLICT DO NOTHING",
        )?
        .execute(params![st.id, st.status.as_str(), st.timestamp.saturating_mul(1000), errors])?
        > 0;
    if !fresh {
        return Ok(());
    }
    // Our outbox id comes back in biz_opaque_callback_data: it also confirms a send whose
    // response was lost in a crash, so the lease expiry does not send it twice.
    let outbox_id = st
        .biz_opaque_callback_data
        .as_deref()
        .and_then(|d| d.strip_prefix("ob:"))
        .and_then(|d| d.parse::<i64>().ok());
    if let Some(id) = outbox_id {
        if st.status != DeliveryStatus::Failed {
            crate::outbox::store::mark_sent(c, id, Some(&st.id), now)?;
        }
        c.prepare_cached(
            "UPDATE wa_salientes SET wamid = ?2 WHERE outbox_id = ?1 AND wamid IS NULL",
        )?
        .execute(params![id, st.id])?;
    }
    let first = st.errors.first();
    c.prepare_cached(
        "UPDATE wa_salientes SET estado = ?2, rango = ?3, error_codigo = COALESCE(?4, error_codigo),
            error_detalle = COALESCE(pii_seal(?5), error_detalle), actualizado_en = ?6
         WHERE wamid = ?1 AND rango < ?3 AND rango < 100",
    )?
    .execute(params![
        st.id,
        st.status.as_str(),
        rank(&st.status),
        first.map(|e| e.code),
        first.map(|e| e.details().unwrap_or(e.title.as_deref().unwrap_or("")).to_owned()),
        now
    ])?;
    if st.status == DeliveryStatus::Failed
        && let Some(id) = outbox_id
    {
        let why = first
            .map(|e| format!("{} {}", e.code, e.details().unwrap_or("")))
            .unwrap_or_default();
        c.prepare_cached(
            "UPDATE outbox SET estado = 'fallido', ultimo_error = pii_seal(?2) WHERE id = ?1",
        )?
        .execute(params![id, format!("WhatsApp: {why}")])?;
    }
    Ok(())
}
