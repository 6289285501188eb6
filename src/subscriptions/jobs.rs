//! The subscriptions job: for each active subscription, create the orders whose date has
//! come and send the notice of the next one. Safe to run twice: the period row is the key.

use rusqlite::{Connection, OptionalExtension, params};

use super::store;
use crate::error::AppError;
use crate::orders::ItemInput;
use crate::orders::store::NewOrder;
use crate::scheduler::{JobCtx, JobFuture};
use crate::tenants::ids::ProductId;

/// How long before an order the customer is told (and can skip or pause).
pub const NOTICE_MS: i64 = 48 * 3600 * 1000;
/// Periods one run may create for a subscription (a long outage does not flood orders).
const MAX_CATCH_UP: usize = 12;

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub orders: i64,
    pub skipped: i64,
    pub notices: i64,
    pub failed: i64,
}

impl Outcome {
    pub fn describe(&self) -> String {
        format!(
            "{} pedidos, {} saltados, {} avisos, {} fallidos / orders, skipped, notices, failed",
            self.orders, self.skipped, self.notices, self.failed
        )
    }
}

pub fn job(ctx: JobCtx) -> JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        let tz = tenant.brand().tz();
        let slug = tenant.brand().slug.clone();
        let now = crate::time::now_ms();
        let out = tenant
            .db()
            .write_as("system:job:suscripciones", move |c| {
                run_due(c, &slug, tz, now)
            })
            .await?;
        Ok(out.describe())
    })
}

/// Creates the due orders and sends the notices as of `now`.
pub fn run_due(
    c: &Connection,
    slug: &crate::tenants::Slug,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<Outcome, AppError> {
    let mut out = Outcome::default();
    for s in store::active_rows(c)? {
        let Some((period, _, lines, plan_name)) = store::plan_terms(c, s.plan)? else {
            continue;
        };
        let mut n = s.next;
        for _ in 0..MAX_CATCH_UP {
            let Some(date) = period.date(s.start, n, tz) else {
                break;
            };
            if date > now {
                if date - now <= NOTICE_MS
                    && super::whatsapp::notify(c, &s, n, date, &plan_name, tz, now)?
                {
                    out.notices += 1;
                }
                break;
            }
            c.prepare_cached(
                "INSERT INTO suscripcion_periodos (suscripcion_id, periodo, fecha) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            )?
            .execute(params![s.id, n, date])?;
            let (skipped, order): (i64, Option<i64>) = c.query_row(
                "SELECT saltado, pedido_id FROM suscripcion_periodos WHERE suscripcion_id = ?1 AND periodo = ?2",
                params![s.id, n],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if skipped == 1 {
                out.skipped += 1;
            } else if order.is_none() {
                match create_order(c, slug, &s, n, &lines, &plan_name, date) {
                    Ok(id) => {
                        c.execute(
                            "UPDATE suscripcion_periodos SET pedido_id = ?3 WHERE suscripcion_id = ?1 AND periodo = ?2",
                            params![s.id, n, id],
                        )?;
                        out.orders += 1;
                    }
                    Err(e) => {
                        // Out of stock or a product gone: retried on the next run.
                        tracing::warn!(suscripcion = s.id, periodo = n, error = %e, "pedido de suscripción no creado");
                        out.failed += 1;
                        break;
                    }
                }
            }
            n += 1;
        }
        if n != s.next {
            c.execute(
                "UPDATE suscripciones SET proximo_periodo = ?2, actualizado_en = ?3 WHERE id = ?1",
                params![s.id, n, now],
            )?;
        }
    }
    Ok(out)
}

/// Creates period `n`'s order inside a savepoint, so a refused order (stock) leaves nothing.
fn create_order(
    c: &Connection,
    slug: &crate::tenants::Slug,
    s: &store::Row,
    n: i64,
    lines: &store::Lines,
    plan: &str,
    date: i64,
) -> Result<i64, AppError> {
    let key = format!("suscripcion:{}:{}", s.id, n);
    if let Some(id) = c
        .query_row(
            "SELECT id FROM pedidos WHERE external_id = ?1",
            [&key],
            |r| r.get(0),
        )
        .optional()?
    {
        return Ok(id);
    }
    let items: Vec<ItemInput> = lines
        .iter()
        .map(|(p, q)| ItemInput {
            producto_id: Some(ProductId::new(slug, *p)),
            sku: None,
            cantidad: *q,
        })
        .collect();
    let notes = format!("Suscripción #{} · {plan} · entrega {}", s.id, n + 1);
    c.execute_batch("SAVEPOINT suscripcion_pedido")?;
    let made = crate::orders::store::create(
        c,
        &NewOrder {
            customer_id: s.customer,
            channel: "web",
            items: &items,
            notes: Some(&notes),
            external_id: Some(&key),
            actor: "system:suscripciones",
            confirm: true,
        },
        date,
    );
    match made {
        Ok(order) => {
            c.execute_batch("RELEASE suscripcion_pedido")?;
            Ok(order.id)
        }
        Err(e) => {
            c.execute_batch("ROLLBACK TO suscripcion_pedido; RELEASE suscripcion_pedido")?;
            Err(e)
        }
    }
}
