//! WhatsApp Cloud API leaf client: webhook signature and payloads, phone-id variants, the Graph API
//! client, interactive-message builders and a Spanish free-text order parser. No domain knowledge:
//! nothing here touches a database, a tenant or a customer record.
//!
//! Typical use by the integrator:
//! - webhook GET: [`HandshakeQuery::verify`] and echo the challenge;
//! - webhook POST: [`verify_signature`] on the raw bytes, store the body, later [`parse_webhook`] and
//!   route each [`Event`] by [`Routing::phone_number_id`];
//! - identity: [`phone::lookup_candidates`] for the forms of a `wa_id` to look up;
//! - sending: build an [`OutboundMessage`] (with [`interactive`] builders or [`Template`]), call
//!   [`GraphClient::send`], and on error follow [`GraphError::class`];
//! - bot: [`order_text::parse_order`] on a text body against the brand's catalogue.

pub mod admin;
pub mod bot;
pub mod client;
pub mod config;
pub mod delivery;
mod errors;
pub mod handshake;
pub mod identity;
pub mod ingest;
pub mod interactive;
pub mod order_text;
pub mod outbound;
pub mod pages;
pub mod payload;
pub mod phone;
mod prepare;
pub mod queue;
pub mod signature;
pub mod webhook;

#[cfg(test)]
pub(crate) mod test_support;

pub use client::{
    DEFAULT_API_VERSION, DEFAULT_BASE_URL, ErrorClass, GraphClient, GraphConfig, GraphError,
    MediaInfo, PermanentReason, RetryScope, Sender, media_sha256_matches,
};
pub use handshake::{HandshakeError, HandshakeQuery};
pub use outbound::{MarkRead, MediaRef, OutboundMessage, Recipient, SendResponse, Template};
pub use payload::{
    Contact, DeliveryStatus, Event, InboundMessage, MalformedItem, Message, MessageKind, Money,
    Routing, Status, StatusUpdate, WebhookError, parse_webhook,
};
pub use signature::{SIGNATURE_HEADER, SignatureError, sign, verify_signature};
