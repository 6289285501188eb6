//! Encryption at rest on the WhatsApp path: a message from a customer created through the API
//! (phone stored sealed) is matched to her through the phone's blind index, and neither the
//! message body, nor the raw webhook body, nor the inbox preview is readable in the files.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_message_finds_the_sealed_customer_and_its_body_is_not_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    let (status, person) = s
        .api(
            Method::POST,
            "/api/marcas/gollos/clientes",
            Some(json!({"nombre": "Rosa Cifrada", "telefono": "+51987650001",
                        "notas": "prefiere pecho"})),
        )
        .await;
    assert_eq!(status, 201, "{person}");
    let id = person["id"].as_str().unwrap().to_string();
    let marker = "zqcuerposellado4711";
    s.post_signed(&inbound(
        NUMBER,
        "51987650001",
        "Rosa",
        "wamid.cifrado.1",
        text(&format!("hola quiero {marker}")),
    ))
    .await;
    s.settle().await;
    // Found through the blind index: no second customer, the message is hers.
    assert_eq!(s.count("gollos", "SELECT COUNT(*) FROM clientes").await, 1);
    let (status, thread) = s
        .api(
            Method::GET,
            &format!("/api/clientes/{id}/interacciones"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        thread["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["cuerpo"].as_str().unwrap_or("").contains(marker)),
        "{thread}"
    );
    // The raw webhook body is stored sealed and was still processed (above).
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM wa_eventos WHERE CAST(cuerpo AS TEXT) LIKE 'enc1:%'"
        )
        .await,
        1
    );
    let db = dir.path().join("tenants").join("gollos.db");
    let mut seen_name = false;
    for suffix in ["", "-wal"] {
        let Ok(bytes) = std::fs::read(format!("{}{suffix}", db.display())) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        seen_name |= text.contains("Rosa Cifrada");
        for needle in [marker, "+51987650001", "prefiere pecho"] {
            assert!(!text.contains(needle), "{needle} readable in {suffix}");
        }
    }
    assert!(seen_name, "the search does see the (clear) name");
    s.stop().await;
}

/// A text message from a sender with a `wa_id` (may be empty) and/or a BSUID and a username.
fn from_ids(wa_id: &str, bsuid: Option<&str>, username: &str, wamid: &str) -> Vec<u8> {
    let mut contact =
        json!({"profile": {"name": "Lia Sellada", "username": username}, "wa_id": wa_id});
    let mut message = json!({"from": wa_id, "id": wamid, "type": "text", "text": {"body": "hola"},
        "timestamp": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string()});
    if let Some(b) = bsuid {
        contact["user_id"] = json!(b);
        message["from_user_id"] = json!(b);
    }
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "104856302947731", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "51999888777", "phone_number_id": NUMBER},
            "contacts": [contact], "messages": [message]}}]}]
    }))
    .unwrap()
}

/// The query plan of `sql` (one `?1`), as one line per step.
async fn plan(s: &Server, sql: &str) -> String {
    let sql = format!("EXPLAIN QUERY PLAN {sql}");
    s.db("gollos")
        .await
        .read(move |c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(["x"], |r| r.get::<_, String>(3))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?.join("; "))
        })
        .await
        .unwrap()
}

fn files_hold(dir: &std::path::Path, needle: &str) -> bool {
    let db = dir.join("tenants").join("gollos.db");
    ["", "-wal"].iter().any(|suffix| {
        std::fs::read(format!("{}{suffix}", db.display()))
            .is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wa_id_and_bsuid_are_sealed_and_found_by_blind_index_before_and_after_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    let (wa, bsuid, username) = ("51987650002", "PE.zqbsuid4242", "@zqusuario4242");
    s.post_signed(&from_ids(wa, Some(bsuid), username, "wamid.sel.1"))
        .await;
    s.settle().await;
    assert_eq!(s.count("gollos", "SELECT COUNT(*) FROM clientes").await, 1);
    let id = s.count("gollos", "SELECT id FROM clientes").await;
    // Stored sealed, with blind indexes; opened they are the ids as received.
    assert_eq!(
        s.column(
            "gollos",
            "SELECT (wa_id LIKE 'enc1:%') + (bsuid LIKE 'enc1:%') + (username LIKE 'enc1:%')
                    + (nombre_perfil LIKE 'enc1:%') + (wa_id_bi IS NOT NULL) + (bsuid_bi IS NOT NULL)
             FROM wa_contactos"
        )
        .await,
        vec![json!(6)]
    );
    assert_eq!(
        s.column(
            "gollos",
            "SELECT pii_open(w.wa_id) || '|' || pii_open(w.bsuid) || '|' || pii_open(w.username)
                    || '|' || pii_open(c.wa_id) || '|' || (c.wa_id LIKE 'enc1:%')
             FROM wa_contactos w JOIN clientes c ON c.id = w.cliente_id"
        )
        .await,
        vec![json!(format!("{wa}|{bsuid}|{username}|{wa}|1"))]
    );
    // Each webhook lookup is one index seek on a blind index, not a scan.
    for (sql, index) in [
        (
            "SELECT cliente_id FROM wa_contactos WHERE bsuid_bi = pii_bi('bsuid', ?1)",
            "wa_contactos_bsuid_bi",
        ),
        (
            "SELECT cliente_id FROM wa_contactos WHERE wa_id_bi = pii_bi('wa_id', ?1)",
            "wa_contactos_wa_id_bi",
        ),
        (
            "SELECT id FROM clientes WHERE wa_id_bi = pii_bi('wa_id', ?1)",
            "clientes_wa_id_bi",
        ),
    ] {
        let p = plan(&s, sql).await;
        assert!(p.contains("SEARCH") && p.contains(index), "{sql}: {p}");
    }
    // Found again by BSUID alone, and by wa_id alone: still one customer.
    s.post_signed(&from_ids("", Some(bsuid), username, "wamid.sel.2"))
        .await;
    s.post_signed(&from_ids(wa, None, username, "wamid.sel.3"))
        .await;
    s.settle().await;
    assert_eq!(s.count("gollos", "SELECT COUNT(*) FROM clientes").await, 1);
    let mine = format!(
        "SELECT COUNT(*) FROM interacciones WHERE cliente_id = {id} AND direccion = 'entrante'"
    );
    assert_eq!(s.count("gollos", &mine).await, 3);
    // Not readable in the files (the customer's name is: the sweep can see).
    assert!(files_hold(dir.path(), "Lia Sellada"));
    for needle in [wa, bsuid, username] {
        assert!(!files_hold(dir.path(), needle), "{needle} readable at rest");
    }

    // `keys rotate` (the real binary, server running) re-seals the new columns too…
    let before = s
        .column("gollos", "SELECT bsuid || wa_id FROM wa_contactos")
        .await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autonomo"))
        .env("RUST_LOG", "warn")
        .env_remove("AUTONOMO_MASTER_KEY_FILE")
        .args(["--data-dir", dir.path().to_str().unwrap(), "keys", "rotate"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("con claves antiguas / under old keys: 0"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_ne!(
        s.column("gollos", "SELECT bsuid || wa_id FROM wa_contactos")
            .await,
        before
    );
    // …and the lookups still find her, by BSUID and by wa_id.
    s.post_signed(&from_ids("", Some(bsuid), username, "wamid.sel.4"))
        .await;
    s.post_signed(&from_ids(wa, None, username, "wamid.sel.5"))
        .await;
    s.settle().await;
    assert_eq!(s.count("gollos", "SELECT COUNT(*) FROM clientes").await, 1);
    assert_eq!(s.count("gollos", &mine).await, 5);
    s.stop().await;
}

/// Values stored in clear before tenant V20 are sealed on the next open, as V18's were: the
/// migration clears `cifrado.sellado_en`, which makes the open run the sealing pass again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_values_from_before_v20_are_sealed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    // What a brand written before V20 holds: the new columns in clear, no blind indexes.
    s.exec(
        "gollos",
        "INSERT INTO clientes (id, nombre, wa_id, canal_adquisicion, creado_en, actualizado_en)
             VALUES (7, 'Antigua Clara', '51900000077', 'whatsapp', 1, 1);
         INSERT INTO wa_contactos (cliente_id, bsuid, wa_id, nombre_perfil, username)
             VALUES (7, 'PE.zqviejo77', '51900000077', 'zqperfil77', '@zqviejo77');
         INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, notas, creado_en, actualizado_en)
             VALUES (70, 7, 'web', 'entregado', 100, 100, 'zqnotapedido77', 1, 1);
         INSERT INTO pedido_estados (pedido_id, estado, actor, nota, creado_en)
             VALUES (70, 'entregado', 'x', 'zqnotaestado77', 1);
         INSERT INTO encuestas (pedido_id, cliente_id, enviada_en, comentario) VALUES (70, 7, 1, 'zqcomentario77');
         INSERT INTO recordatorios (cliente_id, texto, vence_en, origen, creado_por, creado_en)
             VALUES (7, 'zqrecordatorio77', 1, 'manual', 'x', 1);
         INSERT INTO outbox (servicio, destino, cuerpo, proximo_intento_en, creado_en, estado)
             VALUES ('whatsapp', '51900000077', '{}', 1, 1, 'enviado');
         UPDATE cifrado SET sellado_en = NULL;",
    )
    .await;
    s.stop().await;
    let s = Server::start(dir.path(), Options::default()).await;
    // The first access opens the brand, which seals (and indexes) what is still clear.
    assert_eq!(
        s.count(
            "gollos",
            "SELECT (SELECT wa_id_bi = pii_bi('wa_id', '51900000077') AND wa_id LIKE 'enc1:%' FROM clientes WHERE id = 7)
                  + (SELECT bsuid_bi = pii_bi('bsuid', 'PE.zqviejo77') AND wa_id_bi = pii_bi('wa_id', '51900000077')
                            AND username LIKE 'enc1:%' AND nombre_perfil LIKE 'enc1:%' FROM wa_contactos)
                  + (SELECT notas LIKE 'enc1:%' FROM pedidos) + (SELECT nota LIKE 'enc1:%' FROM pedido_estados)
                  + (SELECT comentario LIKE 'enc1:%' FROM encuestas) + (SELECT texto LIKE 'enc1:%' FROM recordatorios)
                  + (SELECT destino LIKE 'enc1:%' FROM outbox)
                  + (SELECT sellado_en IS NOT NULL FROM cifrado)"
        )
        .await,
        8
    );
    // A message from the old ids finds the old customer.
    s.post_signed(&from_ids(
        "",
        Some("PE.zqviejo77"),
        "@zqviejo77",
        "wamid.v.1",
    ))
    .await;
    s.post_signed(&from_ids("51900000077", None, "@zqviejo77", "wamid.v.2"))
        .await;
    s.settle().await;
    assert_eq!(s.count("gollos", "SELECT COUNT(*) FROM clientes").await, 1);
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM interacciones WHERE cliente_id = 7 AND direccion = 'entrante'"
        )
        .await,
        2
    );
    s.stop().await;
    // After a clean shutdown the clear copies are gone from the files too.
    assert!(files_hold(dir.path(), "Antigua Clara"));
    for needle in [
        "zqviejo77",
        "zqperfil77",
        "51900000077",
        "zqnotapedido77",
        "zqnotaestado77",
        "zqcomentario77",
        "zqrecordatorio77",
    ] {
        assert!(!files_hold(dir.path(), needle), "{needle} readable at rest");
    }
}

/// Tenant V24 on the live WhatsApp path: what the person asked the bot for (its cart), the
/// handoff reason, and provider errors (a refused send, a failed-status callback: kept in the
/// outbox, the delivery state and the status log) are stored sealed, read back opened, and
/// are not in the files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_memory_handoff_reason_and_provider_errors_are_sealed() {
    let fake = FakeGraph::start().await;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        Options {
            api_base: fake.base(),
            ..Options::default()
        },
    )
    .await;
    s.brand("gollos", NUMBER, "PEN").await;
    seed_gollos(&s, "gollos").await;
    let wa = "51987650088";
    // The reply to the first message is refused (the outbox keeps the reason).
    fake.push(400, outbound("error_100_invalid_param.response.json"));
    s.post_signed(&inbound(
        NUMBER,
        wa,
        "Nora",
        "wamid.v24.1",
        text("2 broaster"),
    ))
    .await;
    s.settle().await;
    wait_until(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'fallido'",
        1,
    )
    .await;
    // The bot remembers the cart, sealed.
    assert_eq!(
        s.column(
            "gollos",
            "SELECT (carrito LIKE 'enc1:%') || ' ' || pii_open(carrito) FROM wa_bot"
        )
        .await,
        vec![json!(r#"1 [{"sku":"BROASTER","cantidad":2}]"#)]
    );
    // A handoff: the reason is sealed.
    s.post_signed(&inbound(
        NUMBER,
        wa,
        "Nora",
        "wamid.v24.2",
        text("quiero hablar con una persona"),
    ))
    .await;
    s.settle().await;
    wait_until(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'enviado'",
        1,
    )
    .await;
    // The sent reply fails later: the status callback's error is kept three times.
    let (outbox_id, wamid) = {
        let row = s
            .column(
                "gollos",
                "SELECT id || ' ' || external_id FROM outbox WHERE estado = 'enviado'",
            )
            .await;
        let row = row[0].as_str().unwrap().to_owned();
        let (id, wamid) = row.split_once(' ').unwrap();
        (id.to_owned(), wamid.to_owned())
    };
    let status = String::from_utf8(status_body(
        NUMBER,
        &wamid,
        "failed",
        1_700_000_000,
        Some(&format!("ob:{outbox_id}")),
        Some(131026),
    ))
    .unwrap()
    .replace("detalle 131026", "zqestado4713 undeliverable");
    s.post_signed(status.as_bytes()).await;
    s.settle().await;
    wait_until(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'fallido'",
        2,
    )
    .await;
    assert_eq!(
        s.count(
            "gollos",
            "SELECT (SELECT COUNT(*) FROM outbox WHERE ultimo_error LIKE 'enc1:%')
                  + (SELECT COUNT(*) FROM conversaciones WHERE motivo_humano LIKE 'enc1:%')
                  + (SELECT COUNT(*) FROM wa_salientes WHERE error_detalle LIKE 'enc1:%')
                  + (SELECT COUNT(*) FROM wa_estados WHERE errores LIKE 'enc1:%')"
        )
        .await,
        5
    );
    // Read back opened: the API (handoff reason) and the person's export (errors, cart).
    let (status, thread) = s
        .api(Method::GET, "/api/conversaciones/cli_gollos_1", None)
        .await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(
        thread["conversacion"]["motivo_humano"], "El cliente pidió hablar con una persona",
        "{thread}"
    );
    let (status, export) = s
        .api(Method::GET, "/api/clientes/cli_gollos_1/exportar", None)
        .await;
    assert_eq!(status, 200, "{export}");
    let text = export.to_string();
    let refused = "parámetro inválido (código 100)";
    for needle in [refused, "zqestado4713", "BROASTER"] {
        assert!(text.contains(needle), "export lacks {needle}: {export}");
    }
    assert_eq!(
        s.column(
            "gollos",
            "SELECT pii_open(error_detalle) FROM wa_salientes WHERE error_detalle IS NOT NULL"
        )
        .await,
        vec![json!("zqestado4713 undeliverable")]
    );
    s.stop().await;
    assert!(files_hold(dir.path(), "Nora"), "the sweep sees clear text");
    for needle in [
        refused,
        "zqestado4713",
        "pidió hablar con una persona",
        // The product's own audit record has `"sku":"BROASTER"` too: the cart's shape.
        r#""sku":"BROASTER","cantidad""#,
    ] {
        assert!(!files_hold(dir.path(), needle), "{needle} readable at rest");
    }
}

async fn wait_until(s: &Server, sql: &str, want: i64) {
    for _ in 0..600 {
        if s.count("gollos", sql).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for `{sql}` = {want}");
}
