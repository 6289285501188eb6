//! Tests for webhook parsing against the shared fixtures and synthetic batches.

use super::*;
use crate::whatsapp::test_support::{fixture_bytes, inbound_fixture_names};
use serde_json::json;

fn parse_fixture(name: &str) -> Vec<Event> {
    parse_webhook(&fixture_bytes(&format!("inbound/{name}")))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn only_message(name: &str) -> InboundMessage {
    match parse_fixture(name).as_slice() {
        [Event::Message(m)] => (**m).clone(),
        other => panic!("{name}: expected one message, got {other:?}"),
    }
}

fn only_status(name: &str) -> StatusUpdate {
    match parse_fixture(name).as_slice() {
        [Event::Status(s)] => (**s).clone(),
        other => panic!("{name}: expected one status, got {other:?}"),
    }
}

#[test]
fn every_inbound_fixture_parses_without_malformed_items() {
    let names = inbound_fixture_names();
    assert!(names.len() >= 11, "{names:?}");
    for name in names {
        let events = parse_fixture(&name);
        assert!(!events.is_empty(), "{name}");
        for event in &events {
            assert!(!matches!(event, Event::Malformed(_)), "{name}: {event:?}");
            if let Event::Message(m) = event {
                assert_eq!(m.routing.phone_number_id, "118093456721984");
                assert_eq!(m.routing.waba_id.as_deref(), Some("104856302947731"));
                assert!(!m.message.readable_summary().is_empty());
            }
        }
    }
    let raw = parse_webhook(&fixture_bytes("inbound/raw_text_body.bin")).expect("raw body");
    assert!(matches!(raw.as_slice(), [Event::Message(_)]));
}

#[test]
fn text_message_joins_its_contact_and_keeps_emoji() {
    let m = only_message("text.json");
    assert_eq!(
        m.contact.as_ref().and_then(Contact::name),
        Some("João Silva")
    );
    assert_eq!(m.message.from, "5511987654321");
    assert_eq!(m.message.timestamp, 1_786_131_130);
    assert_eq!(m.message.from_user_id, None);
    let MessageKind::Text { body } = &m.message.kind else {
        panic!("{m:?}")
    };
    assert_eq!(
        body,
        "Oi! Vocês entregam no Jardim Paulista? Quero 2 pizzas 🍕"
    );
    assert_eq!(m.message.readable_summary(), *body);
}

#[test]
fn catalogue_order_prices_are_exact_minor_units() {
    let m = only_message("order.json");
    let MessageKind::Order(order) = &m.message.kind else {
        panic!("{m:?}")
    };
    assert_eq!(order.catalog_id, "1893422641457702");
    let got: Vec<(&str, u32, i64)> = order
        .items
        .iter()
        .map(|i| {
            (
                i.product_retailer_id.as_str(),
                i.quantity,
                i.unit_price.minor_units,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("PIZZA-MARG-G", 1, 5490),
            ("PIZZA-CALAB-G", 1, 4990),
            ("REFRI-LATA-350", 3, 650),
            ("BORDA-CATUPIRY", 2, 1200)
        ]
    );
    assert_eq!(order.total().map(|t| t.minor_units), Some(14830));
    assert_eq!(
        m.message.readable_summary(),
        "Pedido de catálogo: 7 artículos, total BRL 148.30 («Sem cebola na segunda pizza, por favor»)"
    );
}

#[test]
fn interactive_and_template_replies_are_told_apart() {
    let b = only_message("button_reply.json");
    assert_eq!(
        b.message.kind,
        MessageKind::Interactive(InteractiveReply::ButtonReply {
            id: "order_confirm:ORD-20260807-0042".into(),
            title: "Confirmar pedido".into()
        })
    );
    assert_eq!(
        b.message.from_user_id.as_deref(),
        Some("BR.1502576394655843")
    );
    assert_eq!(
        b.message.context.as_ref().and_then(|c| c.id.as_deref()),
        Some("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjVDMjdFOUEwRDRCMzZGMThFMgA=")
    );
    assert_eq!(
        b.message.readable_summary(),
        "Pulsó el botón «Confirmar pedido»"
    );

    let l = only_message("list_reply.json");
    let MessageKind::Interactive(InteractiveReply::ListReply {
        id, description, ..
    }) = &l.message.kind
    else {
        panic!("{l:?}")
    };
    assert_eq!(id, "menu:pizza_margherita_g");
    assert!(
        description
            .as_deref()
            .is_some_and(|d| d.contains("muçarela"))
    );
    assert_eq!(
        l.message.readable_summary(),
        "Eligió de la lista: Margherita (G)"
    );

    let t = only_message("template_quick_reply.json");
    assert_eq!(
        t.message.kind,
        MessageKind::Button {
            payload: "optout:campaign-42".into(),
            text: "Parar promoções".into()
        }
    );
}

#[test]
fn location_and_image_summaries() {
    let loc = only_message("location.json");
    assert_eq!(
        loc.message.readable_summary(),
        "Ubicación: Edifício Santos Tower, Alameda Santos, 1000 - Jardim Paulista, São Paulo - SP, 01418-100"
    );
    let img = only_message("image.json");
    let MessageKind::Media {
        media_type: MediaType::Image,
        media,
    } = &img.message.kind
    else {
        panic!("{img:?}")
    };
    assert_eq!(media.id, "1249836075123458");
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(
        img.message.readable_summary(),
        "Imagen: A pizza chegou assim 😞"
    );
    assert_eq!(
        img.contact.as_ref().and_then(Contact::name),
        Some("Maria Fernanda Souza")
    );
}

#[test]
fn statuses_rank_and_carry_pricing_errors_and_callback_data() {
    let sent = only_status("status_sent.json");
    let delivered = only_status("status_delivered.json");
    let read = only_status("status_read.json");
    let failed = only_status("status_failed.json");
    assert_eq!(sent.status.status, DeliveryStatus::Sent);
    assert!(sent.status.status.rank() < delivered.status.status.rank());
    assert!(delivered.status.status.rank() < read.status.status.rank());
    assert_eq!(failed.status.status.rank(), 0);
    assert_eq!(
        delivered.status.biz_opaque_callback_data.as_deref(),
        Some("campaign=42;recipient=1337")
    );
    let pricing = sent.status.pricing.as_ref().expect("pricing");
    assert_eq!(pricing.pricing_model.as_deref(), Some("PMP"));
    assert_eq!(pricing.category.as_deref(), Some("marketing"));
    assert_eq!(
        read.contact.as_ref().and_then(|c| c.user_id.as_deref()),
        Some("BR.8827361049958812")
    );
    assert_eq!(failed.contact, None, "failed statuses carry no contacts");
    assert_eq!(failed.status.errors[0].code, 131047);
    assert!(
        failed.status.errors[0]
            .details()
            .is_some_and(|d| d.contains("24 hours"))
    );
    assert_eq!(failed.status.status.label_es(), "fallido");
}

/// A batch like the spec's `batch.json`: two brands, contacts in another order than messages,
/// out-of-order statuses, username (BSUID-only) users and one broken message in the middle.
fn synthetic_batch() -> serde_json::Value {
    let meta = |id: &str| json!({"display_phone_number": "5511940028922", "phone_number_id": id});
    json!({
      "object": "whatsapp_business_account",
      "entry": [
        {"id": "104856302947731", "changes": [
          {"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": meta("118093456721984"),
            "contacts": [
              {"profile": {"name": "Bea"}, "wa_id": "5215512345678", "user_id": "MX.2"},
              {"profile": {"name": "Ana"}, "wa_id": "5491122334455", "user_id": "AR.1"},
              {"profile": {"name": "Uno", "username": "@uno"}, "wa_id": "", "user_id": "BR.U1"},
              {"profile": {"name": "Dos", "username": "@dos"}, "wa_id": "", "user_id": "BR.U2"}
            ],
            "messages": [
              {"from": "5491122334455", "from_user_id": "AR.1", "id": "wamid.1", "timestamp": "1786131130",
               "type": "text", "text": {"body": "hola"}},
              {"from": "5215512345678", "id": "wamid.2", "timestamp": 1786131131,
               "type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "\u{1f44d}"}},
              {"from": "5491122334455", "id": "wamid.3", "timestamp": "not-a-time", "type": "text", "text": {"body": "x"}},
              {"from": "", "from_user_id": "BR.U2", "id": "wamid.4", "timestamp": "1786131133",
               "type": "text", "text": {"body": "soy dos"}},
              {"from": "5215512345678", "id": "wamid.5", "timestamp": "1786131134", "type": "request_welcome"},
              {"from": "5491122334455", "id": "wamid.6", "timestamp": "1786131135", "type": "unsupported",
               "errors": [{"code": 131051, "title": "Message type unknown"}]},
              {"from": "5491122334455", "id": "wamid.7", "timestamp": "1786131136",
               "type": "audio", "audio": {"id": "m1", "mime_type": "audio/ogg", "voice": true}},
              {"from": "5491122334455", "id": "wamid.8", "timestamp": "1786131137",
               "type": "interactive", "interactive": {"type": "nfm_reply",
                 "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"a\":1}"}}},
              {"from": "5491122334455", "id": "wamid.9", "timestamp": "1786131138",
               "type": "location", "location": {"latitude": -12.0464, "longitude": -77.0428}},
              {"from": "5491122334455", "id": "wamid.10", "timestamp": "1786131139",
               "type": "order", "order": {"catalog_id": "1", "text": "",
                 "product_items": [{"product_retailer_id": "POLLO-1/4", "quantity": "2", "item_price": "15.90", "currency": "PEN"}]}},
              {"from": "5491122334455", "id": "wamid.11", "timestamp": "1786131140",
               "type": "order", "order": {"catalog_id": "1",
                 "product_items": [{"product_retailer_id": "X", "quantity": 1, "item_price": 0.001, "currency": "PEN"}]}},
              {"from": "5491122334455", "id": "wamid.12", "timestamp": "1786131141", "type": "text"}
            ]
          }},
          {"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": meta("118093456721984"),
            "statuses": [
              {"id": "wamid.out1", "status": "delivered", "timestamp": "1786131150", "recipient_id": "5491122334455"},
              {"id": "wamid.out1", "status": "sent", "timestamp": "1786131149", "recipient_id": "5491122334455"},
              {"id": "wamid.out2", "status": "read", "timestamp": "1786131151", "recipient_id": "", "recipient_user_id": "BR.U1"},
              {"id": "wamid.out3", "status": "deleted", "timestamp": "1786131152", "recipient_id": "1"},
              {"id": "wamid.out4", "timestamp": "1786131152"}
            ],
            "contacts": [{"profile": {"name": "Uno"}, "wa_id": "", "user_id": "BR.U1"}]
          }},
          {"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": meta("118093456721984"),
            "errors": [{"code": 130429, "title": "Rate limit hit", "error_data": {"details": "throughput"}}]
          }},
          {"field": "user_preferences", "value": {"user_preferences": [
            {"wa_id": "5491122334455", "category": "marketing_messages", "value": "stop", "timestamp": 1786131160}]}},
          {"field": "messages", "value": {"messages": []}},
          "not an object"
        ]},
        {"id": "120394857610293", "changes": [
          {"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": meta("120394857610293"),
            "messages": [{"from": "551187654321", "id": "wamid.br", "timestamp": "1786131170",
              "type": "system", "system": {"body": "User A changed from 551187654321 to 5511987654321",
                "wa_id": "5511987654321", "type": "user_changed_number"}}]
          }}
        ]},
        42
      ]
    })
}

#[test]
fn a_batch_keeps_every_good_item_and_isolates_bad_ones() {
    let body = serde_json::to_vec(&synthetic_batch()).expect("json");
    let events = parse_webhook(&body).expect("batch");
    let messages: Vec<&InboundMessage> = events
        .iter()
        .filter_map(|e| {
            if let Event::Message(m) = e {
                Some(&**m)
            } else {
                None
            }
        })
        .collect();
    let malformed: Vec<&MalformedItem> = events
        .iter()
        .filter_map(|e| {
            if let Event::Malformed(m) = e {
                Some(m)
            } else {
                None
            }
        })
        .collect();
    let ids: Vec<&str> = messages.iter().map(|m| m.message.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "wamid.1", "wamid.2", "wamid.4", "wamid.5", "wamid.6", "wamid.7", "wamid.8", "wamid.9",
            "wamid.10", "wamid.br"
        ]
    );
    let bad: Vec<&str> = malformed.iter().map(|m| m.location.as_str()).collect();
    assert_eq!(
        bad,
        [
            "entry[0].changes[0].value.messages[2]",
            "entry[0].changes[0].value.messages[10]",
            "entry[0].changes[0].value.messages[11]",
            "entry[0].changes[1].value.statuses[4]",
            "entry[0].changes[4].value",
            "entry[0].changes[5]",
            "entry[2]",
        ]
    );
    assert!(
        malformed[1].error.contains("decimales"),
        "{}",
        malformed[1].error
    );
    assert_eq!(
        malformed[0]
            .routing
            .as_ref()
            .map(|r| r.phone_number_id.as_str()),
        Some("118093456721984")
    );

    let name = |i: usize| messages[i].contact.as_ref().and_then(Contact::name);
    // Joined by id: Ana is second in contacts but wrote first; Bea's message carries no from_user_id.
    assert_eq!(name(0), Some("Ana"));
    assert_eq!(name(1), Some("Bea"));
    assert_eq!(
        name(2),
        Some("Dos"),
        "username user joined by BSUID, not by empty wa_id"
    );
    assert_eq!(messages[9].contact, None, "system messages have no contact");
    assert_eq!(messages[9].routing.phone_number_id, "120394857610293");
    assert_eq!(
        messages[9].message.readable_summary(),
        "Cambió su número de WhatsApp a +5511987654321"
    );

    let summaries: Vec<String> = messages
        .iter()
        .map(|m| m.message.readable_summary())
        .collect();
    assert_eq!(summaries[1], "Reacción 👍 a un mensaje");
    assert_eq!(summaries[3], "Mensaje de tipo «request_welcome»");
    assert_eq!(summaries[4], "Mensaje no compatible (código 131051)");
    assert_eq!(summaries[5], "Nota de voz");
    assert_eq!(summaries[6], "Envió un formulario");
    assert_eq!(summaries[7], "Ubicación: -12.04640, -77.04280");
    assert_eq!(
        summaries[8],
        "Pedido de catálogo: 2 artículos, total PEN 31.80"
    );
    let MessageKind::Unknown { raw, .. } = &messages[3].message.kind else {
        panic!()
    };
    assert_eq!(raw["id"], "wamid.5", "unknown kinds keep their raw JSON");

    let statuses: Vec<&StatusUpdate> = events
        .iter()
        .filter_map(|e| {
            if let Event::Status(s) = e {
                Some(&**s)
            } else {
                None
            }
        })
        .collect();
    let st: Vec<&str> = statuses.iter().map(|s| s.status.status.as_str()).collect();
    assert_eq!(st, ["delivered", "sent", "read", "deleted"]);
    assert_eq!(
        statuses[2].contact.as_ref().and_then(Contact::name),
        Some("Uno")
    );
    assert_eq!(statuses[0].contact, None);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ChangeErrors { errors, .. } if errors[0].code == 130429))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::OtherField { field, value, .. }
        if field == "user_preferences" && value["user_preferences"][0]["value"] == "stop"))
    );
}

#[test]
fn unusable_bodies_are_errors_not_panics() {
    assert!(matches!(parse_webhook(b""), Err(WebhookError::NotJson(_))));
    assert!(matches!(
        parse_webhook(b"[1,2]"),
        Err(WebhookError::NotJson(_))
    ));
    assert!(matches!(
        parse_webhook(b"{\"entry\": 5}"),
        Err(WebhookError::NotJson(_))
    ));
    assert_eq!(
        parse_webhook(b"{\"object\":\"page\",\"entry\":[]}"),
        Err(WebhookError::NotWhatsApp(Some("page".into())))
    );
    assert_eq!(
        parse_webhook(b"{\"object\":\"whatsapp_business_account\"}"),
        Ok(vec![])
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_webhook(deep.as_bytes()).is_err());
}

#[test]
fn truncated_and_corrupted_fixtures_never_panic() {
    for name in inbound_fixture_names() {
        let body = fixture_bytes(&format!("inbound/{name}"));
        for cut in (0..body.len()).step_by(7) {
            let _ = parse_webhook(&body[..cut]);
        }
        for i in (0..body.len()).step_by(11) {
            let mut b = body.clone();
            b[i] = b[i].wrapping_add(17);
            let _ = parse_webhook(&b);
        }
    }
}
