//! One-line Spanish summaries of inbound messages, for the interaction timeline and the inbox list.

use super::message::{InteractiveReply, MediaType, Message, MessageKind};
use crate::whatsapp::interactive::truncate;

/// Longest summary of a text body; the full text stays in the message itself.
const TEXT_SUMMARY_CHARS: usize = 300;

impl Message {
    /// Spanish one-liner for the timeline, e.g. "Pedido de catálogo: 3 artículos".
    pub fn readable_summary(&self) -> String {
        self.kind.readable_summary()
    }
}

impl MessageKind {
    /// Spanish one-liner describing this kind of message and its key content.
    pub fn readable_summary(&self) -> String {
        match self {
            MessageKind::Text { body } => truncate(body.trim(), TEXT_SUMMARY_CHARS).into_owned(),
            MessageKind::Media { media_type, media } => {
                let label = match media_type {
                    MediaType::Image => "Imagen",
                    MediaType::Audio if media.voice == Some(true) => "Nota de voz",
                    MediaType::Audio => "Audio",
                    MediaType::Video => "Video",
                    MediaType::Document => "Documento",
                    MediaType::Sticker => "Sticker",
                };
                let detail = media
                    .caption
                    .as_deref()
                    .or(media.filename.as_deref())
                    .map(str::trim)
                    .filter(|c| !c.is_empty());
                match detail {
                    Some(d) => format!("{label}: {}", truncate(d, TEXT_SUMMARY_CHARS)),
                    None => label.to_owned(),
                }
            }
            MessageKind::Location(loc) => {
                let place: Vec<&str> = [loc.name.as_deref(), loc.address.as_deref()]
                    .into_iter()
                    .flatten()
                    .filter(|s| !s.trim().is_empty())
                    .collect();
                if place.is_empty() {
                    format!("Ubicación: {:.5}, {:.5}", loc.latitude, loc.longitude)
                } else {
                    format!("Ubicación: {}", place.join(", "))
                }
            }
            MessageKind::Reaction { emoji: Some(e), .. } => format!("Reacción {e} a un mensaje"),
            MessageKind::Reaction { emoji: None, .. } => {
                "Quitó su reacción a un mensaje".to_owned()
            }
            MessageKind::Order(order) => {
                let units = order.total_units();
                let noun = if units == 1 {
                    "artículo"
                } else {
                    "artículos"
                };
                let mut s = format!("Pedido de catálogo: {units} {noun}");
                if let Some(total) = order.total() {
                    s.push_str(&format!(", total {total}"));
                }
                if let Some(note) = &order.text {
                    s.push_str(&format!(" («{}»)", truncate(note.trim(), 120)));
                }
                s
            }
            MessageKind::Button { text, .. } => format!("Pulsó el botón «{text}»"),
            MessageKind::Interactive(InteractiveReply::ListReply { title, .. }) => {
                format!("Eligió de la lista: {title}")
            }
            MessageKind::Interactive(InteractiveReply::ButtonReply { title, .. }) => {
                format!("Pulsó el botón «{title}»")
            }
            MessageKind::Interactive(InteractiveReply::NfmReply { .. }) => {
                "Envió un formulario".to_owned()
            }
            MessageKind::Interactive(InteractiveReply::Other { reply_type, .. }) => {
                format!("Respuesta interactiva ({reply_type})")
            }
            MessageKind::System(notice) => match (notice.notice_type.as_deref(), &notice.wa_id) {
                (Some("user_changed_number"), Some(new)) => {
                    format!("Cambió su número de WhatsApp a +{new}")
                }
                _ => format!(
                    "Aviso del sistema: {}",
                    notice.body.as_deref().unwrap_or("sin detalle")
                ),
            },
            MessageKind::Contacts { cards } => {
                let n = cards.len();
                if n == 1 {
                    "Compartió un contacto".to_owned()
                } else {
                    format!("Compartió {n} contactos")
                }
            }
            MessageKind::Unsupported { errors } => match errors.first() {
                Some(e) => format!("Mensaje no compatible (código {})", e.code),
                None => "Mensaje no compatible".to_owned(),
            },
            MessageKind::Unknown { message_type, .. } => {
                format!("Mensaje de tipo «{message_type}»")
            }
        }
    }
}
