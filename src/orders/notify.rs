//! Customer notifications of order status changes ("tu pedido está en camino"), queued on
//! WhatsApp in the same transaction as the change, once per (order, status).

use rusqlite::{Connection, OptionalExtension};

use super::{Order, Status};
use crate::error::AppError;

/// How customers see an order number.
pub fn number(id: i64) -> String {
    format!("#{id}")
}

/// The message for a status, `None` for statuses the customer need not hear about.
pub fn text(order: &Order) -> Option<String> {
    let n = number(order.id);
    Some(match order.status {
        Status::Recibido => return None,
        Status::Confirmado => format!("¡Tu pedido {n} fue confirmado! 🙌"),
        Status::EnPreparacion => format!("Estamos preparando tu pedido {n}. 👩‍🍳"),
        Status::Listo => format!("Tu pedido {n} está listo."),
        Status::EnCamino => format!("¡Tu pedido {n} está en camino! 🛵"),
        Status::Entregado => format!("Tu pedido {n} fue entregado. ¡Gracias por tu compra!"),
        Status::Cancelado => format!("Tu pedido {n} fue cancelado. Si tienes dudas, escríbenos."),
    })
}

/// Queues the notification when the customer has WhatsApp; key `estado:{order}:{status}`.
pub fn status_changed(conn: &Connection, order: &Order, now: i64) -> Result<(), AppError> {
    let Some(body) = text(order) else {
        return Ok(());
    };
    let destination: Option<String> = conn
        .prepare_cached("SELECT COALESCE(pii_open(wa_id), pii_open(bsuid)) FROM wa_contactos WHERE cliente_id = ?1")?
        .query_row([order.customer_id], |r| r.get(0))
        .optional()?
        .flatten();
    let Some(destination) = destination else {
        return Ok(());
    };
    let message = crate::whatsapp::OutboundMessage::text(
        crate::whatsapp::queue::recipient(&destination),
        &body,
    );
    crate::whatsapp::queue::enqueue(
        conn,
        order.customer_id,
        &destination,
        &message,
        &body,
        &format!("estado:{}:{}", order.id, order.status.as_str()),
        now,
    )?;
    Ok(())
}
