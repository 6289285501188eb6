//! Subscribing from WhatsApp: "quiero suscribirme" lists the active plans, a tap on one asks
//! for confirmation (and first for a delivery address when the customer has none: every plan
//! is a delivery), and the confirmation subscribes through `store::subscribe`, the function
//! the API and the UI end in. "mi suscripción" shows the status with the notice's own
//! skip/pause buttons (`sus:{id}:{n}:…`, handled by `whatsapp::handle`).
//! Ids: `plan:{id}`, `susc:{id}:ok|no`; bot step `sus_dir:{plan}` while waiting for an address.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Period, store};
use crate::error::AppError;
use crate::whatsapp::bot::{Ctx, Reply, State, money};
use crate::whatsapp::interactive::{ListMessage, ListRow};
use crate::whatsapp::outbound::OutboundMessage;
use crate::whatsapp::queue;

/// An active plan as offered: (id, name, price, period).
struct Offer {
    id: i64,
    name: String,
    price: i64,
    period: Period,
}

fn plans(c: &Connection) -> Result<Vec<Offer>, AppError> {
    let ids: Vec<i64> = c
        .prepare_cached("SELECT id FROM suscripcion_planes WHERE activo = 1 ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for id in ids {
        if let Some((period, price, _, name)) = store::plan_terms(c, id)? {
            out.push(Offer {
                id,
                name,
                price,
                period,
            });
        }
    }
    Ok(out)
}

fn every(p: Period) -> String {
    match p {
        Period::Monthly => "cada mes".into(),
        Period::Weeks(1) => "cada semana".into(),
        Period::Weeks(w) => format!("cada {w} semanas"),
    }
}

fn day(ctx: &Ctx, at: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| {
            d.with_timezone(&ctx.brand.tz())
                .format("%d/%m/%Y")
                .to_string()
        })
        .unwrap_or_default()
}

/// The customer's latest subscription that is not cancelled: (id, plan, status, start, next).
fn current(c: &Connection, customer: i64) -> Result<Option<store::Row>, AppError> {
    let id: Option<i64> = c
        .prepare_cached(
            "SELECT id FROM suscripciones WHERE cliente_id = ?1 AND estado IN ('activa', 'pausada')
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([customer], |r| r.get(0))
        .optional()?;
    id.map(|id| store::row(c, id))
        .transpose()
        .map(Option::flatten)
}

/// "mi suscripción": status, next date and the skip/pause (or resume) buttons; `intro` says
/// why it is shown (e.g. the customer asked to subscribe again).
fn status(c: &Connection, ctx: &Ctx, s: &store::Row, intro: &str) -> Result<Reply, AppError> {
    let Some((period, price, _, name)) = store::plan_terms(c, s.plan)? else {
        return Ok(Reply::text(
            ctx,
            "No encontramos el plan de tu suscripción.",
        ));
    };
    if s.status == "pausada" {
        return Ok(Reply::buttons(
            ctx,
            &format!(
                "{intro}Tu suscripción «{name}» ({} {}) está pausada.",
                money(ctx.brand, price),
                every(period)
            ),
            &[(&format!("sus:{}:{}:reanudar", s.id, s.next), "Reanudar")],
        ));
    }
    let next = period
        .date(s.start, s.next, ctx.brand.tz())
        .unwrap_or(ctx.now);
    Ok(Reply::buttons(
        ctx,
        &format!(
            "{intro}Tu suscripción «{name}» ({} {}) está activa. Próximo pedido: {}.",
            money(ctx.brand, price),
            every(period),
            day(ctx, next)
        ),
        &[
            (
                &format!("sus:{}:{}:saltar", s.id, s.next),
                "Saltar el próximo",
            ),
            (&format!("sus:{}:{}:pausar", s.id, s.next), "Pausar"),
        ],
    ))
}

fn list(ctx: &Ctx, body: &str, rows: Vec<ListRow>) -> Reply {
    match ListMessage::new(body, "Ver planes")
        .section("Planes", rows)
        .build()
    {
        Ok(i) => Reply {
            message: OutboundMessage::interactive(queue::recipient(ctx.destination), i),
            summary: body.to_owned(),
        },
        Err(_) => Reply::text(ctx, body),
    }
}

/// Free text about subscriptions; `None` when the text is not about them.
pub fn on_text(c: &Connection, ctx: &Ctx, norm: &str) -> Result<Option<Reply>, AppError> {
    let about = norm.split(' ').any(|w| {
        matches!(
            w,
            "suscripcion"
                | "suscripciones"
                | "suscribirme"
                | "suscribir"
                | "suscribo"
                | "subscripcion"
        )
    });
    if !about {
        return Ok(None);
    }
    let mine = norm.contains("mi suscripcion");
    if let Some(s) = current(c, ctx.customer)? {
        let intro = if mine { "" } else { "Ya estás suscrito. " };
        return status(c, ctx, &s, intro).map(Some);
    }
    if mine {
        return Ok(Some(Reply::buttons(
            ctx,
            "Todavía no tienes una suscripción. ¿Quieres ver los planes?",
            &[("planes", "Ver planes")],
        )));
    }
    offer_plans(c, ctx).map(Some)
}

fn offer_plans(c: &Connection, ctx: &Ctx) -> Result<Reply, AppError> {
    let plans = plans(c)?;
    if plans.is_empty() {
        return Ok(Reply::text(
            ctx,
            "Por ahora no tenemos planes de suscripción. ¡Pronto!",
        ));
    }
    let rows = plans
        .iter()
        .take(10)
        .map(|p| {
            ListRow::new(format!("plan:{}", p.id), &p.name).description(format!(
                "{} {}",
                money(ctx.brand, p.price),
                every(p.period)
            ))
        })
        .collect();
    Ok(list(
        ctx,
        "Estos son nuestros planes de suscripción. Elige uno:",
        rows,
    ))
}

fn confirm_question(c: &Connection, ctx: &Ctx, plan: i64) -> Result<Reply, AppError> {
    let Some(p) = plans(c)?.into_iter().find(|p| p.id == plan) else {
        return offer_plans(c, ctx);
    };
    Ok(Reply::buttons(
        ctx,
        &format!(
            "Plan «{}»: {} {}. Tu primer pedido sería el {}. ¿Confirmas la suscripción?",
            p.name,
            money(ctx.brand, p.price),
            every(p.period),
            day(ctx, ctx.now)
        ),
        &[
            (&format!("susc:{plan}:ok"), "Confirmar"),
            (&format!("susc:{plan}:no"), "Cancelar"),
        ],
    ))
}

fn has_address(c: &Connection, customer: i64) -> Result<bool, AppError> {
    Ok(crate::customers::store::get(c, customer)?
        .and_then(|cl| cl.address)
        .is_some_and(|a| !a.trim().is_empty()))
}

/// A tap on `planes`, `plan:{id}` or `susc:{id}:ok|no`; `None` when the id is not ours.
pub fn on_choice(
    c: &Connection,
    ctx: &Ctx,
    state: &mut State,
    id: &str,
) -> Result<Option<Reply>, AppError> {
    if id == "planes" {
        return offer_plans(c, ctx).map(Some);
    }
    if let Some(plan) = id.strip_prefix("plan:") {
        let plan: i64 = plan.parse().unwrap_or(0);
        if let Some(s) = current(c, ctx.customer)? {
            return status(c, ctx, &s, "Ya estás suscrito. ").map(Some);
        }
        if !has_address(c, ctx.customer)? {
            state.step = format!("sus_dir:{plan}");
            return Ok(Some(Reply::text(
                ctx,
                "Para llevarte tu pedido necesitamos tu dirección de entrega. Escríbela en un mensaje (calle, número y distrito).",
            )));
        }
        return confirm_question(c, ctx, plan).map(Some);
    }
    let Some(rest) = id.strip_prefix("susc:") else {
        return Ok(None);
    };
    let (plan, choice) = rest.split_once(':').unwrap_or((rest, "no"));
    let plan: i64 = plan.parse().unwrap_or(0);
    if choice != "ok" {
        return Ok(Some(Reply::text(
            ctx,
            "Listo, no te suscribimos. Escribe «suscripción» cuando quieras ver los planes.",
        )));
    }
    // A second tap on "Confirmar" finds the subscription the first one created.
    if let Some(s) = current(c, ctx.customer)? {
        return status(c, ctx, &s, "Ya estás suscrito. ").map(Some);
    }
    let Some(p) = plans(c)?.into_iter().find(|p| p.id == plan) else {
        return Ok(Some(Reply::text(
            ctx,
            "Ese plan ya no está disponible. Escribe «suscripción» para ver los planes.",
        )));
    };
    let id = store::subscribe(c, plan, ctx.customer, ctx.now, ctx.now)?;
    let first = store::row(c, id)?
        .and_then(|s| p.period.date(s.start, s.next, ctx.brand.tz()))
        .unwrap_or(ctx.now);
    Ok(Some(Reply::text(
        ctx,
        &format!(
            "¡Listo! Te suscribiste a «{}» ({} {}). Tu primer pedido: {}. Te avisaremos antes de cada entrega; escribe «mi suscripción» para verla.",
            p.name,
            money(ctx.brand, p.price),
            every(p.period),
            day(ctx, first)
        ),
    )))
}

/// The customer's answer while the bot waits for an address (`sus_dir:{plan}`).
pub fn on_address(
    c: &Connection,
    ctx: &Ctx,
    state: &mut State,
    norm: &str,
    body: &str,
) -> Result<Option<Reply>, AppError> {
    let Some(plan) = state.step.strip_prefix("sus_dir:") else {
        return Ok(None);
    };
    let plan: i64 = plan.parse().unwrap_or(0);
    state.step = "inicio".into();
    if matches!(norm, "no" | "cancelar" | "cancela" | "mejor no") {
        return Ok(Some(Reply::text(
            ctx,
            "Listo, no te suscribimos. Escribe «suscripción» cuando quieras ver los planes.",
        )));
    }
    let address = body.trim();
    // Too short to be an address ("hola", "ok"): the customer moved on, so the bot does too
    // rather than trapping them in the question.
    if address.chars().count() < 5 {
        return Ok(None);
    }
    if address.chars().count() > 300 {
        state.step = format!("sus_dir:{plan}");
        return Ok(Some(Reply::text(
            ctx,
            "No pude leer esa dirección. Escríbela completa, por ejemplo «Av. Arequipa 1234, Lince».",
        )));
    }
    c.prepare_cached(
        "UPDATE clientes SET direccion = pii_seal(?2), actualizado_en = ?3 WHERE id = ?1",
    )?
    .execute(params![ctx.customer, address, ctx.now])?;
    confirm_question(c, ctx, plan).map(Some)
}
