//! Interactions (interacciones): every message in or out, call note, survey answer, status
//! notification and staff note, per customer, searchable. An external id (a WhatsApp
//! message id) is unique per brand, so a replayed message is stored once.

pub mod api;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, FieldError, msg};
use crate::tenants::Brand;
use crate::tenants::ids::{CustomerId, InteractionId, OrderId};

pub const CHANNELS: &[&str] = &[
    "whatsapp",
    "web",
    "telefono",
    "presencial",
    "email",
    "telegram",
    "sistema",
];
pub const DIRECTIONS: &[&str] = &["entrante", "saliente", "interna"];
pub const KINDS: &[&str] = &["mensaje", "llamada", "nota", "encuesta", "estado_pedido"];
pub const MAX_BODY_CHARS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub channel: String,
    pub direction: String,
    pub kind: String,
    pub body: String,
    pub external_id: Option<String>,
    pub order_id: Option<i64>,
    pub metadata: serde_json::Value,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionInput {
    #[schema(value_type = String, example = "cli_gollos_42")]
    pub cliente_id: CustomerId,
    pub canal: String,
    /// entrante, saliente, interna.
    pub direccion: String,
    /// mensaje, llamada, nota, encuesta, estado_pedido.
    pub tipo: String,
    #[serde(default)]
    pub cuerpo: String,
    pub external_id: Option<String>,
    #[schema(value_type = Option<String>)]
    pub pedido_id: Option<OrderId>,
    /// When it happened (RFC 3339); defaults to now.
    pub fecha: Option<String>,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub metadatos: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

/// A validated interaction ready to store.
#[derive(Debug, Clone)]
pub struct NewInteraction {
    pub customer_id: i64,
    pub channel: String,
    pub direction: String,
    pub kind: String,
    pub body: String,
    pub external_id: Option<String>,
    pub order_id: Option<i64>,
    pub metadata: serde_json::Value,
    pub at: i64,
}

impl InteractionInput {
    pub fn validate(self, brand: &Brand, now: i64) -> Result<NewInteraction, AppError> {
        let mut errors = Vec::new();
        let mut one_of = |field: &str, value: &str, allowed: &[&str]| {
            if !allowed.contains(&value) {
                errors.push(FieldError::new(
                    field,
                    "invalid_value",
                    msg(
                        format!("Valor desconocido; usa uno de: {}.", allowed.join(", ")),
                        format!("Unknown value; use one of: {}.", allowed.join(", ")),
                    ),
                ));
            }
        };
        one_of("canal", &self.canal, CHANNELS);
        one_of("direccion", &self.direccion, DIRECTIONS);
        one_of("tipo", &self.tipo, KINDS);
        if self.cuerpo.chars().count() > MAX_BODY_CHARS {
            errors.push(FieldError::new(
                "cuerpo",
                "too_long",
                msg(
                    format!("Texto de hasta {MAX_BODY_CHARS} caracteres."),
                    format!("Text up to {MAX_BODY_CHARS} characters."),
                ),
            ));
        }
        if self
            .external_id
            .as_ref()
            .is_some_and(|e| e.is_empty() || e.len() > 200)
        {
            errors.push(FieldError::new(
                "external_id",
                "invalid",
                msg(
                    "external_id de 1 a 200 caracteres.",
                    "external_id of 1 to 200 characters.",
                ),
            ));
        }
        if self
            .pedido_id
            .as_ref()
            .is_some_and(|p| p.slug != self.cliente_id.slug)
        {
            errors.push(FieldError::new(
                "pedido_id",
                "other_brand",
                msg(
                    "El pedido es de otra marca.",
                    "The order belongs to another brand.",
                ),
            ));
        }
        if !self.metadatos.is_object() || self.metadatos.to_string().len() > 16 * 1024 {
            errors.push(FieldError::new(
                "metadatos",
                "invalid",
                msg(
                    "metadatos: objeto JSON (máx. 16 KiB).",
                    "metadatos: a JSON object (max 16 KiB).",
                ),
            ));
        }
        let at = match self.fecha.as_deref() {
            None => now,
            Some(s) => crate::time::parse_instant(s, brand.tz()).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "fecha",
                    "invalid_date",
                    msg("Fecha inválida.", "Invalid date."),
                ));
                now
            }),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(NewInteraction {
            customer_id: self.cliente_id.local,
            channel: self.canal,
            direction: self.direccion,
            kind: self.tipo,
            body: self.cuerpo,
            external_id: self.external_id,
            order_id: self.pedido_id.map(|p| p.local),
            metadata: self.metadatos,
            at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionView {
    #[schema(value_type = String, example = "int_gollos_7")]
    pub id: InteractionId,
    #[schema(value_type = String)]
    pub cliente_id: CustomerId,
    pub canal: String,
    pub direccion: String,
    pub tipo: String,
    pub cuerpo: String,
    pub external_id: Option<String>,
    #[schema(value_type = Option<String>)]
    pub pedido_id: Option<OrderId>,
    #[schema(value_type = Object)]
    pub metadatos: serde_json::Value,
    pub fecha: String,
}

impl InteractionView {
    pub fn new(i: Interaction, brand: &Brand) -> InteractionView {
        let slug = &brand.slug;
        InteractionView {
            id: InteractionId::new(slug, i.id),
            cliente_id: CustomerId::new(slug, i.customer_id),
            canal: i.channel,
            direccion: i.direction,
            tipo: i.kind,
            cuerpo: i.body,
            external_id: i.external_id,
            pedido_id: i.order_id.map(|o| OrderId::new(slug, o)),
            metadatos: i.metadata,
            fecha: brand.format_time(i.created_at),
        }
    }
}
