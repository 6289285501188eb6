//! Send bodies compared with the outbound fixtures (annotation keys starting with `_` stripped).

use super::*;
use crate::whatsapp::interactive::{ListMessage, ListRow, ReplyButtons};
use crate::whatsapp::test_support::fixture_json;

/// The fixture request without its `_endpoint`/`_note` annotations.
pub(crate) fn expected(name: &str) -> serde_json::Value {
    let mut v = fixture_json(&format!("outbound/{name}"));
    if let Some(obj) = v.as_object_mut() {
        obj.retain(|k, _| !k.starts_with('_'));
    }
    v
}

pub(crate) fn text_message() -> OutboundMessage {
    OutboundMessage::text(
        Recipient::Phone("5511987654321".into()),
        "Entregamos sim, João! 🛵 Taxa de entrega: R$ 6,00. Quer ver o cardápio?",
    )
    .reply_to("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBOUM0RjFFMkI3RDYwQThDM0Y1AA==")
}

pub(crate) fn buttons_message() -> OutboundMessage {
    let interactive = ReplyButtons::new(
        "1x Margherita (G), 1x Calabresa (G), 3x Refri lata, 2x Borda catupiry.\nTotal: R$ 148,30. Confirma?",
    )
    .header_text("Pedido #0042")
    .footer("Pizzaria Bella Napoli")
    .button("order_confirm:ORD-20260807-0042", "Confirmar pedido")
    .button("order_edit:ORD-20260807-0042", "Alterar")
    .button("order_cancel:ORD-20260807-0042", "Cancelar")
    .build()
    .expect("valid buttons");
    OutboundMessage::interactive(Recipient::Phone("5511987654321".into()), interactive)
}

pub(crate) fn list_message() -> OutboundMessage {
    let list = ListMessage::new(
        "Escolha um item para adicionar ao pedido 👇",
        "Ver cardápio",
    )
    .header_text("Cardápio de hoje")
    .footer("Preços em R$")
    .section(
        "Pizzas (G)",
        vec![
            ListRow::new("menu:pizza_margherita_g", "Margherita (G)")
                .description("Molho de tomate, muçarela e manjericão – R$ 54,90"),
            ListRow::new("menu:pizza_calabresa_g", "Calabresa (G)")
                .description("Calabresa, cebola e azeitona – R$ 49,90"),
            ListRow::new("menu:pizza_4queijos_g", "Quatro queijos (G)")
                .description("Muçarela, provolone, parmesão, gorgonzola – R$ 59,90"),
        ],
    )
    .section(
        "Bebidas",
        vec![
            ListRow::new("menu:refri_lata", "Refrigerante lata").description("350 ml – R$ 6,50"),
            ListRow::new("menu:suco_laranja", "Suco de laranja").description("500 ml – R$ 9,00"),
        ],
    )
    .build()
    .expect("valid list");
    OutboundMessage::interactive(Recipient::Phone("5511987654321".into()), list)
}

pub(crate) fn marketing_template() -> OutboundMessage {
    let t = Template::new("promo_terca_pizza", "pt_BR")
        .header_image(MediaRef::Id("1339522734477770".into()))
        .body_named([("first_name", "Maria"), ("discount_code", "TERCA20")])
        .quick_reply(0, "order_now:campaign-42")
        .quick_reply(1, "optout:campaign-42");
    OutboundMessage::template(Recipient::Phone("5521998877665".into()), t)
        .callback_data("campaign=42;recipient=1337")
}

pub(crate) fn positional_template() -> OutboundMessage {
    let t = Template::new("pedido_saiu_entrega", "pt_BR").body_positional(["Maria", "#0042"]);
    OutboundMessage::template(Recipient::Phone("5521998877665".into()), t)
}

pub(crate) fn bsuid_message() -> OutboundMessage {
    OutboundMessage::text(
        Recipient::UserId("BR.9038475610293847".into()),
        "Hoje abrimos das 18h às 23h30 🍕",
    )
}

#[test]
fn every_request_fixture_is_reproduced_exactly() {
    assert_eq!(text_message().to_json(), expected("send_text.request.json"));
    assert_eq!(
        buttons_message().to_json(),
        expected("send_reply_buttons.request.json")
    );
    assert_eq!(list_message().to_json(), expected("send_list.request.json"));
    assert_eq!(
        marketing_template().to_json(),
        expected("send_template_marketing.request.json")
    );
    assert_eq!(
        positional_template().to_json(),
        expected("send_template_positional.request.json")
    );
    let mut bsuid = expected("send_to_bsuid.request.json");
    // The fixture omits `preview_url`; false is Meta's default, so sending it is equivalent.
    bsuid["text"]["preview_url"] = serde_json::Value::Bool(false);
    assert_eq!(bsuid_message().to_json(), bsuid);
    assert_eq!(
        serde_json::to_value(MarkRead::new(
            "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBOUM0RjFFMkI3RDYwQThDM0Y1AA=="
        ))
        .expect("json"),
        expected("mark_read.request.json")
    );
}

#[test]
fn positional_parameters_carry_no_name_and_bsuid_goes_in_recipient() {
    let json = positional_template().to_json();
    assert!(!json.to_string().contains("parameter_name"));
    let json = bsuid_message().to_json();
    assert!(json.get("to").is_none());
    assert_eq!(json["recipient"], "BR.9038475610293847");
    assert!(positional_template().is_template() && !bsuid_message().is_template());
}

#[test]
fn recipient_for_sender_prefers_the_wa_id_as_received() {
    assert_eq!(
        Recipient::for_sender("5215512345678", Some("MX.1")),
        Some(Recipient::Phone("5215512345678".into()))
    );
    assert_eq!(
        Recipient::for_sender("", Some("MX.1")),
        Some(Recipient::UserId("MX.1".into()))
    );
    assert_eq!(Recipient::for_sender("", None), None);
    assert_eq!(Recipient::for_sender("", Some("")), None);
}

#[test]
fn send_responses_parse() {
    let r: SendResponse =
        serde_json::from_value(fixture_json("outbound/send.response.json")).expect("send");
    assert_eq!(
        r.message_id(),
        Some("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkE4MUYwQzMzQjJEOTRFNzFDNQA=")
    );
    assert_eq!(r.wa_id(), Some("5511987654321"));
    let t: SendResponse =
        serde_json::from_value(fixture_json("outbound/send_template.response.json")).expect("tpl");
    assert_eq!(t.messages[0].message_status.as_deref(), Some("accepted"));
    let b: SendResponse =
        serde_json::from_value(fixture_json("outbound/send_to_bsuid.response.json"))
            .expect("bsuid");
    assert_eq!(b.wa_id(), None);
    assert_eq!(
        b.contacts[0].user_id.as_deref(),
        Some("BR.9038475610293847")
    );
}

#[test]
fn long_texts_and_callback_data_are_cut_safely() {
    let long = "🍗".repeat(5000);
    let json = OutboundMessage::text(Recipient::Phone("1".into()), &long)
        .callback_data("x".repeat(600))
        .with_preview(true)
        .to_json();
    let body = json["text"]["body"].as_str().expect("body");
    assert!(body.encode_utf16().count() <= 4096);
    assert!(body.ends_with('…'));
    assert_eq!(json["text"]["preview_url"], true);
    assert_eq!(
        json["biz_opaque_callback_data"]
            .as_str()
            .map(|s| s.chars().count()),
        Some(512)
    );
}
