//! The WhatsApp leaf module used only through its public API, the way the webhook handler and
//! the bot will: verify → parse → route → summarise → build a reply.

use autonomo::whatsapp::interactive::{ListMessage, ListRow, ReplyButtons};
use autonomo::whatsapp::order_text::{CatalogItem, parse_order};
use autonomo::whatsapp::{
    Event, MessageKind, OutboundMessage, Recipient, SignatureError, parse_webhook, phone, sign,
    verify_signature,
};
use std::path::PathBuf;

/// `../shared/fixtures/whatsapp` beside the checkout, else `/work/shared/fixtures/whatsapp`.
fn fixtures() -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/whatsapp");
    if beside.is_dir() {
        beside
    } else {
        PathBuf::from("/work/shared/fixtures/whatsapp")
    }
}

#[test]
fn every_inbound_fixture_goes_through_verify_parse_route_and_summary() {
    let secret = b"8f3a1c9e2b7d4f60a5e1c3b9d7f2a4e6";
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures().join("inbound")).expect("inbound fixtures") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !name.ends_with(".json") || name == "signature_vectors.json" {
            continue;
        }
        let body = std::fs::read(&path).expect("read");
        let header = sign(secret, &body);
        assert_eq!(
            verify_signature(secret, &body, Some(&header)),
            Ok(()),
            "{name}"
        );
        assert_eq!(
            verify_signature(secret, &body, None),
            Err(SignatureError::Missing)
        );
        let events = parse_webhook(&body).expect("parse");
        for event in events {
            match event {
                Event::Message(m) => {
                    assert_eq!(m.routing.phone_number_id, "118093456721984");
                    let reply_to =
                        Recipient::for_sender(&m.message.from, m.message.from_user_id.as_deref());
                    assert!(reply_to.is_some(), "{name}: someone to answer");
                    assert!(!phone::lookup_candidates(&m.message.from).is_empty());
                    let summary = m.message.readable_summary();
                    assert!(!summary.is_empty());
                    if let MessageKind::Order(order) = &m.message.kind {
                        assert_eq!(order.total().map(|t| t.minor_units), Some(14830));
                    }
                }
                Event::Status(s) => assert!(s.status.status.rank() <= 3),
                other => panic!("{name}: unexpected {other:?}"),
            }
            seen += 1;
        }
    }
    assert!(seen >= 11);
}

#[test]
fn a_menu_reply_can_be_built_from_a_parsed_order() {
    let catalogue = [
        CatalogItem::new("BROASTER", "Pollo broaster", &["broaster"]),
        CatalogItem::new("CUARTO", "1/4 Pollo a la brasa", &["cuarto de pollo"]),
        CatalogItem::new("INCA", "Inca Kola 1.5L", &[]),
    ];
    let parsed = parse_order("pollo y una inca kola", &catalogue);
    assert_eq!(parsed.lines.len(), 1);
    let ask = &parsed.ambiguous[0];
    let rows = ask
        .candidates
        .iter()
        .map(|sku| ListRow::new(format!("pick:{sku}"), sku.as_str()))
        .collect();
    let list = ListMessage::new(format!("¿Qué «{}» quieres?", ask.fragment), "Elegir")
        .section("Pollos", rows);
    let msg = OutboundMessage::interactive(
        Recipient::Phone("51987654321".into()),
        list.build().expect("list"),
    );
    assert_eq!(
        msg.to_json()["interactive"]["action"]["sections"][0]["rows"][1]["id"],
        "pick:CUARTO"
    );
    let confirm = ReplyButtons::new("1x Pollo broaster. ¿Confirmas?")
        .button("ok", "Confirmar")
        .button("no", "Cancelar");
    assert!(confirm.build().is_ok());
}
