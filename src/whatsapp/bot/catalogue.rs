//! The brand's catalogue as the bot sees it, cart summaries, and turning a cart or a WhatsApp
//! catalogue `order` into a real order.

use rusqlite::Connection;
use serde_json::json;

use super::{Ctx, Line, Reply, money};
use crate::error::AppError;
use crate::orders::store::{self as orders, NewOrder};
use crate::orders::{self as order_domain, ItemInput};
use crate::whatsapp::order_text::CatalogItem;
use crate::whatsapp::payload::Order as WaOrder;

/// An active product: (sku, name, category, price).
#[derive(Debug, Clone)]
pub struct Item {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub price: i64,
}

pub fn items(c: &Connection) -> Result<Vec<Item>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT sku, nombre, categoria, precio FROM productos WHERE activo = 1 ORDER BY categoria, nombre, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Item {
            sku: r.get(0)?,
            name: r.get(1)?,
            category: r.get(2)?,
            price: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn item(c: &Connection, sku: &str) -> Result<Option<Item>, AppError> {
    Ok(items(c)?.into_iter().find(|i| i.sku == sku))
}

/// The catalogue for the free-text parser, with the brand's synonyms.
pub fn for_parser(c: &Connection) -> Result<Vec<CatalogItem>, AppError> {
    let mut stmt = c.prepare_cached("SELECT sku, sinonimo FROM wa_sinonimos")?;
    let synonyms: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(items(c)?
        .into_iter()
        .map(|i| CatalogItem {
            synonyms: synonyms
                .iter()
                .filter(|(s, _)| *s == i.sku)
                .map(|(_, w)| w.clone())
                .collect(),
            sku: i.sku,
            name: i.name,
        })
        .collect())
}

/// Adds `qty` of `sku` to the cart (merging lines).
pub fn add(cart: &mut Vec<Line>, sku: &str, qty: u32) {
    match cart.iter_mut().find(|l| l.sku == sku) {
        Some(l) => l.cantidad = l.cantidad.saturating_add(qty).min(1000),
        None => cart.push(Line {
            sku: sku.to_owned(),
            cantidad: qty.clamp(1, 1000),
        }),
    }
}

/// The cart as text with its total, and the confirm / change / cancel buttons.
pub fn summary(c: &Connection, ctx: &Ctx, cart: &[Line], intro: &str) -> Result<Reply, AppError> {
    let all = items(c)?;
    let mut text = format!("{intro}\n\n🛒 Tu pedido:\n");
    let mut total = 0i64;
    for line in cart {
        if let Some(i) = all.iter().find(|i| i.sku == line.sku) {
            let sub = i.price.saturating_mul(i64::from(line.cantidad));
            total = total.saturating_add(sub);
            text.push_str(&format!(
                "• {} × {} — {}\n",
                line.cantidad,
                i.name,
                money(ctx.brand, sub)
            ));
        }
    }
    text.push_str(&format!(
        "\nTotal: {}\n¿Confirmamos?",
        money(ctx.brand, total)
    ));
    Ok(Reply::buttons(
        ctx,
        &text,
        &[
            ("cart:ok", "Confirmar"),
            ("cart:more", "Cambiar"),
            ("cart:cancel", "Cancelar"),
        ],
    ))
}

/// Creates the order from the confirmed cart; the external id makes a replay harmless.
pub fn place(
    c: &Connection,
    ctx: &Ctx,
    wamid: &str,
    cart: &[Line],
    notes: Option<&str>,
) -> Result<order_domain::Order, AppError> {
    let lines: Vec<ItemInput> = cart
        .iter()
        .map(|l| ItemInput {
            producto_id: None,
            sku: Some(l.sku.clone()),
            cantidad: i64::from(l.cantidad),
        })
        .collect();
    let external = format!("wa:{wamid}");
    if let Some(existing) = orders::find_by_external_id(c, &external)? {
        return Ok(existing);
    }
    let order = orders::create(
        c,
        &NewOrder {
            customer_id: ctx.customer,
            channel: "whatsapp",
            items: &lines,
            notes,
            external_id: Some(&external),
            actor: "whatsapp",
            confirm: false,
        },
        ctx.now,
    )?;
    c.prepare_cached("UPDATE interacciones SET pedido_id = ?2 WHERE external_id = ?1")?
        .execute(rusqlite::params![wamid, order.id])?;
    Ok(order)
}

/// How customers see an order number: short, like on a receipt.
pub fn order_id(_ctx: &Ctx, id: i64) -> String {
    crate::orders::notify::number(id)
}

/// A WhatsApp catalogue cart: retailer ids are SKUs; our prices are authoritative, the
/// catalogue's (exact decimals) are kept in the interaction for comparison.
pub fn order(c: &Connection, ctx: &Ctx, wamid: &str, o: &WaOrder) -> Result<Reply, AppError> {
    let all = items(c)?;
    let mut cart = Vec::new();
    let mut missing = Vec::new();
    for item in &o.items {
        if all.iter().any(|i| i.sku == item.product_retailer_id) && item.quantity > 0 {
            add(&mut cart, &item.product_retailer_id, item.quantity);
        } else {
            missing.push(item.product_retailer_id.clone());
        }
    }
    let catalogue_total = o.total().map(|m| m.to_string());
    c.prepare_cached(
        "UPDATE interacciones SET metadatos = json_set(metadatos, '$.catalogo_total', ?2, '$.sku_desconocidos', json(?3)) WHERE external_id = ?1",
    )?
    .execute(rusqlite::params![wamid, catalogue_total, json!(missing).to_string()])?;
    if cart.is_empty() {
        return Ok(Reply::text(
            ctx,
            "No encontramos esos productos en nuestra carta. Escribe «menú» para ver lo disponible.",
        ));
    }
    let order = place(c, ctx, wamid, &cart, o.text.as_deref())?;
    let mut text = format!(
        "¡Recibimos tu pedido {}! Total: {}.",
        order_id(ctx, order.id),
        money(ctx.brand, order.total)
    );
    if !missing.is_empty() {
        text.push_str(&format!(" No tenemos: {}.", missing.join(", ")));
    }
    Ok(Reply::text(ctx, &text))
}
