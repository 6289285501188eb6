//! Redeeming a reward inside the WhatsApp order flow, through the signed webhook on the real
//! server: the bot offers what the stamps afford after a cart is confirmed, a tap redeems once
//! (a double tap does not), the order's total drops and the balance never goes negative.

use crate::wa_common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Sends one message and returns the last queued payload for the customer.
async fn say(s: &Server, wa_id: &str, n: &mut u32, message: Value) -> Value {
    *n += 1;
    let wamid = format!("wamid.{wa_id}.{n}");
    s.post_signed(&inbound(NUMBER, wa_id, "Cliente", &wamid, message))
        .await;
    s.settle().await;
    queued(s, "gollos", wa_id)
        .await
        .last()
        .map(|v| v["request"].clone())
        .unwrap_or(Value::Null)
}

fn body(r: &Value) -> String {
    r["interactive"]["body"]["text"]
        .as_str()
        .or(r["text"]["body"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn row_ids(r: &Value) -> Vec<String> {
    r["interactive"]["action"]["sections"][0]["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|x| x["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn reward(s: &Server, name: &str, cost: i64, off: i64) -> i64 {
    let (st, r) = s
        .api(
            Method::POST,
            "/api/marcas/gollos/fidelidad/recompensas",
            Some(json!({"nombre": name, "costo": cost, "descuento": off})),
        )
        .await;
    assert_eq!(st, 201);
    r["id"].as_i64().unwrap()
}

async fn last_order(s: &Server) -> i64 {
    s.column("gollos", "SELECT max(id) FROM pedidos").await[0]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_cart_offers_rewards_and_a_tap_redeems_once() {
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
    let papas = reward(&s, "Papas gratis", 2, 790).await;
    let cuarto = reward(&s, "1/4 de pollo gratis", 3, 1590).await;
    let entero = reward(&s, "Pollo entero gratis", 10, 5490).await;
    let wa = "51987003344";
    let mut n = 0;
    // Three stamps from three WhatsApp orders confirmed by staff.
    for _ in 0..3 {
        say(&s, wa, &mut n, text("2 broaster")).await;
        let r = say(&s, wa, &mut n, text("confirmo")).await;
        let id = last_order(&s).await;
        // Below the cheapest reward nothing is offered: the plain confirmation.
        if id < 3 {
            assert!(body(&r).starts_with("¡Gracias!"), "{r}");
            assert!(row_ids(&r).is_empty());
        }
        let (st, _) = s
            .api(
                Method::PUT,
                &format!("/api/pedidos/ped_gollos_{id}"),
                Some(json!({"estado": "confirmado"})),
            )
            .await;
        assert_eq!(st, 200);
    }
    // The fourth cart: 1/2 pollo (29.90); confirming it offers what 3 stamps afford.
    say(&s, wa, &mut n, text("1 medio pollo")).await;
    let r = say(&s, wa, &mut n, text("confirmo")).await;
    let order = last_order(&s).await;
    assert!(body(&r).contains("Tienes 3 sellos"), "{r}");
    assert_eq!(
        row_ids(&r),
        vec![
            format!("canje:{order}:{papas}"),
            format!("canje:{order}:{cuarto}"),
            format!("canje:{order}:no"),
        ],
        "the 10-stamp reward ({entero}) is not affordable"
    );
    // Asking "canjear" while the order is open offers the same list.
    let r = say(&s, wa, &mut n, text("quiero canjear")).await;
    assert!(
        body(&r).contains(&format!("Tu pedido #{order} sigue abierto")),
        "{r}"
    );
    assert_eq!(row_ids(&r).len(), 3);
    // The tap redeems: the order drops by the reward, the balance by its cost.
    let tap = list_reply(&format!("canje:{order}:{cuarto}"));
    let r = say(&s, wa, &mut n, tap.clone()).await;
    let expected = format!(
        "¡Listo! Canjeaste «1/4 de pollo gratis» en tu pedido #{order}. Nuevo total: PEN 14.00. Te quedan 0 sellos."
    );
    assert_eq!(body(&r), expected);
    // A double tap answers the same and redeems nothing more.
    let r = say(&s, wa, &mut n, tap).await;
    assert_eq!(body(&r), expected);
    let canjes = s
        .count(
            "gollos",
            &format!("SELECT COUNT(*) FROM fidelidad_movimientos WHERE tipo = 'canje' AND pedido_id = {order}"),
        )
        .await;
    assert_eq!(canjes, 1);
    let (st, order_json) = s
        .api(
            Method::GET,
            &format!("/api/pedidos/ped_gollos_{order}"),
            None,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(order_json["total"], 1400, "{order_json}");
    // With 0 stamps the cheaper reward is refused and nothing changes.
    let r = say(
        &s,
        wa,
        &mut n,
        list_reply(&format!("canje:{order}:{papas}")),
    )
    .await;
    assert!(body(&r).starts_with("Saldo insuficiente"), "{r}");
    let customer = s
        .column("gollos", "SELECT cliente_id FROM pedidos LIMIT 1")
        .await[0]
        .as_i64()
        .unwrap();
    let (st, pts) = s
        .api(
            Method::GET,
            &format!("/api/clientes/cli_gollos_{customer}/puntos"),
            None,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(pts["saldo"], 0, "{pts}");
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM fidelidad_movimientos WHERE tipo = 'canje'"
        )
        .await,
        1
    );
    // "No, gracias" just answers.
    let r = say(&s, wa, &mut n, list_reply(&format!("canje:{order}:no"))).await;
    assert_eq!(body(&r), "Listo, guardamos tus puntos para otra ocasión.");
    s.stop().await;
}
