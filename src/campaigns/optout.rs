//! Opt-out by reply: a "STOP" / "baja" message (or the template's opt-out button) removes the
//! customer's marketing consent at once, in the same transaction that stores the message, and
//! the customer is told. Every later campaign send checks consent again at delivery time.

use rusqlite::{Connection, params};
use serde_json::json;

use crate::error::AppError;
use crate::interactions::{self, NewInteraction};
use crate::whatsapp::outbound::OutboundMessage;
use crate::whatsapp::payload::{InteractiveReply, Message, MessageKind};
use crate::whatsapp::queue;

/// Whole-message phrases that mean "stop sending me marketing" (compared without accents,
/// case or punctuation). Whole messages only: "no me den de baja" must not opt anyone out.
const PHRASES: &[&str] = &[
    "stop",
    "baja",
    "darme de baja",
    "dar de baja",
    "de baja",
    "unsubscribe",
    "cancelar suscripcion",
    "no mas mensajes",
    "no mas promociones",
    "parar",
    // The marketing opt-out button WhatsApp adds to templates, in Spanish and English.
    "detener promociones",
    "stop promotions",
];

fn normalise(s: &str) -> String {
    let folded: String = s
        .chars()
        .flat_map(char::to_lowercase)
        .map(|ch| match ch {
            'á' | 'à' | 'ä' => 'a',
            'é' | 'è' | 'ë' => 'e',
            'í' | 'ì' | 'ï' => 'i',
            'ó' | 'ò' | 'ö' => 'o',
            'ú' | 'ù' | 'ü' => 'u',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when the message asks to stop marketing messages.
pub fn is_opt_out(kind: &MessageKind) -> bool {
    let texts: Vec<&str> = match kind {
        MessageKind::Text { body } => vec![body],
        MessageKind::Button { payload, text } => vec![payload, text],
        MessageKind::Interactive(
            InteractiveReply::ButtonReply { id, .. } | InteractiveReply::ListReply { id, .. },
        ) => vec![id],
        _ => vec![],
    };
    texts
        .into_iter()
        .any(|t| PHRASES.contains(&normalise(t).as_str()))
}

/// Handles an inbound message before the bot: on an opt-out, removes consent, notes it on the
/// customer's timeline, confirms to the customer and returns true (the bot stays quiet).
pub fn handle(
    c: &Connection,
    customer: i64,
    destination: Option<&str>,
    msg: &Message,
    now: i64,
) -> Result<bool, AppError> {
    if !is_opt_out(&msg.kind) {
        return Ok(false);
    }
    c.prepare_cached(
        "UPDATE clientes SET consentimiento_marketing = 0, actualizado_en = ?2 WHERE id = ?1",
    )?
    .execute(params![customer, now])?;
    interactions::store::insert(
        c,
        &NewInteraction {
            customer_id: customer,
            channel: "whatsapp".into(),
            direction: "interna".into(),
            kind: "baja_marketing".into(),
            body: "El cliente pidió no recibir más campañas (consentimiento retirado).".into(),
            external_id: Some(format!("baja:{}", msg.id)),
            order_id: None,
            metadata: json!({ "wamid": msg.id }),
            at: now,
        },
    )?;
    if let Some(dest) = destination {
        let text = "Listo, no te enviaremos más promociones. Si cambias de opinión, escríbenos. / You will not get more promotions.";
        queue::enqueue(
            c,
            customer,
            dest,
            &OutboundMessage::text(queue::recipient(dest), text).reply_to(msg.id.clone()),
            text,
            &format!("baja:{}", msg.id),
            now,
        )?;
    }
    tracing::info!(cliente = customer, "baja de marketing por WhatsApp");
    Ok(true)
}

/// Whether a customer may receive marketing now (checked again at delivery).
pub fn consents(c: &Connection, customer: i64) -> Result<bool, AppError> {
    Ok(
        c.prepare_cached("SELECT consentimiento_marketing FROM clientes WHERE id = ?1")?
            .query_row([customer], |r| r.get::<_, bool>(0))
            .unwrap_or(false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_message_phrases_only() {
        let t = |b: &str| is_opt_out(&MessageKind::Text { body: b.into() });
        assert!(t("STOP"));
        assert!(t(" Baja. "));
        assert!(t("Darme de BAJA!"));
        assert!(t("no más mensajes"));
        assert!(!t("no me den de baja"));
        assert!(!t("quiero un pollo"));
        assert!(is_opt_out(&MessageKind::Button {
            payload: "STOP".into(),
            text: "Dejar de recibir".into()
        }));
        assert!(is_opt_out(&MessageKind::Button {
            payload: "Detener promociones".into(),
            text: "Detener promociones".into()
        }));
        assert!(is_opt_out(&MessageKind::Button {
            payload: "opt_out".into(),
            text: "Stop promotions".into()
        }));
        assert!(!is_opt_out(&MessageKind::Button {
            payload: "ver_menu".into(),
            text: "Ver menú".into()
        }));
    }
}
