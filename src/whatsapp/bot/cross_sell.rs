//! Cross-selling after the cart is confirmed: before the order is created the bot offers the
//! product most often bought with the cart (`restock::cross_sell::for_cart`), once per cart,
//! with "Sí, agrégalo" / "No, gracias" buttons (`venta:si:{sku}`, `venta:no`). Either answer
//! (or "Confirmar" again) creates the order through the same path as without the offer, so
//! promotions, stock and loyalty see the final cart. Offers and acceptances are recorded on
//! the customer's timeline and give the acceptance rate.

use rusqlite::Connection;

use super::{Ctx, Reply, State, menu, money};
use crate::error::AppError;
use crate::restock::cross_sell::{self, Offer};

/// The offer for the cart being confirmed, or `None` (then the order is placed at once).
pub fn offer(
    c: &Connection,
    ctx: &Ctx,
    state: &mut State,
    wamid: &str,
) -> Result<Option<Reply>, AppError> {
    let skus: Vec<String> = state.cart.iter().map(|l| l.sku.clone()).collect();
    let Some(o) = cross_sell::for_cart(c, &skus)? else {
        return Ok(None);
    };
    cross_sell::record(c, ctx.customer, &o, false, wamid, ctx.now)?;
    state.step = format!("venta:{}", o.sku);
    let body = format!(
        "Quienes llevan {} también suelen llevar {} ({}). ¿Te lo agregamos a tu pedido?",
        o.con,
        o.nombre,
        money(ctx.brand, o.precio)
    );
    Ok(Some(Reply::buttons(
        ctx,
        &body,
        &[
            (&format!("venta:si:{}", o.sku), "Sí, agrégalo"),
            ("venta:no", "No, gracias"),
        ],
    )))
}

/// A tap on `venta:{rest}` (or "sí" / "no" typed while the offer waits).
pub fn on_choice(
    c: &Connection,
    ctx: &Ctx,
    state: &mut State,
    wamid: &str,
    rest: &str,
) -> Result<Reply, AppError> {
    let Some(pending) = state.step.strip_prefix("venta:").map(str::to_owned) else {
        // A second tap after the order was placed: nothing to add, nothing placed twice.
        return Ok(Reply::text(
            ctx,
            "Tu pedido ya quedó registrado. Si quieres algo más, escribe «menú».",
        ));
    };
    if state.cart.is_empty() {
        state.step = "inicio".into();
        return menu::categories(c, ctx, "Tu carrito está vacío. Elige una categoría:", 0);
    }
    let accepted = rest.strip_prefix("si:").filter(|sku| *sku == pending);
    let added: Option<Offer> = match accepted {
        Some(sku) => cross_sell::available(c, sku)?,
        None => None,
    };
    let note = match (&added, accepted) {
        (Some(o), _) => {
            super::catalogue::add(&mut state.cart, &o.sku, 1);
            cross_sell::record(c, ctx.customer, o, true, wamid, ctx.now)?;
            format!("Agregamos {}. ", o.nombre)
        }
        (None, Some(_)) => {
            "Ese producto ya no está disponible; tu pedido sigue como estaba. ".into()
        }
        (None, None) => String::new(),
    };
    menu::place_confirmed(c, ctx, state, wamid, &note)
}
