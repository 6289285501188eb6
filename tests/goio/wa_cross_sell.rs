//! Cross-selling in the WhatsApp order flow, through the webhook and the real server: after
//! the cart is confirmed the bot offers the product most often bought with it (from the order
//! history: A and B together in 3 of 7 orders, lift 21/16, P(B|A) = 3/4); "Sí" adds it to the
//! order, "No" places the order as it was, a second tap changes nothing, a cart with nothing
//! to suggest is placed at once; offers and acceptances give the acceptance rate.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const SLUG: &str = "goio-store";
const ANA: &str = "51922000001";
const BETO: &str = "51922000002";
const CARLA: &str = "51922000003";

async fn tap(s: &Server, wa_id: &str, wamid: &str, message: Value) -> Value {
    s.post_signed(&inbound(NUMBER, wa_id, "Cliente", wamid, message))
        .await;
    s.settle().await;
    queued(s, SLUG, wa_id)
        .await
        .last()
        .cloned()
        .unwrap_or(Value::Null)
}

/// The ids of the reply buttons of a queued interactive message.
fn button_ids(reply: &Value) -> Vec<String> {
    reply["request"]["interactive"]["action"]["buttons"]
        .as_array()
        .map(|b| {
            b.iter()
                .map(|b| b["reply"]["id"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn body_text(reply: &Value) -> String {
    let r = &reply["request"];
    r["interactive"]["body"]["text"]
        .as_str()
        .or(r["text"]["body"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// Builds a cart of one `sku` through the menu and confirms it; returns the bot's answer.
async fn confirm_cart(s: &Server, wa_id: &str, sku: &str) -> Value {
    tap(
        s,
        wa_id,
        &format!("wamid.{wa_id}.1"),
        list_reply(&format!("prod:{sku}")),
    )
    .await;
    let cart = tap(
        s,
        wa_id,
        &format!("wamid.{wa_id}.2"),
        button_reply(&format!("qty:1:{sku}")),
    )
    .await;
    assert!(button_ids(&cart).contains(&"cart:ok".to_owned()), "{cart}");
    tap(
        s,
        wa_id,
        &format!("wamid.{wa_id}.3"),
        button_reply("cart:ok"),
    )
    .await
}

async fn whatsapp_orders(s: &Server, wa_id: &str) -> Vec<Value> {
    s.column(
        SLUG,
        &format!(
            "SELECT json_object('total', p.total, 'skus', (SELECT group_concat(i.sku, ',') FROM
                 (SELECT sku FROM pedido_items WHERE pedido_id = p.id ORDER BY sku) i))
             FROM pedidos p JOIN wa_contactos w ON w.cliente_id = p.cliente_id
             WHERE p.canal = 'whatsapp' AND pii_open(w.wa_id) = '{wa_id}' ORDER BY p.id"
        ),
    )
    .await
    .into_iter()
    .map(|v| match v.as_str() {
        Some(text) => serde_json::from_str(text).unwrap(),
        None => v,
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_cart_gets_one_cross_sell_offer_and_the_acceptance_rate_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start().await;
    let s = Server::start(
        dir.path(),
        Options {
            api_base: graph.base(),
            ..Options::default()
        },
    )
    .await;
    s.brand(SLUG, NUMBER, "USD").await;
    for (sku, name, price) in [
        ("A", "Celular Goio S", 50000),
        ("B", "Funda magnética", 2000),
        ("C", "Cable USB-C", 900),
    ] {
        let (status, p) = s
            .api(
                Method::POST,
                &format!("/api/marcas/{SLUG}/productos"),
                Some(json!({"sku": sku, "nombre": name, "categoria": "Goio", "precio": price, "stock": 50})),
            )
            .await;
        assert_eq!(status, 201, "{p}");
    }
    s.exec(
        SLUG,
        "INSERT INTO clientes (nombre, canal_adquisicion, creado_en, actualizado_en) VALUES ('Eva', 'web', 0, 0)",
    )
    .await;
    // History: AB AB AB A B C C  (N = 7; A in 4, B in 4, AB in 3; C never with A or B).
    let history: [&[&str]; 7] = [
        &["A", "B"],
        &["A", "B"],
        &["A", "B"],
        &["A"],
        &["B"],
        &["C"],
        &["C"],
    ];
    for basket in history {
        let items: Vec<_> = basket
            .iter()
            .map(|sku| json!({"sku": sku, "cantidad": 1}))
            .collect();
        let (status, order) = s
            .api(
                Method::POST,
                "/api/pedidos",
                Some(json!({"cliente_id": format!("cli_{SLUG}_1"), "canal": "presencial", "items": items})),
            )
            .await;
        assert_eq!(status, 201, "{order}");
    }

    // Ana: a phone in the cart; the funda is offered before the order exists.
    let offer = confirm_cart(&s, ANA, "A").await;
    assert_eq!(
        button_ids(&offer),
        vec!["venta:si:B".to_owned(), "venta:no".to_owned()],
        "{offer}"
    );
    let offered = body_text(&offer);
    assert!(
        offered.contains("Celular Goio S")
            && offered.contains("Funda magnética")
            && offered.contains("20.00"),
        "{offered}"
    );
    assert!(whatsapp_orders(&s, ANA).await.is_empty(), "not placed yet");
    let done = tap(&s, ANA, "wamid.ana.si", button_reply("venta:si:B")).await;
    let said = body_text(&done);
    assert!(
        said.contains("Agregamos Funda magnética") && said.contains("520.00"),
        "{said}"
    );
    assert_eq!(
        whatsapp_orders(&s, ANA).await,
        vec![json!({"total": 52000, "skus": "A,B"})]
    );
    // A second tap places nothing more.
    let again = tap(&s, ANA, "wamid.ana.si2", button_reply("venta:si:B")).await;
    assert!(body_text(&again).contains("ya quedó registrado"), "{again}");
    assert_eq!(whatsapp_orders(&s, ANA).await.len(), 1);

    // Beto says no in words: the order is placed as it was.
    let offer = confirm_cart(&s, BETO, "A").await;
    assert_eq!(button_ids(&offer)[0], "venta:si:B", "{offer}");
    let done = tap(&s, BETO, "wamid.beto.no", text("no, gracias")).await;
    assert!(body_text(&done).contains("¡Gracias!"), "{done}");
    assert_eq!(
        whatsapp_orders(&s, BETO).await,
        vec![json!({"total": 50000, "skus": "A"})]
    );

    // Carla's cable has no product bought with it more often than chance: placed at once.
    let placed = confirm_cart(&s, CARLA, "C").await;
    assert!(body_text(&placed).contains("¡Gracias!"), "{placed}");
    assert_eq!(
        whatsapp_orders(&s, CARLA).await,
        vec![json!({"total": 900, "skus": "C"})]
    );

    // Two offers of the funda, one accepted.
    let (status, rate) = s
        .api(
            Method::GET,
            &format!("/api/marcas/{SLUG}/venta-cruzada"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{rate}");
    assert_eq!(rate["ofrecidas"], 2, "{rate}");
    assert_eq!(rate["aceptadas"], 1, "{rate}");
    assert_eq!(rate["tasa_aceptacion"], 0.5, "{rate}");
    assert_eq!(rate["por_producto"].as_array().unwrap().len(), 1, "{rate}");
    assert_eq!(
        rate["por_producto"][0]["producto_id"],
        format!("pro_{SLUG}_2")
    );
    assert_eq!(rate["por_producto"][0]["nombre"], "Funda magnética");
    // A period before any offer counts none; a bad date is refused.
    let (_, empty) = s
        .api(
            Method::GET,
            &format!("/api/marcas/{SLUG}/venta-cruzada?hasta=2020-01-01"),
            None,
        )
        .await;
    assert_eq!(empty["ofrecidas"], 0, "{empty}");
    assert!(empty["tasa_aceptacion"].is_null(), "{empty}");
    let (status, _) = s
        .api(
            Method::GET,
            &format!("/api/marcas/{SLUG}/venta-cruzada?desde=ayer"),
            None,
        )
        .await;
    assert_eq!(status, 422);
    s.stop().await;
}
