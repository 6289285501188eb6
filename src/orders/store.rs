//! SQL for orders: creation with prices copied from the catalogue, status moves with their
//! stock effects and history, and lists. Everything runs inside the caller's transaction.

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use super::{ItemInput, MAX_ITEMS, MAX_QUANTITY, Order, OrderItem, Status, StatusChange};
use crate::api::page::Cursor;
use crate::error::{AppError, FieldError, msg};
use crate::products;

/// A priced line ready to insert.
struct PricedItem {
    product_id: i64,
    sku: String,
    name: String,
    quantity: i64,
    unit_price: i64,
    total: i64,
}

/// What the order will hold, resolved and checked.
pub struct NewOrder<'a> {
    pub customer_id: i64,
    pub channel: &'a str,
    pub items: &'a [ItemInput],
    pub notes: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub actor: &'a str,
    pub confirm: bool,
}

pub fn find_by_external_id(
    conn: &Connection,
    external_id: &str,
) -> Result<Option<Order>, AppError> {
    let id: Option<i64> = conn
        .query_row(
            "SELECT id FROM pedidos WHERE external_id = ?1",
            [external_id],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|id| get(conn, id)).transpose().map(Option::flatten)
}

/// Creates an order in `recibido` (then `confirmado` when asked) and returns it.
pub fn create(conn: &Connection, new: &NewOrder, now: i64) -> Result<Order, AppError> {
    let items = price_items(conn, new.items)?;
    let subtotal = items
        .iter()
        .try_fold(0i64, |acc, i| acc.checked_add(i.total))
        .ok_or_else(|| {
            AppError::validation(
                "items",
                "total_overflow",
                msg("Total demasiado grande.", "Total too large."),
            )
        })?;
    conn.prepare_cached(
        "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, notas, external_id, creado_en, actualizado_en)
         VALUES (?1, ?2, 'recibido', ?3, 0, ?3, pii_seal(?4), ?5, ?6, ?6)",
    )?
    .execute(params![new.customer_id, new.channel, subtotal, new.notes, new.external_id, now])?;
    let order_id = conn.last_insert_rowid();
    let mut insert_item = conn.prepare_cached(
        "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for i in &items {
        insert_item.execute(params![
            order_id,
            i.product_id,
            i.sku,
            i.name,
            i.quantity,
            i.unit_price,
            i.total
        ])?;
    }
    record_status(conn, order_id, Status::Recibido, None, new.actor, None, now)?;
    conn.prepare_cached(
        "UPDATE clientes SET pedidos_count = pedidos_count + 1, total_gastado = total_gastado + ?2,
            primer_pedido_en = COALESCE(MIN(primer_pedido_en, ?3), ?3),
            ultimo_pedido_en = MAX(COALESCE(ultimo_pedido_en, ?3), ?3)
         WHERE id = ?1",
    )?
    .execute(params![new.customer_id, subtotal, now])?;
    crate::promotions::store::apply_to_new_order(conn, order_id, new.customer_id, now)?;
    if new.confirm {
        transition(conn, order_id, Status::Confirmado, new.actor, None, now)?;
    }
    get(conn, order_id)?.ok_or_else(|| AppError::internal("order vanished after insert"))
}

/// Resolves each line to an active catalogue product and copies its current price.
fn price_items(conn: &Connection, lines: &[ItemInput]) -> Result<Vec<PricedItem>, AppError> {
    if lines.is_empty() || lines.len() > MAX_ITEMS {
        return Err(AppError::validation(
            "items",
            "invalid_items",
            msg(
                format!("El pedido necesita de 1 a {MAX_ITEMS} líneas."),
                format!("An order needs 1 to {MAX_ITEMS} lines."),
            ),
        ));
    }
    let mut errors = Vec::new();
    let mut priced = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        let field = format!("items[{n}]");
        if !(1..=MAX_QUANTITY).contains(&line.cantidad) {
            errors.push(FieldError::new(
                format!("{field}.cantidad"),
                "invalid_quantity",
                msg(
                    format!("Cantidad entre 1 y {MAX_QUANTITY}."),
                    format!("Quantity between 1 and {MAX_QUANTITY}."),
                ),
            ));
            continue;
        }
        let product = match (&line.producto_id, &line.sku) {
            (Some(id), _) => products::store::get(conn, id.local)?,
            (None, Some(sku)) => products::store::get_by_sku(conn, sku.trim())?,
            (None, None) => None,
        };
        let Some(product) = product.filter(|p| p.active) else {
            errors.push(FieldError::new(
                field,
                "unknown_product",
                msg(
                    "Producto inexistente o inactivo (indica producto_id o sku).",
                    "Unknown or inactive product (give producto_id or sku).",
                ),
            ));
            continue;
        };
        let Some(total) = product.price.checked_mul(line.cantidad) else {
            errors.push(FieldError::new(
                field,
                "total_overflow",
                msg("Total demasiado grande.", "Total too large."),
            ));
            continue;
        };
        priced.push(PricedItem {
            product_id: product.id,
            sku: product.sku,
            name: product.name,
            quantity: line.cantidad,
            unit_price: product.price,
            total,
        });
    }
    if errors.is_empty() {
        Ok(priced)
    } else {
        Err(AppError::Validation(errors))
    }
}

fn record_status(
    conn: &Connection,
    order_id: i64,
    status: Status,
    previous: Option<Status>,
    actor: &str,
    note: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO pedido_estados (pedido_id, estado, anterior, actor, nota, creado_en) VALUES (?1, ?2, ?3, ?4, pii_seal(?5), ?6)",
    )?
    .execute(params![order_id, status.as_str(), previous.map(Status::as_str), actor, note, now])?;
    Ok(())
}

/// Moves an order to `to`: checks the machine, takes stock on confirmation and gives it
/// back on cancellation, keeps the customer's totals, and records the change.
pub fn transition(
    conn: &Connection,
    order_id: i64,
    to: Status,
    actor: &str,
    note: Option<&str>,
    now: i64,
) -> Result<Order, AppError> {
    let order = get(conn, order_id)?.ok_or(AppError::NotFound("pedido"))?;
    let from = order.status;
    from.check_move(to)?;
    let stock_delta = match (from.holds_stock(), to.holds_stock()) {
        (false, true) => -1,
        (true, false) => 1,
        _ => 0,
    };
    if stock_delta != 0 {
        for item in &order.items {
            let Some(pid) = item.product_id else { continue };
            // Take the ordered units, or give back exactly what this line took.
            let delta = if stock_delta < 0 {
                -item.quantity
            } else {
                item.stock_taken
            };
            let applied = products::store::adjust_stock(conn, pid, delta, now)?;
            let taken = if stock_delta < 0 && applied {
                item.quantity
            } else {
                0
            };
            conn.prepare_cached("UPDATE pedido_items SET stock_tomado = ?2 WHERE id = ?1")?
                .execute(params![item.id, taken])?;
        }
    }
    conn.prepare_cached("UPDATE pedidos SET estado = ?2, actualizado_en = ?3 WHERE id = ?1")?
        .execute(params![order_id, to.as_str(), now])?;
    if to == Status::Cancelado {
        // A cancelled order is not revenue: take it out of the customer's totals.
        conn.prepare_cached(
            "UPDATE clientes SET pedidos_count = pedidos_count - 1, total_gastado = total_gastado - ?2 WHERE id = ?1",
        )?
        .execute(params![order.customer_id, order.total])?;
    }
    record_status(conn, order_id, to, Some(from), actor, note, now)?;
    let order = get(conn, order_id)?.ok_or(AppError::NotFound("pedido"))?;
    crate::loyalty::ledger::on_order_status(conn, &order, now)?;
    super::notify::status_changed(conn, &order, now)?;
    Ok(order)
}

const COLUMNS: &str = "id, cliente_id, canal, estado, subtotal, descuento, total, pii_open(notas), external_id, creado_en, actualizado_en";

fn from_row(row: &Row) -> rusqlite::Result<Order> {
    let status: String = row.get(3)?;
    Ok(Order {
        id: row.get(0)?,
        customer_id: row.get(1)?,
        channel: row.get(2)?,
        status: Status::parse(&status).unwrap_or(Status::Recibido),
        subtotal: row.get(4)?,
        discount: row.get(5)?,
        total: row.get(6)?,
        notes: row.get(7)?,
        external_id: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
        items: Vec::new(),
        history: Vec::new(),
    })
}

/// One order with its items and history.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Order>, AppError> {
    let Some(mut order) = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM pedidos WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
    else {
        return Ok(None);
    };
    order.items = conn
        .prepare_cached("SELECT id, producto_id, sku, nombre, cantidad, precio_unitario, total, stock_tomado FROM pedido_items WHERE pedido_id = ?1 ORDER BY id")?
        .query_map([id], |r| Ok(OrderItem {
            id: r.get(0)?,
            product_id: r.get(1)?,
            sku: r.get(2)?,
            name: r.get(3)?,
            quantity: r.get(4)?,
            unit_price: r.get(5)?,
            total: r.get(6)?,
            stock_taken: r.get(7)?,
        }))?
        .collect::<Result<_, _>>()?;
    order.history = conn
        .prepare_cached("SELECT estado, anterior, actor, pii_open(nota), creado_en FROM pedido_estados WHERE pedido_id = ?1 ORDER BY id")?
        .query_map([id], |r| {
            let status: String = r.get(0)?;
            let previous: Option<String> = r.get(1)?;
            Ok(StatusChange {
                status: Status::parse(&status).unwrap_or(Status::Recibido),
                previous: previous.as_deref().and_then(Status::parse),
                actor: r.get(2)?,
                note: r.get(3)?,
                at: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(order))
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub channel: Option<String>,
    pub customer_id: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Lists orders newest first, with their items.
pub fn list(
    conn: &Connection,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<Order>, Option<Cursor>), AppError> {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(s) = filter.status {
        clauses.push("estado = ?");
        args.push(Box::new(s.as_str()));
    }
    if let Some(c) = &filter.channel {
        clauses.push("canal = ?");
        args.push(Box::new(c.clone()));
    }
    if let Some(c) = filter.customer_id {
        clauses.push("cliente_id = ?");
        args.push(Box::new(c));
    }
    if let Some(v) = filter.from {
        clauses.push("creado_en >= ?");
        args.push(Box::new(v));
    }
    if let Some(v) = filter.to {
        clauses.push("creado_en < ?");
        args.push(Box::new(v));
    }
    if let Some(c) = cursor {
        clauses.push("(creado_en, id) < (?, ?)");
        args.push(Box::new(c.key.as_i64().unwrap_or(i64::MAX)));
        args.push(Box::new(c.id));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "SELECT id FROM pedidos {where_sql} ORDER BY creado_en DESC, id DESC LIMIT {}",
        limit + 1
    );
    let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
    let ids: Vec<i64> = conn
        .prepare_cached(&sql)?
        .query_map(params.as_slice(), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut orders = Vec::with_capacity(ids.len());
    for id in ids.iter().take(limit as usize) {
        if let Some(o) = get(conn, *id)? {
            orders.push(o);
        }
    }
    let next = (ids.len() > limit as usize)
        .then(|| {
            orders.last().map(|o| Cursor {
                key: o.created_at.into(),
                id: o.id,
            })
        })
        .flatten();
    Ok((orders, next))
}
