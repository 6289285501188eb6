//! Warranties and support tickets (Goio). A warranty record is written per delivered order
//! line of a product with `garantia_meses` in its attributes (trigger in tenant V14); the
//! `garantias_por_vencer` job reminds the customer once, `DAYS_BEFORE` days before expiry.
//! Support tickets hang off a customer, optionally linked to an order and a warranty.

pub mod api;
pub mod pages;
pub mod tickets;

use rusqlite::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// How long before expiry the reminder goes out.
pub const DAYS_BEFORE: i64 = 30;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Warranty {
    pub id: i64,
    pub cliente_id: i64,
    pub pedido_id: i64,
    pub producto_id: Option<i64>,
    pub nombre: String,
    pub meses: i64,
    pub inicio_en: i64,
    pub vence_en: i64,
    pub recordado_en: Option<i64>,
}

/// A customer's warranties, soonest expiry first.
pub fn for_customer(c: &Connection, customer: i64) -> Result<Vec<Warranty>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, cliente_id, pedido_id, producto_id, nombre, meses, inicio_en, vence_en, recordado_en
         FROM garantias WHERE cliente_id = ?1 ORDER BY vence_en, id LIMIT 500",
    )?;
    Ok(stmt
        .query_map([customer], |r| {
            Ok(Warranty {
                id: r.get(0)?,
                cliente_id: r.get(1)?,
                pedido_id: r.get(2)?,
                producto_id: r.get(3)?,
                nombre: r.get(4)?,
                meses: r.get(5)?,
                inicio_en: r.get(6)?,
                vence_en: r.get(7)?,
                recordado_en: r.get(8)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Queues one reminder for every warranty expiring within `DAYS_BEFORE` days of `as_of` (and
/// not yet expired) that was not reminded; `now` is the real clock (queue time and the 24-hour
/// window). Returns (sent, held).
pub fn remind(
    c: &Connection,
    brand: &crate::tenants::Brand,
    as_of: i64,
    now: i64,
) -> Result<(usize, usize), AppError> {
    let due: Vec<(i64, i64, String, i64)> = c
        .prepare_cached(
            "SELECT id, cliente_id, nombre, vence_en FROM garantias
             WHERE recordado_en IS NULL AND vence_en > ?1 AND vence_en <= ?2 ORDER BY vence_en LIMIT 500",
        )?
        .query_map(params![as_of, as_of + DAYS_BEFORE * DAY_MS], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let (mut sent, mut held) = (0, 0);
    for (id, customer, name, expires) in due {
        let date = brand.format_time(expires);
        let date = date.get(..10).unwrap_or(&date);
        let text = format!(
            "La garantía de tu {name} vence el {date}. Si notas alguna falla, escríbenos antes de esa fecha y lo revisamos."
        );
        let summary = format!("Recordatorio de garantía: {name} (vence {date})");
        match crate::restock::notify(c, customer, &text, &summary, &format!("warranty:{id}"), now)?
        {
            Some(_) => {
                c.prepare_cached("UPDATE garantias SET recordado_en = ?2 WHERE id = ?1")?
                    .execute(params![id, now])?;
                sent += 1;
            }
            None => held += 1,
        }
    }
    Ok((sent, held))
}

/// The scheduler job.
pub fn job(ctx: crate::scheduler::JobCtx) -> crate::scheduler::JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        let now = crate::time::now_ms();
        let as_of = ctx.scheduled_for.unwrap_or(now);
        let brand = tenant.brand();
        let (sent, held) = tenant
            .db()
            .write_as("system:job:garantias_por_vencer", move |c| {
                remind(c, &brand, as_of, now)
            })
            .await?;
        Ok(format!(
            "{sent} recordatorios de garantía, {held} sin enviar / {sent} warranty reminders, {held} held"
        ))
    })
}
