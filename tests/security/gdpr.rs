//! GDPR through the real binary: the export holds everything about one person and nothing
//! about anyone else; the erasure sweep writes a unique marker into every field a customer
//! can fill, forgets them, then searches the database file, its WAL and the server log.

use crate::support::{TestEnv, pe_mobile, unique};
use serde_json::{Value, json};

fn files_containing(env: &TestEnv, slug: &str, needles: &[String]) -> Vec<String> {
    let db = env.brand_db(slug);
    let mut hits = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.display());
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let lower = String::from_utf8_lossy(&bytes).to_lowercase();
        for n in needles {
            if lower.contains(&n.to_lowercase()) {
                hits.push(format!("{path}: {n}"));
            }
        }
    }
    hits
}

#[tokio::test]
async fn export_is_complete_and_private_and_erasure_leaves_nothing_readable() {
    let env = TestEnv::new();
    env.create_brand("gdpr", "GDPR", "PE", "America/Lima", "PEN");
    let admin = env.token(Some("gdpr"), "admin");
    let writer = env.token(Some("gdpr"), "write");
    let server = env.start();
    let api = server.api(Some(&admin));
    let marker = format!("qzmark{}", unique());
    let phone = pe_mobile();
    let person: Value = api
        .post(
            "/api/marcas/gdpr/clientes",
            &json!({"nombre": format!("Nombre {marker}"), "telefono": phone,
                    "email": format!("{marker}@example.org"),
                    "direccion": format!("Av. {marker} 123"), "notas": format!("nota {marker}"),
                    "etiquetas": [format!("tag{marker}")], "consentimiento_marketing": true}),
        )
        .await
        .ok(201);
    let other: Value = api
        .post(
            "/api/marcas/gdpr/clientes",
            &json!({"nombre": "Otra Persona Ajena", "telefono": pe_mobile()}),
        )
        .await
        .ok(201);
    let product: Value = api
        .post(
            "/api/marcas/gdpr/productos",
            &json!({"sku": "P1", "nombre": "Pollo", "precio": 1000}),
        )
        .await
        .ok(201);
    let order: Value = api
        .post(
            "/api/pedidos",
            &json!({"cliente_id": person["id"], "canal": "web", "notas": format!("pedido {marker}"),
                    "items": [{"producto_id": product["id"], "cantidad": 2}]}),
        )
        .await
        .ok(201);
    api.post(
        "/api/interacciones",
        &json!({"cliente_id": person["id"], "canal": "whatsapp", "direccion": "entrante",
                "tipo": "mensaje", "cuerpo": format!("mensaje {marker}"),
                "metadatos": {"nota": marker}}),
    )
    .await
    .ok(201);
    api.post(
        "/api/interacciones",
        &json!({"cliente_id": other["id"], "canal": "whatsapp", "direccion": "entrante",
                "tipo": "mensaje", "cuerpo": "mensaje de la otra persona"}),
    )
    .await
    .ok(201);
    let id = person["id"].as_str().unwrap().to_string();
    // Tenant V20's sealed fields: a status note, a reminder, and (written as the WhatsApp
    // path and the survey bot write them: sealed, blind-indexed) her WhatsApp identity and a
    // survey comment.
    api.put(
        &format!("/api/pedidos/{}", order["id"].as_str().unwrap()),
        &json!({"estado": "cancelado", "nota": format!("estado {marker}")}),
    )
    .await
    .ok(200);
    api.post(
        &format!("/api/clientes/{id}/recordatorios"),
        &json!({"texto": format!("llamar {marker}")}),
    )
    .await
    .ok(201);
    {
        let conn = rusqlite::Connection::open(env.brand_db("gdpr")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        autonomo::db::functions::register(&conn, "gdpr").unwrap();
        conn.execute(
            "INSERT INTO wa_contactos (cliente_id, bsuid, bsuid_bi, wa_id, wa_id_bi, nombre_perfil, username)
             SELECT id, pii_seal(?1), pii_bi('bsuid', ?1), pii_seal(?2), pii_bi('wa_id', ?2),
                    pii_seal(?3), pii_seal(?4) FROM clientes WHERE nombre = ?5",
            rusqlite::params![
                format!("PE.{marker}"),
                format!("51{phone}"),
                format!("perfil {marker}"),
                format!("@u{marker}"),
                format!("Nombre {marker}")
            ],
        )
        .unwrap();
        conn.execute(
            "UPDATE clientes SET wa_id = pii_seal(?1), wa_id_bi = pii_bi('wa_id', ?1) WHERE nombre = ?2",
            rusqlite::params![format!("51{phone}"), format!("Nombre {marker}")],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO encuestas (pedido_id, cliente_id, enviada_en, comentario)
             SELECT id, cliente_id, 1, pii_seal(?1) FROM pedidos
             WHERE cliente_id = (SELECT id FROM clientes WHERE nombre = ?2)",
            rusqlite::params![format!("comentario {marker}"), format!("Nombre {marker}")],
        )
        .unwrap();
    }

    // Right of access: a write token may not export; an admin gets everything about her.
    let denied = server
        .api(Some(&writer))
        .get(&format!("/api/clientes/{id}/exportar"))
        .await;
    assert_eq!(denied.status, 403);
    let export = api
        .get(&format!("/api/clientes/{id}/exportar"))
        .await
        .ok(200);
    let text = export.to_string();
    for field in [
        "Nombre ",
        "Av. ",
        "nota ",
        "tag",
        "pedido ",
        "mensaje ",
        "estado ",
        "llamar ",
        "PE.",
        "perfil ",
        "@u",
        "comentario ",
    ] {
        assert!(
            text.contains(&format!("{field}{marker}")),
            "{field} missing: {text}"
        );
    }
    assert!(text.contains(&format!("{marker}@example.org")));
    assert!(text.contains(&phone), "phone missing");
    assert_eq!(export["datos"]["pedidos"].as_array().unwrap().len(), 1);
    assert_eq!(export["datos"]["pedido_items"].as_array().unwrap().len(), 1);
    assert_eq!(export["datos"]["consentimientos"][0]["valor"], 1);
    assert!(
        !text.contains("Otra Persona") && !text.contains("la otra persona"),
        "{text}"
    );
    // Another brand's customer id is not reachable with this token.
    let foreign = api.get("/api/clientes/cli_otra_1/exportar").await;
    assert_eq!(foreign.status, 404);

    // The sweep sees the values while they exist (so zero hits later means something).
    let before = files_containing(&env, "gdpr", std::slice::from_ref(&marker));
    assert!(!before.is_empty(), "the sweep cannot see the marker at all");

    // A backup taken while she still exists: restoring it later must forget her again.
    let backups = env.data.join("..").join("backups");
    let made = env.cli_ok(&["backup", "local", "--to", backups.to_str().unwrap()]);
    let archive = made
        .lines()
        .find(|l| l.contains("gdpr-"))
        .unwrap_or_else(|| panic!("no archive of the brand: {made}"))
        .trim()
        .to_string();

    // Right to be forgotten.
    let writer_forget = server
        .api(Some(&writer))
        .post(&format!("/api/clientes/{id}/olvidar"), &json!({}))
        .await;
    assert_eq!(writer_forget.status, 403);
    let done = api
        .post(&format!("/api/clientes/{id}/olvidar"), &json!({}))
        .await
        .ok(200);
    assert_eq!(done["olvidado"], true);
    assert_eq!(done["archivos_limpios"], true);
    // The order stays for accounting, with the anonymous customer.
    let kept = api
        .get(&format!("/api/pedidos/{}", order["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(kept["total"], 2000);
    let gone = api.get(&format!("/api/clientes/{id}")).await.ok(200);
    assert_eq!(gone["nombre"], "Cliente olvidado");
    // Search does not find her any more.
    let found = api
        .get(&format!("/api/marcas/gdpr/clientes?q={marker}"))
        .await
        .ok(200);
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "{found}");

    // The sweep: not in the live files (server still running), nor in the log.
    let digits = phone.trim_start_matches('+').to_string();
    let needles = vec![marker.clone(), digits.clone()];
    let hits = files_containing(&env, "gdpr", &needles);
    assert!(hits.is_empty(), "erased values still readable: {hits:?}");
    let log = server.log_text().to_lowercase();
    assert!(
        !log.contains(&marker) && !log.contains(&digits),
        "in the log"
    );
    drop(server);
    let hits = files_containing(&env, "gdpr", &needles);
    assert!(
        hits.is_empty(),
        "erased values readable after shutdown: {hits:?}"
    );
    // Restoring the pre-erasure backup replays the erasure log: she is not in the copy.
    let restored = env.data.join("..").join("restored.db");
    env.cli_ok(&[
        "restore",
        "--tenant",
        "gdpr",
        "--from",
        &archive,
        "--to",
        restored.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&restored).unwrap();
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    assert!(
        text.contains("cliente olvidado"),
        "the restored copy has the customer row"
    );
    assert!(
        !text.contains(&marker) && !text.contains(&digits),
        "restored copy remembers her"
    );
    // The erasure is in the log a restore replays, and in the audit trail.
    let control = rusqlite::Connection::open(env.data.join("control.db")).unwrap();
    let logged: i64 = control
        .query_row(
            "SELECT count(*) FROM erasures WHERE marca = 'gdpr'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, 1);
    let brand = rusqlite::Connection::open(env.brand_db("gdpr")).unwrap();
    let events: Vec<String> = brand
        .prepare("SELECT accion FROM auditoria WHERE accion IN ('exportar', 'olvidar') ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(events, ["exportar", "olvidar"]);
    assert!(env.cli(&["audit", "verify"]).status.success());
}
