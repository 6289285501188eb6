//! Counter/phone orders, the board, the kitchen and the live event stream, through the
//! real router.

use crate::support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use support::App;
use tower::ServiceExt;

async fn catalogue(app: &App) {
    let owner = app.login("owner@x.pe").await;
    for (sku, name, cat, price, stock) in [
        ("POL-1", "Pollo broaster", "Pollos", "12.50", "10"),
        ("INK-1", "Inca Kola 500 ml", "Bebidas", "3", ""),
    ] {
        let r = app
            .post(
                "/m/gollos/productos",
                Some(&owner),
                &[
                    ("sku", sku),
                    ("nombre", name),
                    ("categoria", cat),
                    ("precio", price),
                    ("stock", stock),
                ],
                true,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

#[tokio::test]
async fn a_phone_order_finds_or_creates_the_customer_and_moves_along_the_board() {
    let app = App::new().await;
    catalogue(&app).await;
    let staff = app.login("staff@x.pe").await;
    let page = app.get("/m/gollos/pedidos/nuevo", Some(&staff)).await;
    assert!(page.body.contains("Pollo broaster") && page.body.contains("S/ 12.50"));
    // Unknown phone: the lookup offers a new customer.
    let who = app
        .get(
            "/m/gollos/pedidos/cliente?cliente=987+654+321",
            Some(&staff),
        )
        .await;
    assert!(who.body.contains("Cliente nuevo") && who.body.contains("+51987654321"));
    let r = app
        .post(
            "/m/gollos/pedidos",
            Some(&staff),
            &[
                ("cliente", "987 654 321"),
                ("nombre", "Rosa Díaz"),
                ("canal", "telefono"),
                ("q_1", "2"),
                ("q_2", "1"),
                ("notas", "Sin ají"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/m/gollos/pedidos/nuevo?hecho=1");
    // Same phone again: the customer is found, not duplicated.
    let who = app
        .get(
            "/m/gollos/pedidos/cliente?cliente=%2B51987654321",
            Some(&staff),
        )
        .await;
    assert!(who.body.contains("Rosa Díaz") && who.body.contains("1 pedidos"));
    let board = app.get("/m/gollos/pedidos", Some(&staff)).await.body;
    assert!(board.contains("Rosa Díaz") && board.contains("S/ 28.00") && board.contains("Sin ají"));
    assert!(
        board.contains("data-move=\"en_preparacion\""),
        "confirmed orders offer the next step"
    );
    // Stock was taken at confirmation.
    let products = app.get("/m/gollos/productos", Some(&staff)).await.body;
    assert!(products.contains(">8<"), "10 - 2 left: {products}");
    // One tap per step, to delivered; the board answers htmx with itself.
    for step in ["en_preparacion", "listo", "entregado"] {
        let req = Request::builder()
            .method("POST")
            .uri("/m/gollos/pedidos/1/estado")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &staff.cookie)
            .header("hx-request", "true")
            .header("x-csrf-token", &staff.csrf)
            .body(Body::from(format!("estado={step}")))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.body);
        assert!(r.body.starts_with("<div class=\"board\" id=\"board\""));
    }
    let ticket = app.get("/m/gollos/pedidos/1", Some(&staff)).await.body;
    assert!(ticket.contains("Entregado") && ticket.contains("Imprimir ticket"));
    // An illegal move is refused with the reason, and nothing changes.
    let r = app
        .post(
            "/m/gollos/pedidos/1/estado",
            Some(&staff),
            &[("estado", "cancelado")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("No se puede pasar de entregado"));
}

#[tokio::test]
async fn counter_sales_without_details_share_one_walk_in_customer() {
    let app = App::new().await;
    catalogue(&app).await;
    let staff = app.login("staff@x.pe").await;
    for _ in 0..2 {
        let r = app
            .post(
                "/m/gollos/pedidos",
                Some(&staff),
                &[("cliente", ""), ("canal", "presencial"), ("q_2", "1")],
                true,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let list = app
        .get("/m/gollos/clientes?etiqueta=mostrador", Some(&staff))
        .await
        .body;
    assert_eq!(list.matches("Cliente de mostrador</a>").count(), 1);
    // An empty order is refused and the page explains why.
    let r = app
        .post(
            "/m/gollos/pedidos",
            Some(&staff),
            &[("cliente", "987654321")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("No se pudo crear el pedido"));
    // Not enough stock: refused with the product named.
    let r = app
        .post(
            "/m/gollos/pedidos",
            Some(&staff),
            &[("cliente", ""), ("q_1", "11")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Stock insuficiente de Pollo broaster"));
}

#[tokio::test]
async fn open_screens_get_an_event_when_an_order_changes() {
    let app = App::new().await;
    catalogue(&app).await;
    let staff = app.login("staff@x.pe").await;
    let req = Request::builder()
        .uri("/m/gollos/eventos")
        .header("cookie", &staff.cookie)
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    // Let the broadcaster take its starting cursor, then change an order elsewhere.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = app
        .post(
            "/m/gollos/pedidos",
            Some(&staff),
            &[("cliente", ""), ("q_2", "1")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains("event: pedidos") {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .unwrap();
        if let Some(data) = frame.data_ref() {
            seen.push_str(&String::from_utf8_lossy(data));
        }
    }
    // Another brand's stream is not reachable for this person.
    let r = app.get("/m/eco/eventos", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn kitchen_shows_confirmed_orders_in_large_type_and_moves_them() {
    let app = App::new().await;
    catalogue(&app).await;
    let staff = app.login("staff@x.pe").await;
    app.post(
        "/m/gollos/pedidos",
        Some(&staff),
        &[("cliente", ""), ("q_1", "3")],
        true,
    )
    .await;
    let k = app.get("/m/gollos/cocina", Some(&staff)).await.body;
    assert!(k.contains("k-card new") && k.contains("3×") && k.contains("Pollo broaster"));
    let r = app
        .post(
            "/m/gollos/pedidos/1/estado",
            Some(&staff),
            &[("estado", "en_preparacion"), ("vista", "cocina")],
            true,
        )
        .await;
    assert_eq!(r.location(), "/m/gollos/cocina");
}
