//! "mis puntos" answered by the bot through a signed webhook on the real server, after
//! stamps earned by a WhatsApp order.

use crate::wa_common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn say(s: &Server, wa_id: &str, n: &mut u32, message: Value) -> String {
    *n += 1;
    let wamid = format!("wamid.{wa_id}.{n}");
    s.post_signed(&inbound(NUMBER, wa_id, "Cliente", &wamid, message))
        .await;
    s.settle().await;
    let last = queued(s, "gollos", wa_id)
        .await
        .last()
        .cloned()
        .unwrap_or(Value::Null);
    let r = &last["request"];
    r["interactive"]["body"]["text"]
        .as_str()
        .or(r["text"]["body"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mis_puntos_answers_balance_and_next_reward() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    seed_gollos(&s, "gollos").await;
    let (st, _) = s
        .api(
            Method::PUT,
            "/api/marcas/gollos/fidelidad",
            Some(json!({"tipo": "sellos"})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .api(
            Method::POST,
            "/api/marcas/gollos/fidelidad/recompensas",
            Some(json!({"nombre": "1/4 de pollo gratis", "costo": 2, "descuento": 1590})),
        )
        .await;
    assert_eq!(st, 201);
    let wa = "51987001122";
    let mut n = 0;
    // No order yet.
    let r = say(&s, wa, &mut n, text("mis puntos")).await;
    assert_eq!(r, "Tienes 0 sellos. Te faltan 2 para: 1/4 de pollo gratis.");
    say(&s, wa, &mut n, text("2 broaster")).await;
    say(&s, wa, &mut n, text("confirmo")).await;
    let orders = s.column("gollos", "SELECT id FROM pedidos").await;
    let id = orders[0].as_i64().unwrap();
    let (st, _) = s
        .api(
            Method::PUT,
            &format!("/api/pedidos/ped_gollos_{id}"),
            Some(json!({"estado": "confirmado"})),
        )
        .await;
    assert_eq!(st, 200);
    let r = say(&s, wa, &mut n, text("¿Cuántos sellos tengo?")).await;
    assert_eq!(r, "Tienes 1 sello. Te faltan 1 para: 1/4 de pollo gratis.");
    s.stop().await;
}
