//! Restock alerts ("avísame cuando llegue"): a customer waits for a product that is out of
//! stock; when its stock goes from 0 to positive a trigger (tenant V14) marks the request
//! `listo` in the same transaction as the stock change, and the `avisos_reposicion` job queues
//! exactly one WhatsApp message per request through the outbox (key `restock:{id}`), free text
//! inside the 24-hour window and the brand's template outside it.

pub mod api;
pub mod bot;
pub mod cross_sell;
pub mod ledger;
pub mod pages;
pub mod stock;
pub mod suggestions;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use utoipa::ToSchema;

use crate::conversations::window_open;
use crate::error::{AppError, msg};
use crate::whatsapp::bot::knowledge::template as configured_template;
use crate::whatsapp::outbound::{OutboundMessage, Template};
use crate::whatsapp::queue;

/// One restock request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Request {
    pub id: i64,
    pub cliente_id: i64,
    pub producto_id: i64,
    pub estado: String,
    pub origen: String,
    pub creado_en: i64,
    pub enviado_en: Option<i64>,
}

/// Registers that `customer` waits for `product`; an open request is reused.
/// Returns the request and whether it is new.
pub fn request(
    c: &Connection,
    customer: i64,
    product: i64,
    origin: &str,
    now: i64,
) -> Result<(Request, bool), AppError> {
    let exists: Option<i64> = c
        .query_row("SELECT id FROM clientes WHERE id = ?1", [customer], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Err(AppError::NotFound("cliente"));
    }
    let stock: Option<Option<i64>> = c
        .query_row(
            "SELECT stock FROM productos WHERE id = ?1",
            [product],
            |r| r.get(0),
        )
        .optional()?;
    let Some(stock) = stock else {
        return Err(AppError::NotFound("producto"));
    };
    if stock != Some(0) {
        return Err(AppError::conflict(msg(
            "El producto no está agotado: solo se avisa cuando un producto sin stock vuelve a tenerlo.",
            "The product is not out of stock: alerts are only for products with zero stock.",
        )));
    }
    let fresh = c
        .prepare_cached(
            "INSERT INTO avisos_reposicion (cliente_id, producto_id, origen, creado_en)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?
        .execute(params![customer, product, origin, now])?
        > 0;
    let id: i64 = c.query_row(
        "SELECT id FROM avisos_reposicion WHERE cliente_id = ?1 AND producto_id = ?2
         AND estado IN ('esperando', 'listo')",
        params![customer, product],
        |r| r.get(0),
    )?;
    Ok((get(c, id)?.ok_or(AppError::NotFound("aviso"))?, fresh))
}

const COLUMNS: &str = "id, cliente_id, producto_id, estado, origen, creado_en, enviado_en";

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<Request> {
    Ok(Request {
        id: r.get(0)?,
        cliente_id: r.get(1)?,
        producto_id: r.get(2)?,
        estado: r.get(3)?,
        origen: r.get(4)?,
        creado_en: r.get(5)?,
        enviado_en: r.get(6)?,
    })
}

pub fn get(c: &Connection, id: i64) -> Result<Option<Request>, AppError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM avisos_reposicion WHERE id = ?1"
    ))?
    .query_row([id], from_row)
    .optional()?)
}

/// Every request for `product`, newest first.
pub fn for_product(c: &Connection, product: i64) -> Result<Vec<Request>, AppError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM avisos_reposicion WHERE producto_id = ?1 ORDER BY id DESC LIMIT 500"
    ))?;
    Ok(stmt
        .query_map([product], from_row)?
        .collect::<Result<_, _>>()?)
}

/// Open (waiting) request counts per product, for the products screen.
pub fn waiting_counts(c: &Connection) -> Result<Vec<(i64, i64)>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT producto_id, COUNT(*) FROM avisos_reposicion WHERE estado = 'esperando' GROUP BY producto_id",
    )?;
    Ok(stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// What one dispatch run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    pub sent: usize,
    /// Outside the window with no template configured, or no WhatsApp identity: left `listo`.
    pub held: usize,
}

/// For the scheduler (`JobSpec::pending`): the job has work exactly when a request is
/// `listo`; with none, a closed brand is not opened for it.
pub const PENDING: &str =
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM avisos_reposicion WHERE estado = 'listo') THEN 0 END";

/// Queues one message for every `listo` request, in the caller's transaction.
pub fn dispatch(c: &Connection, now: i64) -> Result<Dispatched, AppError> {
    let ready: Vec<(i64, i64, String)> = c
        .prepare_cached(
            "SELECT a.id, a.cliente_id, p.nombre FROM avisos_reposicion a
             JOIN productos p ON p.id = a.producto_id
             WHERE a.estado = 'listo' ORDER BY a.id LIMIT 500",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Dispatched::default();
    for (id, customer, product) in ready {
        let text = format!(
            "¡Buenas noticias! Ya llegó {product}. Responde con tu pedido y te lo separamos."
        );
        let summary = format!("Aviso de reposición: {product}");
        let Some(outbox) = notify(c, customer, &text, &summary, &format!("restock:{id}"), now)?
        else {
            out.held += 1;
            continue;
        };
        c.prepare_cached(
            "UPDATE avisos_reposicion SET estado = 'enviado', enviado_en = ?2, outbox_id = ?3 WHERE id = ?1",
        )?
        .execute(params![id, now, outbox])?;
        out.sent += 1;
    }
    Ok(out)
}

/// Queues a proactive WhatsApp message to `customer`: `text` inside the 24-hour window, the
/// brand's template outside it (`summary` is what the thread shows then). `None` when it cannot
/// be sent (no WhatsApp identity, or window closed and no template configured).
pub fn notify(
    c: &Connection,
    customer: i64,
    text: &str,
    summary: &str,
    key: &str,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let contact: Option<(Option<String>, Option<i64>)> = c
        .query_row(
            "SELECT COALESCE(pii_open(wa_id), pii_open(bsuid)), ultimo_entrante_en FROM wa_contactos WHERE cliente_id = ?1",
            [customer],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((Some(dest), last_in)) = contact else {
        return Ok(None);
    };
    let to = queue::recipient(&dest);
    let (message, summary) = if window_open(last_in, now) {
        (OutboundMessage::text(to, text), text.to_owned())
    } else if let Some((name, lang)) = configured_template(c)? {
        (
            OutboundMessage::template(to, Template::new(name.clone(), lang)),
            format!("[plantilla {name}] {summary}"),
        )
    } else {
        return Ok(None);
    };
    queue::enqueue(c, customer, &dest, &message, &summary, key, now).map(Some)
}

/// The scheduler job: dispatch every brand's ready alerts.
pub fn job(ctx: crate::scheduler::JobCtx) -> crate::scheduler::JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        let now = crate::time::now_ms();
        let d = tenant
            .db()
            .write_as("system:job:avisos_reposicion", move |c| dispatch(c, now))
            .await?;
        Ok(format!(
            "{} avisos enviados, {} en espera / {} alerts sent, {} held",
            d.sent, d.held, d.sent, d.held
        ))
    })
}

#[cfg(test)]
mod tests;
