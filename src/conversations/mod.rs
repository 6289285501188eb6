//! The WhatsApp inbox: one conversation per customer with its unread count, the needs-a-human
//! flag (set by the bot's handoff, read live by the UI badge and alerts), assignment and status.

pub mod alerts;
pub mod api;
pub mod pages;
pub mod reply;
pub mod store;

use serde::Serialize;
use utoipa::ToSchema;

use crate::tenants::Brand;
use crate::tenants::ids::CustomerId;

#[derive(Debug, Clone)]
pub struct Conversation {
    pub customer_id: i64,
    pub customer_name: String,
    pub status: String,
    pub needs_human: bool,
    pub human_reason: Option<String>,
    pub assigned_to: Option<String>,
    pub unread: i64,
    pub last_message_at: i64,
    pub last_summary: String,
    pub wa_id: Option<String>,
    pub last_inbound_at: Option<i64>,
}

/// Whether free-form replies are allowed: the 24-hour window since the customer's last message,
/// less a 10-minute margin for clock skew.
pub const WINDOW_MS: i64 = 24 * 3600 * 1000 - 10 * 60 * 1000;

pub fn window_open(last_inbound_at: Option<i64>, now: i64) -> bool {
    last_inbound_at.is_some_and(|t| now - t < WINDOW_MS)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    #[schema(value_type = String)]
    pub cliente_id: CustomerId,
    pub cliente: String,
    /// abierta | cerrada
    pub estado: String,
    pub necesita_humano: bool,
    pub motivo_humano: Option<String>,
    pub asignado_a: Option<String>,
    pub no_leidos: i64,
    pub ultimo_mensaje: String,
    pub ultimo_resumen: String,
    pub wa_id: Option<String>,
    /// True while free-form replies are allowed (24 h since the customer's last message).
    pub ventana_abierta: bool,
}

impl ConversationView {
    pub fn new(c: Conversation, brand: &Brand, now: i64) -> ConversationView {
        ConversationView {
            cliente_id: CustomerId {
                slug: brand.slug.clone(),
                local: c.customer_id,
            },
            cliente: c.customer_name,
            estado: c.status,
            necesita_humano: c.needs_human,
            motivo_humano: c.human_reason,
            asignado_a: c.assigned_to,
            no_leidos: c.unread,
            ultimo_mensaje: brand.format_time(c.last_message_at),
            ultimo_resumen: c.last_summary,
            wa_id: c.wa_id,
            ventana_abierta: window_open(c.last_inbound_at, now),
        }
    }
}
