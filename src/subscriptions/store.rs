//! SQL for plans, subscriptions and their periods. Runs inside the caller's transaction.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Period, Plan, PlanItem, Subscription};
use crate::error::{AppError, msg};
use crate::tenants::Slug;
use crate::tenants::ids::{CustomerId, ProductId};

/// A plan's lines as stored: (local product id, quantity).
pub type Lines = Vec<(i64, i64)>;

fn invalid(field: &str, es: &str, en: &str) -> AppError {
    AppError::validation(field, "invalid", msg(es, en))
}

pub fn insert_plan(
    c: &Connection,
    name: &str,
    lines: &Lines,
    price: i64,
    period: Period,
    now: i64,
) -> Result<i64, AppError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(invalid(
            "nombre",
            "Nombre de 1 a 200 caracteres.",
            "Name of 1 to 200 characters.",
        ));
    }
    if lines.is_empty() || lines.len() > 50 || lines.iter().any(|(_, q)| !(1..=1000).contains(q)) {
        return Err(invalid(
            "items",
            "De 1 a 50 productos, cantidades de 1 a 1000.",
            "1 to 50 products, quantities 1 to 1000.",
        ));
    }
    for (product, _) in lines {
        if crate::products::store::get(c, *product)?.is_none_or(|p| !p.active) {
            return Err(invalid(
                "items",
                "Producto inexistente o inactivo.",
                "Unknown or inactive product.",
            ));
        }
    }
    if price < 0 {
        return Err(invalid("precio", "Precio inválido.", "Invalid price."));
    }
    let (kind, weeks) = match period {
        Period::Monthly => ("mensual", 1),
        Period::Weeks(w) => ("semanas", i64::from(w)),
    };
    let items: Vec<serde_json::Value> = lines
        .iter()
        .map(|(p, q)| serde_json::json!({"producto_id": p, "cantidad": q}))
        .collect();
    c.execute(
        "INSERT INTO suscripcion_planes (nombre, items, precio, periodo, cada_semanas, creado_en) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name.trim(), serde_json::Value::Array(items).to_string(), price, kind, weeks, now],
    )?;
    Ok(c.last_insert_rowid())
}

/// A stored plan: (period, price, lines).
pub fn plan_terms(
    c: &Connection,
    id: i64,
) -> Result<Option<(Period, i64, Lines, String)>, AppError> {
    let row: Option<(String, i64, String, i64, String)> = c
        .query_row(
            "SELECT periodo, cada_semanas, items, precio, nombre FROM suscripcion_planes WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    Ok(row.and_then(|(kind, weeks, items, price, name)| {
        Some((
            Period::parse(&kind, weeks)?,
            price,
            parse_lines(&items),
            name,
        ))
    }))
}

fn parse_lines(items: &str) -> Lines {
    serde_json::from_str::<Vec<serde_json::Value>>(items)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| Some((v["producto_id"].as_i64()?, v["cantidad"].as_i64()?)))
        .collect()
}

pub fn list_plans(c: &Connection, slug: &Slug) -> Result<Vec<Plan>, AppError> {
    let mut stmt = c.prepare(
        "SELECT id, nombre, items, precio, periodo, cada_semanas, activo FROM suscripcion_planes ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        let items: String = r.get(2)?;
        Ok(Plan {
            id: r.get(0)?,
            nombre: r.get(1)?,
            items: parse_lines(&items)
                .into_iter()
                .map(|(p, q)| PlanItem {
                    producto_id: serde_json::Value::String(ProductId::new(slug, p).to_string()),
                    cantidad: q,
                })
                .collect(),
            precio: r.get(3)?,
            periodo: r.get(4)?,
            cada_semanas: r.get(5)?,
            activo: r.get::<_, i64>(6)? != 0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn subscribe(
    c: &Connection,
    plan: i64,
    customer: i64,
    start: i64,
    now: i64,
) -> Result<i64, AppError> {
    crate::customers::store::get(c, customer)?.ok_or(AppError::NotFound("cliente"))?;
    let active: Option<i64> = c
        .query_row(
            "SELECT activo FROM suscripcion_planes WHERE id = ?1",
            [plan],
            |r| r.get(0),
        )
        .optional()?;
    if active != Some(1) {
        return Err(AppError::NotFound("plan"));
    }
    c.execute(
        "INSERT INTO suscripciones (plan_id, cliente_id, estado, inicio, creado_en, actualizado_en) VALUES (?1, ?2, 'activa', ?3, ?4, ?4)",
        params![plan, customer, start, now],
    )?;
    Ok(c.last_insert_rowid())
}

/// (plan, customer, status, start, next period) of a subscription.
pub struct Row {
    pub id: i64,
    pub plan: i64,
    pub customer: i64,
    pub status: String,
    pub start: i64,
    pub next: i64,
}

pub fn row(c: &Connection, id: i64) -> Result<Option<Row>, AppError> {
    Ok(c.query_row(
        "SELECT id, plan_id, cliente_id, estado, inicio, proximo_periodo FROM suscripciones WHERE id = ?1",
        [id],
        |r| Ok(Row { id: r.get(0)?, plan: r.get(1)?, customer: r.get(2)?, status: r.get(3)?, start: r.get(4)?, next: r.get(5)? }),
    )
    .optional()?)
}

pub fn active_rows(c: &Connection) -> Result<Vec<Row>, AppError> {
    let mut stmt = c.prepare(
        "SELECT id, plan_id, cliente_id, estado, inicio, proximo_periodo FROM suscripciones WHERE estado = 'activa' ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Row {
            id: r.get(0)?,
            plan: r.get(1)?,
            customer: r.get(2)?,
            status: r.get(3)?,
            start: r.get(4)?,
            next: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Marks period `n` skipped unless its order already exists. Returns whether it was skipped.
pub fn skip(c: &Connection, id: i64, n: i64, date: i64) -> Result<bool, AppError> {
    c.execute(
        "INSERT INTO suscripcion_periodos (suscripcion_id, periodo, fecha, saltado) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (suscripcion_id, periodo) DO UPDATE SET saltado = 1 WHERE pedido_id IS NULL",
        params![id, n, date],
    )?;
    let skipped: i64 = c.query_row(
        "SELECT saltado FROM suscripcion_periodos WHERE suscripcion_id = ?1 AND periodo = ?2",
        params![id, n],
        |r| r.get(0),
    )?;
    Ok(skipped == 1)
}

pub fn set_status(
    c: &Connection,
    id: i64,
    status: &str,
    next: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    c.execute(
        "UPDATE suscripciones SET estado = ?2, proximo_periodo = COALESCE(?3, proximo_periodo), actualizado_en = ?4,
            cancelada_en = CASE WHEN ?2 = 'cancelada' THEN ?4 ELSE cancelada_en END
         WHERE id = ?1",
        params![id, status, next, now],
    )?;
    Ok(())
}

pub fn set_plan(c: &Connection, id: i64, plan: i64, now: i64) -> Result<(), AppError> {
    c.execute(
        "UPDATE suscripciones SET plan_id = ?2, actualizado_en = ?3 WHERE id = ?1",
        params![id, plan, now],
    )?;
    Ok(())
}

pub fn list(
    c: &Connection,
    slug: &Slug,
    tz: chrono_tz::Tz,
    customer: Option<i64>,
) -> Result<Vec<Subscription>, AppError> {
    let mut stmt = c.prepare(
        "SELECT s.id, s.plan_id, p.nombre, s.cliente_id, cl.nombre, s.estado, p.precio, s.inicio, s.proximo_periodo,
                p.periodo, p.cada_semanas,
                (SELECT COUNT(*) FROM suscripcion_periodos x WHERE x.suscripcion_id = s.id AND x.pedido_id IS NOT NULL)
         FROM suscripciones s JOIN suscripcion_planes p ON p.id = s.plan_id JOIN clientes cl ON cl.id = s.cliente_id
         WHERE ?1 IS NULL OR s.cliente_id = ?1
         ORDER BY s.id DESC LIMIT 500",
    )?;
    let rows = stmt.query_map([customer], |r| {
        let (start, next, kind, weeks): (i64, i64, String, i64) =
            (r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?);
        let status: String = r.get(5)?;
        let date = (status == "activa")
            .then(|| Period::parse(&kind, weeks).and_then(|p| p.date(start, next, tz)))
            .flatten();
        Ok(Subscription {
            id: r.get(0)?,
            plan_id: r.get(1)?,
            plan: r.get(2)?,
            cliente_id: CustomerId::new(slug, r.get(3)?).to_string(),
            cliente: r.get(4)?,
            estado: status,
            precio: r.get(6)?,
            proximo_pedido: date.map(|d| crate::time::format_in(d, tz)),
            proximo_periodo: next,
            pedidos: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn is_skipped(c: &Connection, id: i64, n: i64) -> Result<bool, AppError> {
    Ok(c.query_row(
        "SELECT saltado FROM suscripcion_periodos WHERE suscripcion_id = ?1 AND periodo = ?2",
        params![id, n],
        |r| r.get::<_, i64>(0),
    )
    .optional()?
        == Some(1))
}
