//! Support tickets on a customer.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, msg};

pub const STATUSES: &[&str] = &["abierto", "en_proceso", "resuelto", "cerrado"];
pub const PRIORITIES: &[&str] = &["baja", "media", "alta"];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ticket {
    pub id: i64,
    pub cliente_id: i64,
    pub pedido_id: Option<i64>,
    pub garantia_id: Option<i64>,
    pub asunto: String,
    pub detalle: String,
    pub estado: String,
    pub prioridad: String,
    pub origen: String,
    pub creado_en: i64,
    pub actualizado_en: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    pub asunto: String,
    #[serde(default)]
    pub detalle: String,
    /// baja, media (default), alta.
    pub prioridad: Option<String>,
    /// Order id, e.g. `ped_goio-store_12`.
    pub pedido_id: Option<String>,
    /// Warranty number (from `/api/clientes/{id}/garantias`).
    pub garantia_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    /// abierto, en_proceso, resuelto, cerrado.
    pub estado: Option<String>,
    pub prioridad: Option<String>,
}

fn check(value: &str, allowed: &[&str], field: &str) -> Result<(), AppError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(AppError::validation(
        field,
        "enum",
        msg(
            format!("Valor no válido; use: {}.", allowed.join(", ")),
            format!("Invalid value; use: {}.", allowed.join(", ")),
        ),
    ))
}

/// The ticket columns of `alias` (`""` or `"t."`); subject and detail are sealed (tenant V24).
fn columns(alias: &str) -> String {
    format!(
        "{alias}id, {alias}cliente_id, {alias}pedido_id, {alias}garantia_id, pii_open({alias}asunto), \
         pii_open({alias}detalle), {alias}estado, {alias}prioridad, {alias}origen, {alias}creado_en, \
         {alias}actualizado_en"
    )
}

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: r.get(0)?,
        cliente_id: r.get(1)?,
        pedido_id: r.get(2)?,
        garantia_id: r.get(3)?,
        asunto: r.get(4)?,
        detalle: r.get(5)?,
        estado: r.get(6)?,
        prioridad: r.get(7)?,
        origen: r.get(8)?,
        creado_en: r.get(9)?,
        actualizado_en: r.get(10)?,
    })
}

pub fn get(c: &Connection, customer: i64, id: i64) -> Result<Option<Ticket>, AppError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {} FROM tickets_soporte WHERE id = ?1 AND cliente_id = ?2",
        columns("")
    ))?
    .query_row(params![id, customer], from_row)
    .optional()?)
}

pub fn for_customer(c: &Connection, customer: i64) -> Result<Vec<Ticket>, AppError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {} FROM tickets_soporte WHERE cliente_id = ?1 ORDER BY id DESC LIMIT 200",
        columns("")
    ))?;
    Ok(stmt
        .query_map([customer], from_row)?
        .collect::<Result<_, _>>()?)
}

/// Opens a ticket; the linked order and warranty must belong to the customer.
pub fn create(
    c: &Connection,
    customer: i64,
    input: &TicketInput,
    order: Option<i64>,
    origin: &str,
    now: i64,
) -> Result<Ticket, AppError> {
    let subject = input.asunto.trim();
    if subject.is_empty() || subject.chars().count() > 200 {
        return Err(AppError::validation(
            "asunto",
            "length",
            msg(
                "El asunto debe tener de 1 a 200 caracteres.",
                "Subject must be 1 to 200 characters.",
            ),
        ));
    }
    let priority = input.prioridad.as_deref().unwrap_or("media");
    check(priority, PRIORITIES, "prioridad")?;
    let owns = |sql: &str, id: i64| -> Result<bool, AppError> {
        Ok(c.query_row(sql, params![id, customer], |_| Ok(()))
            .optional()?
            .is_some())
    };
    if let Some(o) = order
        && !owns("SELECT 1 FROM pedidos WHERE id = ?1 AND cliente_id = ?2", o)?
    {
        return Err(AppError::NotFound("pedido"));
    }
    if let Some(w) = input.garantia_id
        && !owns(
            "SELECT 1 FROM garantias WHERE id = ?1 AND cliente_id = ?2",
            w,
        )?
    {
        return Err(AppError::NotFound("garantía"));
    }
    c.prepare_cached(
        "INSERT INTO tickets_soporte (cliente_id, pedido_id, garantia_id, asunto, detalle, prioridad, origen, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, pii_seal(?4), pii_seal(?5), ?6, ?7, ?8, ?8)",
    )?
    .execute(params![customer, order, input.garantia_id, subject, input.detalle.trim(), priority, origin, now])?;
    get(c, customer, c.last_insert_rowid())?.ok_or(AppError::NotFound("ticket"))
}

pub fn update(
    c: &Connection,
    customer: i64,
    id: i64,
    patch: &TicketPatch,
    now: i64,
) -> Result<Ticket, AppError> {
    let current = get(c, customer, id)?.ok_or(AppError::NotFound("ticket"))?;
    let status = patch.estado.clone().unwrap_or(current.estado);
    let priority = patch.prioridad.clone().unwrap_or(current.prioridad);
    check(&status, STATUSES, "estado")?;
    check(&priority, PRIORITIES, "prioridad")?;
    c.prepare_cached(
        "UPDATE tickets_soporte SET estado = ?2, prioridad = ?3, actualizado_en = ?4 WHERE id = ?1",
    )?
    .execute(params![id, status, priority, now])?;
    get(c, customer, id)?.ok_or(AppError::NotFound("ticket"))
}

/// A ticket in the staff list, with its customer's name.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub cliente: String,
}

/// Every ticket matching the filters (`None`: any), open and urgent first.
pub fn list(
    c: &Connection,
    status: Option<&str>,
    priority: Option<&str>,
) -> Result<Vec<Listed>, AppError> {
    if let Some(s) = status {
        check(s, STATUSES, "estado")?;
    }
    if let Some(p) = priority {
        check(p, PRIORITIES, "prioridad")?;
    }
    let cols = columns("t.");
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {cols}, cl.nombre FROM tickets_soporte t JOIN clientes cl ON cl.id = t.cliente_id
         WHERE (?1 IS NULL OR t.estado = ?1) AND (?2 IS NULL OR t.prioridad = ?2)
         ORDER BY t.estado IN ('resuelto', 'cerrado'),
                  CASE t.prioridad WHEN 'alta' THEN 0 WHEN 'media' THEN 1 ELSE 2 END, t.id DESC
         LIMIT 500"
    ))?;
    Ok(stmt
        .query_map(params![status, priority], |r| {
            Ok(Listed {
                ticket: from_row(r)?,
                cliente: r.get(11)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// The customer a ticket belongs to, if it exists.
pub fn owner(c: &Connection, id: i64) -> Result<Option<i64>, AppError> {
    Ok(
        c.prepare_cached("SELECT cliente_id FROM tickets_soporte WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?,
    )
}

/// A customer's tickets still being worked on (for the inbox thread).
pub fn open_for_customer(c: &Connection, customer: i64) -> Result<Vec<Ticket>, AppError> {
    Ok(for_customer(c, customer)?
        .into_iter()
        .filter(|t| matches!(t.estado.as_str(), "abierto" | "en_proceso"))
        .collect())
}
