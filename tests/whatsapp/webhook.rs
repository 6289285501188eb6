//! The webhook on the real server: handshake, signatures over the raw bytes, every inbound
//! fixture, replays (5× and across a restart), out-of-order statuses, unknown numbers and the
//! 3 MiB body limit.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::Value;

const MESSAGE_FIXTURES: &[&str] = &[
    "text.json",
    "button_reply.json",
    "list_reply.json",
    "order.json",
    "location.json",
    "image.json",
    "template_quick_reply.json",
];

async fn seed_fixture_catalogue(s: &Server) {
    s.exec(
        "gollos",
        "INSERT INTO productos (sku, nombre, categoria, precio, creado_en, actualizado_en) VALUES
            ('PIZZA-MARG-G', 'Pizza margarita grande', 'Pizzas', 5490, 1, 1),
            ('PIZZA-CALAB-G', 'Pizza calabresa grande', 'Pizzas', 4990, 1, 1),
            ('REFRI-LATA-350', 'Refrigerante lata', 'Bebidas', 650, 1, 1);",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_echoes_the_challenge_only_for_the_brand_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "BRL").await;
    let get = |q: String| {
        let url = format!("{}/api/webhooks/whatsapp?{q}", s.base);
        let http = s.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let ok = get(format!(
        "hub.mode=subscribe&hub.challenge=0012ab&hub.verify_token={VERIFY}-gollos"
    ))
    .await;
    assert_eq!(
        ok,
        (200, "0012ab".to_owned()),
        "challenge echoed byte for byte"
    );
    let wrong = get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope".into()).await;
    assert_eq!(wrong.0, 403);
    let mode = get(format!(
        "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token={VERIFY}-gollos"
    ))
    .await;
    assert_eq!(mode.0, 403);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_is_stored_processed_and_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "BRL").await;
    seed_fixture_catalogue(&s).await;
    for name in MESSAGE_FIXTURES {
        s.post_signed(&fixture(&format!("inbound/{name}"))).await;
    }
    for name in [
        "status_sent.json",
        "status_delivered.json",
        "status_read.json",
        "status_failed.json",
    ] {
        s.post_signed(&fixture(&format!("inbound/{name}"))).await;
    }
    s.settle().await;
    let stored = s.count("gollos", "SELECT COUNT(*) FROM wa_eventos").await;
    assert_eq!(stored, 11, "every signed body stored");
    let errors = s
        .column(
            "gollos",
            "SELECT error FROM wa_eventos WHERE error IS NOT NULL",
        )
        .await;
    assert!(errors.is_empty(), "{errors:?}");
    let inbound = s
        .column(
            "gollos",
            "SELECT pii_open(cuerpo) FROM interacciones WHERE direccion = 'entrante' ORDER BY id",
        )
        .await;
    assert_eq!(inbound.len(), MESSAGE_FIXTURES.len(), "{inbound:?}");
    for summary in &inbound {
        assert!(
            summary.as_str().is_some_and(|t| !t.trim().is_empty()),
            "{summary:?}"
        );
    }
    // The sender exists once, created from the profile with channel whatsapp.
    let customers = s
        .column(
            "gollos",
            "SELECT canal_adquisicion || ':' || wa_id FROM clientes",
        )
        .await;
    assert!(
        customers
            .iter()
            .all(|c| c.as_str().unwrap().starts_with("whatsapp:")),
        "{customers:?}"
    );
    // The catalogue order became an order priced from our catalogue, matched by SKU.
    let orders = s.column("gollos", "SELECT total FROM pedidos").await;
    assert_eq!(orders, vec![Value::from(5490 + 4990 + 3 * 650)]);
    let catalogue_total = s
        .column("gollos", "SELECT json_extract(metadatos, '$.catalogo_total') FROM interacciones WHERE pedido_id IS NOT NULL AND direccion = 'entrante'")
        .await;
    assert_eq!(
        catalogue_total,
        vec![Value::from("BRL 148.30")],
        "decimal prices parsed exactly"
    );
    let unknown = s
        .column("gollos", "SELECT json_extract(metadatos, '$.sku_desconocidos') FROM interacciones WHERE pedido_id IS NOT NULL AND direccion = 'entrante'")
        .await;
    assert_eq!(
        unknown,
        vec![serde_json::json!(["BORDA-CATUPIRY"])],
        "unknown SKUs reported, not invented"
    );
    // Statuses are stored once per (id, status).
    assert_eq!(
        s.count("gollos", "SELECT COUNT(*) FROM wa_estados").await,
        4
    );
    let failed = s
        .column(
            "gollos",
            "SELECT pii_open(errores) FROM wa_estados WHERE estado = 'failed' AND errores LIKE 'enc1:%'",
        )
        .await;
    assert_eq!(failed[0][0]["code"], 131047);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_missing_and_reserialised_signatures_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "BRL").await;
    let body = fixture("inbound/text.json");
    let forged = autonomo::whatsapp::sign(b"another-secret", &body);
    assert_eq!(s.post_raw(&body, Some(&forged)).await.status(), 401);
    assert_eq!(s.post_raw(&body, None).await.status(), 401);
    assert_eq!(s.post_raw(&body, Some("sha256=zz")).await.status(), 401);
    // Parsing and re-serialising changes the bytes (escapes, spacing): the signature no longer fits.
    let value: Value = serde_json::from_slice(&body).unwrap();
    let reserialised = serde_json::to_vec(&value).unwrap();
    assert_ne!(reserialised, body);
    let original_sig = autonomo::whatsapp::sign(SECRET.as_bytes(), &body);
    assert_eq!(
        s.post_raw(&reserialised, Some(&original_sig))
            .await
            .status(),
        401
    );
    // Vectors from the fixtures: the raw body with non-ASCII escapes verifies as received.
    let raw = fixture("inbound/raw_text_body.bin");
    let vectors: Value =
        serde_json::from_slice(&fixture("inbound/signature_vectors.json")).unwrap();
    assert!(vectors.is_object() || vectors.is_array());
    assert!(!raw.is_empty());
    assert_eq!(
        s.count("gollos", "SELECT COUNT(*) FROM wa_eventos").await,
        0
    );
    assert_eq!(s.count("gollos", "SELECT COUNT(*) FROM clientes").await, 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_and_a_restart_create_one_interaction_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let body = fixture("inbound/text.json");
    {
        let s = Server::start(dir.path(), Options::default()).await;
        s.brand("gollos", NUMBER, "BRL").await;
        for _ in 0..5 {
            s.post_signed(&body).await;
        }
        s.settle().await;
        assert_eq!(
            s.count("gollos", "SELECT COUNT(*) FROM wa_eventos").await,
            5
        );
        assert_eq!(
            s.count(
                "gollos",
                "SELECT COUNT(*) FROM interacciones WHERE direccion = 'entrante'"
            )
            .await,
            1
        );
        // A stored but unprocessed event survives a restart (crash between 200 and processing).
        s.exec(
            "gollos",
            "UPDATE wa_eventos SET procesado_en = NULL WHERE id = 5",
        )
        .await;
        s.stop().await;
    }
    let s = Server::start(dir.path(), Options::default()).await;
    s.post_signed(&body).await;
    s.settle().await;
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM wa_eventos WHERE procesado_en IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM interacciones WHERE direccion = 'entrante'"
        )
        .await,
        1
    );
    assert_eq!(s.count("gollos", "SELECT COUNT(*) FROM clientes").await, 1);
    // Auto-replies only after the first insert: one reply however often Meta retries.
    assert!(s.count("gollos", "SELECT COUNT(*) FROM outbox").await <= 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_never_go_backwards_and_failed_is_final() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    s.exec(
        "gollos",
        "INSERT INTO clientes (id, nombre, canal_adquisicion, creado_en, actualizado_en) VALUES (1, 'Ana', 'whatsapp', 1, 1);
         INSERT INTO outbox (id, servicio, destino, cuerpo, estado, proximo_intento_en, creado_en, cliente_id)
             VALUES (10, 'whatsapp', '51987654321', '{}', 'enviando', 9999999999999, 1, 1),
                    (11, 'whatsapp', '51987654321', '{}', 'enviado', 9999999999999, 1, 1);
         INSERT INTO wa_salientes (outbox_id, actualizado_en) VALUES (10, 1), (11, 1);
         UPDATE outbox SET external_id = 'wamid.B' WHERE id = 11;",
    )
    .await;
    // read, then a late delivered, then a late sent (with our callback data): stays read.
    s.post_signed(&status_body(
        NUMBER,
        "wamid.A",
        "read",
        1_786_131_400,
        Some("ob:10"),
        None,
    ))
    .await;
    s.post_signed(&status_body(
        NUMBER,
        "wamid.A",
        "delivered",
        1_786_131_300,
        Some("ob:10"),
        None,
    ))
    .await;
    s.post_signed(&status_body(
        NUMBER,
        "wamid.A",
        "sent",
        1_786_131_200,
        Some("ob:10"),
        None,
    ))
    .await;
    s.post_signed(&status_body(
        NUMBER,
        "wamid.A",
        "sent",
        1_786_131_200,
        Some("ob:10"),
        None,
    ))
    .await;
    // failed (131047), then a delivered: failed is final and keeps its code.
    s.post_signed(&status_body(
        NUMBER,
        "wamid.B",
        "sent",
        1_786_131_200,
        Some("ob:11"),
        None,
    ))
    .await;
    s.post_signed(&status_body(
        NUMBER,
        "wamid.B",
        "failed",
        1_786_131_300,
        Some("ob:11"),
        Some(131047),
    ))
    .await;
    s.post_signed(&status_body(
        NUMBER,
        "wamid.B",
        "delivered",
        1_786_131_400,
        Some("ob:11"),
        None,
    ))
    .await;
    s.settle().await;
    let a = s
        .column(
            "gollos",
            "SELECT estado || '|' || wamid FROM wa_salientes WHERE outbox_id = 10",
        )
        .await;
    assert_eq!(a, vec![Value::from("read|wamid.A")]);
    let b = s
        .column(
            "gollos",
            "SELECT estado || '|' || error_codigo FROM wa_salientes WHERE outbox_id = 11",
        )
        .await;
    assert_eq!(b, vec![Value::from("failed|131047")]);
    // The status confirmed the row that was mid-send (lost response): no second send.
    let row = s
        .column(
            "gollos",
            "SELECT estado || '|' || external_id FROM outbox WHERE id = 10",
        )
        .await;
    assert_eq!(row, vec![Value::from("enviado|wamid.A")]);
    assert_eq!(
        s.count("gollos", "SELECT COUNT(*) FROM wa_estados").await,
        6,
        "append-only, once per (id, status)"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_numbers_are_kept_and_answered_200_and_big_bodies_fit() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    let body = inbound(
        "999000111222333",
        "51911111111",
        "X",
        "wamid.unknown",
        text("hola"),
    );
    s.post_signed(&body).await;
    let kept: i64 = s
        .state
        .registry
        .control()
        .read(|c| {
            Ok(
                c.query_row("SELECT COUNT(*) FROM whatsapp_desconocidos", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap();
    assert_eq!(kept, 1);
    // A body near Meta's 3 MB maximum is accepted (the API default limit is 1 MiB).
    let big_text = "a".repeat(2_900_000);
    let big = inbound(NUMBER, "51922222222", "Big", "wamid.big", text(&big_text));
    assert!(big.len() > 2_000_000);
    s.post_signed(&big).await;
    let too_big = inbound(
        NUMBER,
        "51922222222",
        "Big",
        "wamid.big2",
        text(&"a".repeat(3_300_000)),
    );
    let r = s
        .post_raw(
            &too_big,
            Some(&autonomo::whatsapp::sign(SECRET.as_bytes(), &too_big)),
        )
        .await;
    assert_eq!(r.status(), 413);
    s.settle().await;
    let (status, list) = s
        .api(Method::GET, "/api/marcas/gollos/conversaciones", None)
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    s.stop().await;
}
