//! The interactive menu: every list row and button id the bot sends, and what a tap on each does.
//! Ids: `menu`, `cats:{page}`, `cat:{page}:{category}`, `prod:{sku}`, `qty:{n}:{sku}`,
//! `cart:ok|more|cancel`, `human`, `canje:{order}:{reward|no}` (rewards.rs), `venta:si:{sku}|no`
//! (cross_sell.rs); subscription ids go to subscriptions::bot.

use rusqlite::Connection;

use super::catalogue::{self, Item};
use super::{Ctx, Reply, State, handoff, money};
use crate::error::AppError;
use crate::whatsapp::interactive::{ListMessage, ListRow, limits, paginate, truncate};
use crate::whatsapp::outbound::OutboundMessage;
use crate::whatsapp::queue;

pub(super) fn list(ctx: &Ctx, body: &str, section: &str, rows: Vec<ListRow>) -> Reply {
    let titles: Vec<String> = rows.iter().map(|r| r.title.clone()).collect();
    let section = truncate(section, limits::SECTION_TITLE).into_owned();
    match ListMessage::new(body, "Ver opciones")
        .section(section, rows)
        .build()
    {
        Ok(i) => Reply {
            message: OutboundMessage::interactive(queue::recipient(ctx.destination), i),
            summary: format!("{body} [{}]", titles.join(" | ")),
        },
        Err(e) => {
            tracing::warn!(error = %e, "lista inválida; se envía texto");
            Reply::text(ctx, body)
        }
    }
}

/// The categories list (the menu's first level).
pub fn categories(c: &Connection, ctx: &Ctx, body: &str, page: usize) -> Result<Reply, AppError> {
    let mut cats: Vec<String> = catalogue::items(c)?
        .into_iter()
        .map(|i| i.category)
        .collect();
    cats.dedup();
    if cats.is_empty() {
        return Ok(Reply::text(
            ctx,
            "Por ahora no tenemos productos disponibles.",
        ));
    }
    let rows: Vec<ListRow> = cats
        .iter()
        .map(|cat| {
            let title = if cat.is_empty() {
                "Otros"
            } else {
                cat.as_str()
            };
            ListRow::new(format!("cat:0:{cat}"), title)
        })
        .collect();
    let (rows, _) = paginate(&rows, page, |p| format!("cats:{p}"));
    Ok(list(ctx, body, "Categorías", rows))
}

fn products(c: &Connection, ctx: &Ctx, category: &str, page: usize) -> Result<Reply, AppError> {
    let items: Vec<Item> = catalogue::items(c)?
        .into_iter()
        .filter(|i| i.category == category)
        .collect();
    if items.is_empty() {
        return categories(
            c,
            ctx,
            "Esa categoría ya no tiene productos. Elige otra:",
            0,
        );
    }
    let rows: Vec<ListRow> = items
        .iter()
        .map(|i| {
            ListRow::new(format!("prod:{}", i.sku), &i.name).description(money(ctx.brand, i.price))
        })
        .collect();
    let (rows, _) = paginate(&rows, page, |p| format!("cat:{p}:{category}"));
    let title = if category.is_empty() {
        "Otros"
    } else {
        category
    };
    Ok(list(ctx, "Elige un producto:", title, rows))
}

/// Handles a tap on one of our ids; `None` when the id is not ours (e.g. a template payload).
pub fn on_choice(
    c: &Connection,
    ctx: &Ctx,
    state: &mut State,
    wamid: &str,
    id: &str,
) -> Result<Option<Reply>, AppError> {
    let reply = if id == "menu" || id == "cart:more" {
        state.step = "inicio".into();
        categories(c, ctx, "¿Qué se te antoja? Elige una categoría:", 0)?
    } else if let Some(page) = id.strip_prefix("cats:") {
        categories(c, ctx, "Más categorías:", page.parse().unwrap_or(0))?
    } else if let Some(rest) = id.strip_prefix("cat:") {
        let (page, cat) = rest.split_once(':').unwrap_or(("0", rest));
        products(c, ctx, cat, page.parse().unwrap_or(0))?
    } else if let Some(sku) = id.strip_prefix("prod:") {
        match catalogue::item(c, sku)? {
            Some(i) => Reply::buttons(
                ctx,
                &format!(
                    "{} — {} c/u. ¿Cuántos quieres?",
                    i.name,
                    money(ctx.brand, i.price)
                ),
                &[
                    (&format!("qty:1:{sku}"), "1"),
                    (&format!("qty:2:{sku}"), "2"),
                    (&format!("qty:3:{sku}"), "3"),
                ],
            ),
            None => categories(c, ctx, "Ese producto ya no está disponible. Elige otro:", 0)?,
        }
    } else if let Some(rest) = id.strip_prefix("qty:").or_else(|| id.strip_prefix("amb:")) {
        let (n, sku) = rest.split_once(':').unwrap_or(("1", rest));
        if catalogue::item(c, sku)?.is_none() {
            return Ok(Some(categories(
                c,
                ctx,
                "Ese producto ya no está disponible:",
                0,
            )?));
        }
        catalogue::add(&mut state.cart, sku, n.parse().unwrap_or(1));
        state.step = "confirmar".into();
        state.misunderstandings = 0;
        catalogue::summary(c, ctx, &state.cart, "¡Anotado!")?
    } else if id == "cart:ok" {
        return confirm(c, ctx, state, wamid).map(Some);
    } else if id == "cart:cancel" {
        state.cart.clear();
        state.step = "inicio".into();
        Reply::buttons(
            ctx,
            "Listo, cancelé tu pedido. Cuando quieras, vuelve a pedir.",
            &[("menu", "Ver menú")],
        )
    } else if let Some(rest) = id.strip_prefix("venta:") {
        super::cross_sell::on_choice(c, ctx, state, wamid, rest)?
    } else if let Some(rest) = id.strip_prefix("canje:") {
        super::rewards::on_choice(c, ctx, rest)?
    } else if id == "human" {
        handoff(c, ctx, state, "El cliente pidió hablar con una persona")?
    } else {
        // Subscribing from WhatsApp: `planes`, `plan:{id}`, `susc:{id}:ok|no`.
        return crate::subscriptions::bot::on_choice(c, ctx, state, id);
    };
    Ok(Some(reply))
}

/// Creates the order from the cart after the customer confirmed it.
pub fn confirm(
    c: &Connection,
    ctx: &Ctx,
    state: &mut State,
    wamid: &str,
) -> Result<Reply, AppError> {
    if state.cart.is_empty() {
        return categories(c, ctx, "Tu carrito está vacío. Elige una categoría:", 0);
    }
    // One cross-sell offer per cart; "Confirmar" again while it waits places the order as is.
    if !state.step.starts_with("venta:")
        && let Some(reply) = super::cross_sell::offer(c, ctx, state, wamid)?
    {
        return Ok(reply);
    }
    place_confirmed(c, ctx, state, wamid, "")
}

/// Creates the order from the confirmed cart; `note` goes before the thanks.
pub(super) fn place_confirmed(
    c: &Connection,
    ctx: &Ctx,
    state: &mut State,
    wamid: &str,
    note: &str,
) -> Result<Reply, AppError> {
    let order = catalogue::place(c, ctx, wamid, &state.cart, None)?;
    state.cart.clear();
    state.step = "inicio".into();
    let body = format!(
        "{note}¡Gracias! Tu pedido {} quedó registrado. Total: {}. Te avisaremos cuando esté en camino.",
        catalogue::order_id(ctx, order.id),
        money(ctx.brand, order.total)
    );
    // A balance that affords a reward is offered right away, on this order.
    if let Some(reply) = super::rewards::offer(c, ctx, order.id, &body)? {
        return Ok(reply);
    }
    Ok(Reply::text(ctx, &body))
}
