//! A Gollos customer earning stamps over orders, redeeming a reward on an order, and
//! cancellation reversing what an order earned or redeemed.

use serde_json::json;

use crate::Fx;

async fn stamps_program(fx: &Fx) -> i64 {
    let api = fx.api();
    api.put(
        "/api/marcas/gollos/fidelidad",
        &json!({"tipo": "sellos", "pedido_minimo": 2000}),
    )
    .await
    .ok(200);
    let r = api
        .post(
            "/api/marcas/gollos/fidelidad/recompensas",
            &json!({"nombre": "Pollo gratis", "costo": 3, "descuento": 5990}),
        )
        .await
        .ok(201);
    r["id"].as_i64().unwrap()
}

#[tokio::test]
async fn gollos_customer_earns_stamps_and_redeems_a_reward() {
    let fx = Fx::new().await;
    let reward = stamps_program(&fx).await;
    assert_eq!(
        fx.api().get("/api/marcas/gollos/fidelidad").await.ok(200)["tipo"],
        "sellos"
    );
    for _ in 0..3 {
        fx.order(1, true).await;
    }
    // Not confirmed yet: earns nothing.
    let open = fx.order(2, false).await;
    let p = fx.points().await;
    assert_eq!(p["saldo"], 3, "{p}");
    assert_eq!(p["tipo"], "sellos");
    assert_eq!(p["movimientos"].as_array().unwrap().len(), 3);

    let api = fx.api();
    let path = format!("/api/clientes/{}/puntos/canjes", fx.customer);
    let m = api
        .post(
            &path,
            &json!({"recompensa_id": reward, "pedido_id": open["id"]}),
        )
        .await
        .ok(201);
    assert_eq!(m["tipo"], "canje");
    assert_eq!(m["puntos"], -3);
    let order = api
        .get(&format!("/api/pedidos/{}", open["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(order["descuento"], fx.price);
    assert_eq!(order["total"], 2 * fx.price - fx.price);
    let lines = api
        .get(&format!(
            "/api/pedidos/{}/descuentos",
            open["id"].as_str().unwrap()
        ))
        .await
        .ok(200);
    assert_eq!(lines[0]["motivo"], "Recompensa: Pollo gratis", "{lines}");
    assert_eq!(fx.points().await["saldo"], 0);
    // No balance left: refused, and nothing written.
    api.post(&path, &json!({"recompensa_id": reward}))
        .await
        .problem(409, "conflict");
    assert_eq!(
        fx.points().await["movimientos"].as_array().unwrap().len(),
        4
    );
    // Confirming the discounted order (total 59.90 ≥ 20.00) earns its stamp.
    api.put(
        &format!("/api/pedidos/{}", open["id"].as_str().unwrap()),
        &json!({"estado": "confirmado"}),
    )
    .await
    .ok(200);
    assert_eq!(fx.points().await["saldo"], 1);
}

#[tokio::test]
async fn cancellation_reverses_earned_and_redeemed_points() {
    let fx = Fx::new().await;
    let reward = stamps_program(&fx).await;
    let api = fx.api();
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(fx.order(1, true).await);
    }
    assert_eq!(fx.points().await["saldo"], 3);
    let cancel = |id: &str| format!("/api/pedidos/{id}");
    api.put(
        &cancel(orders[0]["id"].as_str().unwrap()),
        &json!({"estado": "cancelado"}),
    )
    .await
    .ok(200);
    let p = fx.points().await;
    assert_eq!(p["saldo"], 2, "{p}");
    assert_eq!(p["movimientos"][3]["tipo"], "reverso");
    assert_eq!(p["movimientos"][3]["puntos"], -1);

    // Earn one more, redeem on an open order, cancel that order: the stamps come back.
    fx.order(1, true).await;
    let open = fx.order(1, false).await;
    api.post(
        &format!("/api/clientes/{}/puntos/canjes", fx.customer),
        &json!({"recompensa_id": reward, "pedido_id": open["id"]}),
    )
    .await
    .ok(201);
    assert_eq!(fx.points().await["saldo"], 0);
    api.put(
        &cancel(open["id"].as_str().unwrap()),
        &json!({"estado": "cancelado"}),
    )
    .await
    .ok(200);
    assert_eq!(fx.points().await["saldo"], 3);
}

#[tokio::test]
async fn another_brand_token_gets_404() {
    let fx = Fx::new().await;
    let reward = stamps_program(&fx).await;
    fx.order(1, true).await;
    let b = fx.server.api(Some(&fx.other));
    b.get(&format!("/api/clientes/{}/puntos", fx.customer))
        .await
        .problem(404, "not-found");
    b.post(
        &format!("/api/clientes/{}/puntos/canjes", fx.customer),
        &json!({"recompensa_id": reward}),
    )
    .await
    .problem(404, "not-found");
    for path in [
        "/api/marcas/gollos/fidelidad",
        "/api/marcas/gollos/fidelidad/recompensas",
        "/api/marcas/gollos/promociones",
    ] {
        b.get(path).await.problem(404, "not-found");
    }
    assert_eq!(fx.points().await["saldo"], 1);
}
