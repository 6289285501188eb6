//! Loyalty rewards inside the WhatsApp order flow: after a cart is confirmed (or when the
//! customer asks "canjear" / "mis puntos" with an order still open) the bot lists the rewards
//! the balance affords; a tap redeems through `loyalty::ledger::redeem`, the same path as the
//! counter's `/m/{slug}/pedidos/{id}/canje`, so the balance check and the discount line are
//! shared. Row ids: `canje:{order}:{reward}` and `canje:{order}:no`.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Ctx, Reply, catalogue, menu, money};
use crate::error::AppError;
use crate::loyalty::whatsapp::unit;
use crate::loyalty::{Reward, ledger, store};
use crate::whatsapp::interactive::ListRow;

/// The program's kind, the balance now and the active rewards it affords (cheapest first);
/// `None` when the brand runs no program or nothing is affordable.
fn affordable(c: &Connection, ctx: &Ctx) -> Result<Option<(String, i64, Vec<Reward>)>, AppError> {
    let Some(s) = store::summary(c, ctx.customer, ctx.now)? else {
        return Ok(None);
    };
    let rewards: Vec<Reward> = store::rewards(c)?
        .into_iter()
        .filter(|r| r.activo && r.costo <= s.saldo)
        .collect();
    Ok((!rewards.is_empty()).then_some((s.tipo, s.saldo, rewards)))
}

/// `body` plus the list of affordable rewards for `order`; `None` when there is nothing to offer.
pub fn offer(c: &Connection, ctx: &Ctx, order: i64, body: &str) -> Result<Option<Reply>, AppError> {
    let Some((kind, balance, rewards)) = affordable(c, ctx)? else {
        return Ok(None);
    };
    let mut rows: Vec<ListRow> = rewards
        .iter()
        .take(9)
        .map(|r| {
            ListRow::new(format!("canje:{order}:{}", r.id), &r.nombre).description(format!(
                "{} {} · -{}",
                r.costo,
                unit(&kind, r.costo),
                money(ctx.brand, r.descuento)
            ))
        })
        .collect();
    rows.push(ListRow::new(format!("canje:{order}:no"), "No, gracias"));
    let body = format!(
        "{body}\n\nTienes {balance} {}. ¿Canjeas una recompensa en este pedido?",
        unit(&kind, balance)
    );
    Ok(Some(menu::list(ctx, &body, "Recompensas", rows)))
}

/// The customer's latest order that can still take a discount.
fn open_order(c: &Connection, customer: i64) -> Result<Option<i64>, AppError> {
    Ok(c.prepare_cached(
        "SELECT id FROM pedidos WHERE cliente_id = ?1 AND estado NOT IN ('entregado', 'cancelado')
         ORDER BY creado_en DESC, id DESC LIMIT 1",
    )?
    .query_row([customer], |r| r.get(0))
    .optional()?)
}

/// "mis puntos" / "canjear": the balance answer, with the rewards list when an order is open.
pub fn on_text(c: &Connection, ctx: &Ctx, norm: &str) -> Result<Option<Reply>, AppError> {
    let Some(answer) = crate::loyalty::whatsapp::answer(c, ctx.customer, norm, ctx.now)? else {
        return Ok(None);
    };
    if let Some(order) = open_order(c, ctx.customer)? {
        let intro = format!(
            "Tu pedido {} sigue abierto.",
            catalogue::order_id(ctx, order)
        );
        if let Some(reply) = offer(c, ctx, order, &intro)? {
            return Ok(Some(reply));
        }
    }
    Ok(Some(Reply::text(ctx, &answer)))
}

/// A tap on `canje:{rest}`. Tapping the same row twice redeems once: a redemption of that
/// reward already on that order is answered with the same confirmation.
pub fn on_choice(c: &Connection, ctx: &Ctx, rest: &str) -> Result<Reply, AppError> {
    let (order, choice) = rest.split_once(':').unwrap_or((rest, "no"));
    let (Ok(order), Ok(reward)) = (order.parse::<i64>(), choice.parse::<i64>()) else {
        return Ok(Reply::text(
            ctx,
            "Listo, guardamos tus puntos para otra ocasión.",
        ));
    };
    let Some(r) = store::reward(c, reward)? else {
        return Ok(Reply::text(ctx, "Esa recompensa ya no está disponible."));
    };
    let done: bool = c
        .prepare_cached(
            "SELECT 1 FROM fidelidad_movimientos
             WHERE cliente_id = ?1 AND pedido_id = ?2 AND recompensa_id = ?3 AND tipo = 'canje'",
        )?
        .exists(params![ctx.customer, order, reward])?;
    if !done {
        match ledger::redeem(c, ctx.customer, reward, Some(order), ctx.now) {
            Ok(_) => {}
            // Refusals happen before the ledger writes anything: explain and change nothing.
            Err(AppError::NotFound(_)) => {
                return Ok(Reply::text(
                    ctx,
                    "Esa recompensa o ese pedido ya no están disponibles.",
                ));
            }
            Err(AppError::Conflict { message, .. }) => {
                return Ok(Reply::text(ctx, &message.es));
            }
            Err(e) => return Err(e),
        }
    }
    let total: i64 = c
        .prepare_cached("SELECT total FROM pedidos WHERE id = ?1")?
        .query_row([order], |r| r.get(0))?;
    let kind = store::program(c)?
        .map(|p| p.tipo)
        .unwrap_or_else(|| "puntos".into());
    let balance = store::balance(c, ctx.customer, ctx.now)?;
    Ok(Reply::text(
        ctx,
        &format!(
            "¡Listo! Canjeaste «{}» en tu pedido {}. Nuevo total: {}. Te quedan {balance} {}.",
            r.nombre,
            catalogue::order_id(ctx, order),
            money(ctx.brand, total),
            unit(&kind, balance)
        ),
    ))
}
