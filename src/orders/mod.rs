//! Orders (pedidos): items priced at order time, totals in minor units, and the status
//! machine `recibido → confirmado → en_preparacion → listo → en_camino → entregado`
//! (or `cancelado` before delivery) with a history of every change.

pub mod api;
mod counter;
pub mod history;
pub mod history_cli;
pub mod history_pages;
pub mod notify;
pub mod pages;
mod status;
pub mod store;

pub use status::Status;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::customers::CustomerInput;
use crate::tenants::ids::{CustomerId, OrderId, ProductId};
use crate::tenants::{Brand, Slug};

pub const CHANNELS: &[&str] = &["whatsapp", "web", "telefono", "presencial"];

/// Most units of one line; a guard against typos like 1000000 pollos.
pub const MAX_QUANTITY: i64 = 1000;
pub const MAX_ITEMS: usize = 100;

#[derive(Debug, Clone)]
pub struct Order {
    pub id: i64,
    pub customer_id: i64,
    pub channel: String,
    pub status: Status,
    pub subtotal: i64,
    pub discount: i64,
    pub total: i64,
    pub notes: Option<String>,
    pub external_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub items: Vec<OrderItem>,
    pub history: Vec<StatusChange>,
}

#[derive(Debug, Clone)]
pub struct OrderItem {
    pub id: i64,
    pub product_id: Option<i64>,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub total: i64,
    /// Units this line took from stock (0 when stock was not tracked or not yet taken).
    pub stock_taken: i64,
}

#[derive(Debug, Clone)]
pub struct StatusChange {
    pub status: Status,
    pub previous: Option<Status>,
    pub actor: String,
    pub note: Option<String>,
    pub at: i64,
}

/// A new order. The customer is given by id, or inline (found by phone/e-mail or created).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// Brand slug; optional when `cliente_id` is given (the id carries the brand).
    pub marca: Option<String>,
    #[schema(value_type = Option<String>, example = "cli_gollos_42")]
    pub cliente_id: Option<CustomerId>,
    pub cliente: Option<CustomerInput>,
    /// whatsapp, web, telefono, presencial.
    pub canal: String,
    pub items: Vec<ItemInput>,
    pub notas: Option<String>,
    /// The sender's own id for this order; a repeated id returns the existing order.
    pub external_id: Option<String>,
    /// Confirm at once (counter orders): stock is taken in the same transaction.
    #[serde(default)]
    pub confirmar: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    #[schema(value_type = Option<String>, example = "pro_gollos_3")]
    pub producto_id: Option<ProductId>,
    pub sku: Option<String>,
    pub cantidad: i64,
}

impl OrderInput {
    /// The brand this order is for, from `marca` or the customer id; both must agree.
    pub fn brand_slug(&self) -> Result<Slug, crate::error::AppError> {
        use crate::error::{AppError, msg};
        let from_field = self
            .marca
            .as_deref()
            .map(Slug::parse)
            .transpose()
            .map_err(|_| AppError::NotFound("marca"))?;
        let from_customer = self.cliente_id.as_ref().map(|c| c.slug.clone());
        match (from_field, from_customer) {
            (Some(a), Some(b)) if a != b => Err(AppError::NotFound("cliente")),
            (Some(a), _) | (None, Some(a)) => Ok(a),
            (None, None) => Err(AppError::validation(
                "marca",
                "required",
                msg(
                    "Indica `marca` o `cliente_id`.",
                    "Give `marca` or `cliente_id`.",
                ),
            )),
        }
    }
}

/// A status change request (`PUT /api/pedidos/{id}`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// The new status.
    pub estado: String,
    pub nota: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    #[schema(value_type = String, example = "ped_gollos_1001")]
    pub id: OrderId,
    pub marca: String,
    #[schema(value_type = String)]
    pub cliente_id: CustomerId,
    pub canal: String,
    pub estado: String,
    pub items: Vec<ItemView>,
    pub subtotal: i64,
    pub descuento: i64,
    pub total: i64,
    pub moneda: String,
    pub notas: Option<String>,
    pub external_id: Option<String>,
    pub historial: Vec<StatusView>,
    pub creado_en: String,
    pub actualizado_en: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    #[schema(value_type = Option<String>)]
    pub producto_id: Option<ProductId>,
    pub sku: String,
    pub nombre: String,
    pub cantidad: i64,
    pub precio_unitario: i64,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    pub estado: String,
    pub anterior: Option<String>,
    pub actor: String,
    pub nota: Option<String>,
    pub en: String,
}

impl OrderView {
    pub fn new(o: Order, brand: &Brand) -> OrderView {
        let slug = &brand.slug;
        OrderView {
            id: OrderId::new(slug, o.id),
            marca: slug.to_string(),
            cliente_id: CustomerId::new(slug, o.customer_id),
            canal: o.channel,
            estado: o.status.as_str().to_string(),
            items: o
                .items
                .into_iter()
                .map(|i| ItemView {
                    producto_id: i.product_id.map(|p| ProductId::new(slug, p)),
                    sku: i.sku,
                    nombre: i.name,
                    cantidad: i.quantity,
                    precio_unitario: i.unit_price,
                    total: i.total,
                })
                .collect(),
            subtotal: o.subtotal,
            descuento: o.discount,
            total: o.total,
            moneda: brand.moneda.clone(),
            notas: o.notes,
            external_id: o.external_id,
            historial: o
                .history
                .into_iter()
                .map(|h| StatusView {
                    estado: h.status.as_str().to_string(),
                    anterior: h.previous.map(|p| p.as_str().to_string()),
                    actor: h.actor,
                    nota: h.note,
                    en: brand.format_time(h.at),
                })
                .collect(),
            creado_en: brand.format_time(o.created_at),
            actualizado_en: brand.format_time(o.updated_at),
        }
    }
}

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;
