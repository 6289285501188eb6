//! The WhatsApp bot: one reply per inbound message, chosen by a small state machine — the
//! interactive menu (categories → products → quantity → cart → confirm/change/cancel), free-text
//! orders (always confirmed before the order exists), catalogue orders, the per-brand FAQ,
//! "¿dónde está mi pedido?", business hours and the handoff to a person.

pub mod api;
mod catalogue;
mod cross_sell;
pub mod knowledge;
mod menu;
mod rewards;
pub(crate) mod text;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::interactive::ReplyButtons;
use super::order_text::Preparsed;
use super::outbound::OutboundMessage;
use super::payload::{InteractiveReply, Message, MessageKind};
use super::queue;
use crate::error::AppError;
use crate::tenants::Brand;

/// Who the bot is talking to.
pub struct Ctx<'a> {
    pub brand: &'a Brand,
    pub customer: i64,
    /// The `wa_id` as received, or the BSUID.
    pub destination: &'a str,
    pub now: i64,
    /// Free texts of this batch already parsed off the writer thread.
    pub preparsed: &'a Preparsed,
}

/// One cart line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub sku: String,
    pub cantidad: u32,
}

/// The bot's memory for one customer.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// `inicio` or `confirmar` (a cart is waiting for confirmation).
    pub step: String,
    pub cart: Vec<Line>,
    pub misunderstandings: i64,
}

pub fn load(c: &Connection, customer: i64) -> Result<State, AppError> {
    let row: Option<(String, String, i64)> = c
        .prepare_cached("SELECT paso, pii_open(carrito), fallos FROM wa_bot WHERE cliente_id = ?1")?
        .query_row([customer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(match row {
        Some((step, cart, fails)) => State {
            step,
            cart: serde_json::from_str(&cart).unwrap_or_default(),
            misunderstandings: fails,
        },
        None => State {
            step: "inicio".into(),
            ..State::default()
        },
    })
}

pub fn save(c: &Connection, customer: i64, s: &State, now: i64) -> Result<(), AppError> {
    let cart = serde_json::to_string(&s.cart).map_err(AppError::internal)?;
    c.prepare_cached(
        "INSERT INTO wa_bot (cliente_id, paso, carrito, fallos, actualizado_en) VALUES (?1, ?2, pii_seal(?3), ?4, ?5)
         ON CONFLICT (cliente_id) DO UPDATE SET paso = excluded.paso, carrito = excluded.carrito,
            fallos = excluded.fallos, actualizado_en = excluded.actualizado_en",
    )?
    .execute(params![customer, s.step, cart, s.misunderstandings, now])?;
    Ok(())
}

/// A reply the bot decided on: the message and what the thread shows.
pub struct Reply {
    pub message: OutboundMessage,
    pub summary: String,
}

impl Reply {
    pub fn text(ctx: &Ctx, body: &str) -> Reply {
        Reply {
            message: OutboundMessage::text(queue::recipient(ctx.destination), body),
            summary: body.to_owned(),
        }
    }

    /// Reply buttons; falls back to plain text if the builder refuses (never panics).
    pub fn buttons(ctx: &Ctx, body: &str, buttons: &[(&str, &str)]) -> Reply {
        let built = buttons
            .iter()
            .fold(ReplyButtons::new(body), |b, (id, title)| {
                b.button(*id, *title)
            })
            .build();
        match built {
            Ok(i) => Reply {
                message: OutboundMessage::interactive(queue::recipient(ctx.destination), i),
                summary: format!(
                    "{body} [{}]",
                    buttons.iter().map(|b| b.1).collect::<Vec<_>>().join(" | ")
                ),
            },
            Err(e) => {
                tracing::warn!(error = %e, "botones inválidos; se envía texto");
                Reply::text(ctx, body)
            }
        }
    }
}

fn send(c: &Connection, ctx: &Ctx, wamid: &str, reply: Reply) -> Result<(), AppError> {
    queue::enqueue(
        c,
        ctx.customer,
        ctx.destination,
        &reply.message.reply_to(wamid),
        &reply.summary,
        &format!("bot:{wamid}"),
        ctx.now,
    )?;
    Ok(())
}

/// The catalogue as the free-text parser reads it (for [`Preparsed`]).
pub fn parser_catalogue(c: &Connection) -> Result<Vec<super::order_text::CatalogItem>, AppError> {
    catalogue::for_parser(c)
}

/// Handles one new inbound message (already deduplicated) and queues at most one reply.
pub fn on_message(c: &Connection, ctx: &Ctx, msg: &Message) -> Result<(), AppError> {
    let mut state = load(c, ctx.customer)?;
    let reply = match &msg.kind {
        MessageKind::Order(order) => Some(catalogue::order(c, ctx, &msg.id, order)?),
        MessageKind::Interactive(
            InteractiveReply::ButtonReply { id, .. } | InteractiveReply::ListReply { id, .. },
        ) => menu::on_choice(c, ctx, &mut state, &msg.id, id)?,
        MessageKind::Button { payload, text } => {
            match menu::on_choice(c, ctx, &mut state, &msg.id, payload)? {
                Some(r) => Some(r),
                None => text::on_text(c, ctx, &mut state, &msg.id, text)?,
            }
        }
        MessageKind::Text { body } => text::on_text(c, ctx, &mut state, &msg.id, body)?,
        _ => None,
    };
    save(c, ctx.customer, &state, ctx.now)?;
    if let Some(reply) = reply {
        send(c, ctx, &msg.id, reply)?;
    }
    Ok(())
}

/// Flags the conversation for a person and tells the customer; staff see the live flag.
fn handoff(c: &Connection, ctx: &Ctx, state: &mut State, reason: &str) -> Result<Reply, AppError> {
    state.misunderstandings = 0;
    if crate::conversations::store::flag_human(c, ctx.customer, reason, ctx.now)? {
        tracing::warn!(marca = %ctx.brand.slug.as_str(), cliente = ctx.customer, motivo = reason,
            "conversación de WhatsApp necesita una persona");
        crate::conversations::alerts::person_needed(
            c,
            &ctx.brand.nombre,
            ctx.customer,
            reason,
            ctx.now,
        )?;
    }
    Ok(Reply::text(
        ctx,
        "Te comunico con una persona de nuestro equipo. En breve te responden por aquí. 🙌",
    ))
}

/// Brand setting from `wa_ajustes`.
pub fn setting(c: &Connection, key: &str) -> Result<Option<String>, AppError> {
    Ok(
        c.prepare_cached("SELECT valor FROM wa_ajustes WHERE clave = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?,
    )
}

/// Money in the brand's currency for messages.
pub fn money(brand: &Brand, minor: i64) -> String {
    super::payload::Money {
        minor_units: minor,
        currency: brand.moneda.clone(),
    }
    .to_string()
}
