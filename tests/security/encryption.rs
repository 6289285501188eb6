//! Encryption at rest through the real binary: personal fields are not in the brand's files
//! while the API returns them; phone, e-mail and name searches still work; `keys rotate` under
//! a running server with writes, then `keys retire`; a missing or wrong key file stops the
//! start with a clear error and changes nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::support::{TestEnv, pe_mobile, unique};
use serde_json::{Value, json};

/// Which of `needles` appear (case-insensitive) in the brand's .db and -wal bytes.
fn in_files(env: &TestEnv, slug: &str, needles: &[&str]) -> Vec<String> {
    let mut hits = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", env.brand_db(slug).display());
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for n in needles {
            if text.contains(&n.to_lowercase()) {
                hits.push(format!("{suffix}: {n}"));
            }
        }
    }
    hits
}

fn items(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn personal_fields_are_sealed_searchable_and_rotate_without_downtime() {
    let env = TestEnv::new();
    env.create_brand("cifra", "Cifra", "PE", "America/Lima", "PEN");
    let admin = env.token(Some("cifra"), "admin");
    let server = env.start();
    let api = server.api(Some(&admin));
    let u = unique();
    let phone = pe_mobile();
    let (name, email, street, note, body) = (
        format!("Rosa Nm{u}"),
        format!("em{u}@example.org"),
        format!("Calle Ad{u} 123"),
        format!("alérgica No{u}"),
        format!("mensaje secreto Bo{u}"),
    );
    let person: Value = api
        .post(
            "/api/marcas/cifra/clientes",
            &json!({"nombre": name, "telefono": phone, "email": email, "direccion": street,
                    "notas": note}),
        )
        .await
        .ok(201);
    let id = person["id"].as_str().unwrap().to_string();
    api.post(
        "/api/interacciones",
        &json!({"cliente_id": id, "canal": "whatsapp", "direccion": "entrante",
                "tipo": "mensaje", "cuerpo": body}),
    )
    .await
    .ok(201);

    // Tenant V20's fields, written through the API: order note, status note, reminder text.
    let (order_note, status_note, reminder) = (
        format!("pedido On{u}"),
        format!("estado Sn{u}"),
        format!("llamar Rm{u}"),
    );
    let product: Value = api
        .post(
            "/api/marcas/cifra/productos",
            &json!({"sku": "C1", "nombre": "Caja", "precio": 1000}),
        )
        .await
        .ok(201);
    let order: Value = api
        .post(
            "/api/pedidos",
            &json!({"cliente_id": id, "canal": "web", "notas": order_note,
                    "items": [{"producto_id": product["id"], "cantidad": 1}]}),
        )
        .await
        .ok(201);
    let order_path = format!("/api/pedidos/{}", order["id"].as_str().unwrap());
    api.put(
        &order_path,
        &json!({"estado": "cancelado", "nota": status_note}),
    )
    .await
    .ok(200);
    api.post(
        &format!("/api/clientes/{id}/recordatorios"),
        &json!({"texto": reminder}),
    )
    .await
    .ok(201);
    let got = api.get(&order_path).await.ok(200);
    assert_eq!(got["notas"], json!(order_note), "{got}");
    assert!(got.to_string().contains(&status_note), "{got}");
    let reminders = api.get("/api/marcas/cifra/recordatorios").await.ok(200);
    assert!(reminders.to_string().contains(&reminder), "{reminders}");

    // The API returns every value in clear.
    let got = api.get(&format!("/api/clientes/{id}")).await.ok(200);
    assert_eq!(got["telefono"], format!("+51{phone}"));
    assert_eq!(
        (&got["email"], &got["direccion"], &got["notas"]),
        (&json!(email), &json!(street), &json!(note))
    );
    let thread = api
        .get(&format!("/api/clientes/{id}/interacciones"))
        .await
        .ok(200);
    assert_eq!(thread["items"][0]["cuerpo"], body, "{thread}");

    // Phone (national, spaced, international), e-mail and name searches find her.
    let spaced = format!("{} {} {}", &phone[..3], &phone[3..6], &phone[6..]);
    for q in [
        phone.clone(),
        spaced,
        format!("+51{phone}"),
        email.to_uppercase(),
        format!("Nm{u}"),
        "rosa".into(),
    ] {
        let found = api
            .get(&format!("/api/marcas/cifra/clientes?q={}", urlencode(&q)))
            .await
            .ok(200);
        assert_eq!(
            items(&found),
            std::slice::from_ref(&id),
            "search {q}: {found}"
        );
    }
    // Interaction search opens the bodies.
    let hit = api
        .get(&format!("/api/clientes/{id}/interacciones?q=bo{u}"))
        .await
        .ok(200);
    assert_eq!(hit["items"].as_array().unwrap().len(), 1, "{hit}");
    // The unique phone and e-mail rules still hold, through the blind indexes.
    let dup = api
        .post(
            "/api/marcas/cifra/clientes",
            &json!({"nombre": "Otra", "telefono": format!("+51{phone}")}),
        )
        .await;
    assert_eq!(dup.status, 409, "{:?}", dup.json());

    // Not in the files: the sweep sees the clear name (so zero hits means something).
    let digits = format!("51{phone}");
    let sealed = [
        digits.as_str(),
        phone.as_str(),
        email.as_str(),
        street.as_str(),
        note.as_str(),
        body.as_str(),
        order_note.as_str(),
        status_note.as_str(),
        reminder.as_str(),
    ];
    assert!(!in_files(&env, "cifra", &[&format!("Nm{u}")]).is_empty());
    let hits = in_files(&env, "cifra", &sealed);
    assert!(hits.is_empty(), "readable at rest: {hits:?}");

    // Rotation while the server takes writes.
    let key_file = env.data.join("master.key");
    let before = std::fs::read_to_string(&key_file).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let api = server.api(Some(&admin));
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let c: Value = api
                    .post(
                        "/api/marcas/cifra/clientes",
                        &json!({"nombre": "Durante Rotación", "telefono": pe_mobile(),
                                "notas": "escrito durante la rotación"}),
                    )
                    .await
                    .ok(201);
                ids.push(c["id"].as_str().unwrap().to_string());
            }
            ids
        })
    };
    let rotate = {
        let (bin, data) = (crate::support::BIN, env.data.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .env("RUST_LOG", "warn")
                .env_remove("AUTONOMO_MASTER_KEY_FILE")
                .args(["--data-dir", data.to_str().unwrap(), "keys", "rotate"])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    // Keep writing a little after the rotation too: the server seals with the new key.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let during = writer.await.unwrap();
    let out = String::from_utf8_lossy(&rotate.stdout);
    assert!(
        rotate.status.success(),
        "rotate failed: {out} {}",
        String::from_utf8_lossy(&rotate.stderr)
    );
    assert!(during.len() > 3, "writes went on during the rotation");
    let after = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(after.lines().filter(|l| l.starts_with("key ")).count(), 2);
    assert!(after.lines().any(|l| l.starts_with("index ")));
    assert_ne!(before, after);

    // Old key retired: only the new key is left, and every value still opens.
    let retired = env.cli_ok(&["keys", "retire"]);
    assert!(retired.contains("retir"), "{retired}");
    let left = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(left.lines().filter(|l| l.starts_with("key ")).count(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await; // server reloads the file
    let got = api.get(&format!("/api/clientes/{id}")).await.ok(200);
    assert_eq!(
        (&got["telefono"], &got["notas"]),
        (&json!(format!("+51{phone}")), &json!(note))
    );
    for cid in &during {
        let c = api.get(&format!("/api/clientes/{cid}")).await.ok(200);
        assert_eq!(c["notas"], "escrito durante la rotación");
    }
    let thread = api
        .get(&format!("/api/clientes/{id}/interacciones"))
        .await
        .ok(200);
    assert_eq!(thread["items"][0]["cuerpo"], body);
    let got = api.get(&order_path).await.ok(200);
    assert_eq!(got["notas"], json!(order_note), "{got}");
    let reminders = api.get("/api/marcas/cifra/recordatorios").await.ok(200);
    assert!(reminders.to_string().contains(&reminder), "{reminders}");
    // Blind indexes were not rotated: lookups still work.
    let found = api
        .get(&format!("/api/marcas/cifra/clientes?q={phone}"))
        .await
        .ok(200);
    assert_eq!(items(&found), std::slice::from_ref(&id));
    // A value sealed after the retirement also opens (the server sealed with the new key).
    api.post(
        "/api/marcas/cifra/clientes",
        &json!({"nombre": "Después", "notas": "nota final"}),
    )
    .await
    .ok(201);
    drop(server);

    // A missing key file: clear error, no new key created, nothing changed.
    let db_before = std::fs::read(env.brand_db("cifra")).unwrap();
    std::fs::rename(&key_file, env.data.join("kept.key")).unwrap();
    let out = env.cli(&["tenant", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("master key") && err.contains("missing"),
        "{err}"
    );
    assert!(!key_file.exists(), "a new key was made next to sealed data");
    // A wrong key file: clear error too.
    std::fs::write(&key_file, format!("key {}\n", "ab".repeat(32))).unwrap();
    let out = env.cli(&["tenant", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("does not belong"), "{err}");
    assert_eq!(std::fs::read(env.brand_db("cifra")).unwrap(), db_before);
    // The right key again: everything opens.
    std::fs::rename(env.data.join("kept.key"), &key_file).unwrap();
    env.cli_ok(&["tenant", "list"]);
}

/// What the API's JSON answer `v` holds, as text (for marker checks).
fn has(v: &Value, needle: &str) -> bool {
    v.to_string().contains(needle)
}

/// Tenant V24's fields. Loyalty notes and support tickets written through the API are not in
/// the brand's files while the API and the export return them. Values stored in clear before
/// V24 (a handoff reason, the bot's memory, provider errors in the outbox, the delivery state
/// and the status log, a loyalty note, a ticket) are sealed on the next open. After
/// `keys rotate` and `keys retire` (the old key gone, so a value not re-sealed could no longer
/// be opened) every one still reads; an erasure clears them all.
#[tokio::test]
async fn v24_loyalty_tickets_handoffs_bot_memory_and_provider_errors_are_sealed() {
    let env = TestEnv::new();
    env.create_brand("sello", "Sello", "PE", "America/Lima", "PEN");
    let admin = env.token(Some("sello"), "admin");
    let server = env.start();
    let api = server.api(Some(&admin));
    let u = unique();
    let person: Value = api
        .post(
            "/api/marcas/sello/clientes",
            &json!({"nombre": format!("Lidia Nm{u}"), "telefono": pe_mobile()}),
        )
        .await
        .ok(201);
    let id = person["id"].as_str().unwrap().to_string();
    let local: i64 = id.rsplit('_').next().unwrap().parse().unwrap();

    // Loyalty: a confirmed order earns a stamp, the stamp buys a reward. The redemption's note
    // is "Canje: <reward>"; the reward's name alone is brand configuration (clear), so the
    // files are searched for the note as written.
    api.put("/api/marcas/sello/fidelidad", &json!({"tipo": "sellos"}))
        .await
        .ok(200);
    let reward: Value = api
        .post(
            "/api/marcas/sello/fidelidad/recompensas",
            &json!({"nombre": format!("Postre Rw{u}"), "costo": 1}),
        )
        .await
        .ok(201);
    let product: Value = api
        .post(
            "/api/marcas/sello/productos",
            &json!({"sku": "S1", "nombre": "Sopa", "precio": 2500}),
        )
        .await
        .ok(201);
    let order: Value = api
        .post(
            "/api/pedidos",
            &json!({"cliente_id": id, "canal": "web",
                    "items": [{"producto_id": product["id"], "cantidad": 1}]}),
        )
        .await
        .ok(201);
    api.put(
        &format!("/api/pedidos/{}", order["id"].as_str().unwrap()),
        &json!({"estado": "confirmado"}),
    )
    .await
    .ok(200);
    api.post(
        &format!("/api/clientes/{id}/puntos/canjes"),
        &json!({"recompensa_id": reward["id"]}),
    )
    .await
    .ok(201);
    let canje = format!("Canje: Postre Rw{u}");
    // Support ticket: subject and detail as staff typed them.
    let (subject, detail) = (format!("No enciende As{u}"), format!("Llamar tarde De{u}"));
    api.post(
        &format!("/api/clientes/{id}/tickets"),
        &json!({"asunto": subject, "detalle": detail}),
    )
    .await
    .ok(201);

    let points = api.get(&format!("/api/clientes/{id}/puntos")).await.ok(200);
    assert!(has(&points, &canje), "{points}");
    let tickets = api
        .get(&format!("/api/clientes/{id}/tickets"))
        .await
        .ok(200);
    assert!(
        has(&tickets, &subject) && has(&tickets, &detail),
        "{tickets}"
    );
    let export = api
        .get(&format!("/api/clientes/{id}/exportar"))
        .await
        .ok(200);
    for v in [&canje, &subject, &detail] {
        assert!(has(&export, v), "export lacks {v}: {export}");
    }
    assert!(!in_files(&env, "sello", &[&format!("Nm{u}")]).is_empty());
    let hits = in_files(&env, "sello", &[&canje, &subject, &detail]);
    assert!(hits.is_empty(), "readable at rest: {hits:?}");
    drop(server);

    // What a brand written before V24 holds: these columns in clear. Written with the
    // application's SQL functions (the audit triggers need them), server stopped.
    let clear = [
        ("ajuste Lm", "fidelidad_movimientos.nota"),
        ("Ta", "tickets_soporte.asunto"),
        ("Td", "tickets_soporte.detalle"),
        ("Hm", "conversaciones.motivo_humano"),
        ("Bm", "wa_bot.carrito"),
        ("Om", "outbox.ultimo_error"),
        ("Sd", "wa_salientes.error_detalle"),
        ("Se", "wa_estados.errores"),
    ]
    .map(|(m, _)| format!("{m}{u}"));
    {
        let c = rusqlite::Connection::open(env.brand_db("sello")).unwrap();
        autonomo::db::functions::register(&c, "sello").unwrap();
        let [lm, ta, td, hm, bm, om, sd, se] = &clear;
        c.execute_batch(&format!(
            "INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, nota, creado_en)
                 VALUES ({local}, 'ajuste', 2, '{lm}', 1);
             INSERT INTO tickets_soporte (cliente_id, asunto, detalle, creado_en, actualizado_en)
                 VALUES ({local}, '{ta}', '{td}', 1, 1);
             INSERT INTO conversaciones (cliente_id, necesita_humano, motivo_humano, ultimo_mensaje_en, actualizado_en)
                 VALUES ({local}, 1, '{hm}', 1, 1);
             INSERT INTO wa_bot (cliente_id, carrito, actualizado_en)
                 VALUES ({local}, '[{{\"sku\":\"{bm}\",\"cantidad\":1}}]', 1);
             INSERT INTO outbox (id, servicio, destino, cuerpo, estado, proximo_intento_en, cliente_id, creado_en)
                 VALUES (900, 'whatsapp', pii_seal('51900000090'), pii_seal('{{}}'), 'enviando', 1, {local}, 1);
             UPDATE outbox SET estado = 'fallido', ultimo_error = 'WhatsApp: 131026 {om}' WHERE id = 900;
             INSERT INTO wa_salientes (outbox_id, wamid, estado, rango, error_codigo, error_detalle, actualizado_en)
                 VALUES (900, 'wamid.sello.1', 'failed', 100, 131026, '{sd}', 1);
             INSERT INTO wa_estados (wamid, estado, en, errores)
                 VALUES ('wamid.sello.1', 'failed', 1, '[{{\"code\":131026,\"details\":\"{se}\"}}]');
             UPDATE cifrado SET sellado_en = NULL;"
        ))
        .unwrap();
    }
    let markers: Vec<&str> = clear.iter().map(String::as_str).collect();
    for m in &markers {
        assert!(
            !in_files(&env, "sello", &[m]).is_empty(),
            "the sweep sees the clear {m}"
        );
    }

    // The next start seals them on the brand's first open; every read opens them.
    let server = env.start();
    let api = server.api(Some(&admin));
    let reads = |api: crate::support::Api| {
        let (id, canje, subject, detail) =
            (id.clone(), canje.clone(), subject.clone(), detail.clone());
        let clear = clear.clone();
        async move {
            let points = api.get(&format!("/api/clientes/{id}/puntos")).await.ok(200);
            assert!(has(&points, &canje) && has(&points, &clear[0]), "{points}");
            let tickets = api
                .get(&format!("/api/clientes/{id}/tickets"))
                .await
                .ok(200);
            for v in [&subject, &detail, &clear[1], &clear[2]] {
                assert!(has(&tickets, v), "{v}: {tickets}");
            }
            let conv = api.get(&format!("/api/conversaciones/{id}")).await.ok(200);
            assert_eq!(
                conv["conversacion"]["motivo_humano"],
                json!(clear[3]),
                "{conv}"
            );
            let export = api
                .get(&format!("/api/clientes/{id}/exportar"))
                .await
                .ok(200);
            assert_eq!(
                export["datos"]["wa_bot"][0]["carrito"],
                json!([{"sku": clear[4], "cantidad": 1}]),
                "{export}"
            );
            for v in [&canje, &subject, &detail, &clear[3], &clear[5]] {
                assert!(has(&export, v), "export lacks {v}: {export}");
            }
        }
    };
    reads(server.api(Some(&admin))).await;
    let mut all: Vec<&str> = markers.clone();
    all.extend([canje.as_str(), subject.as_str(), detail.as_str()]);
    let hits = in_files(&env, "sello", &all);
    assert!(hits.is_empty(), "readable at rest after the open: {hits:?}");

    // Rotation with the server running, then the old key retired: still readable.
    let out = env.cli_ok(&["keys", "rotate"]);
    assert!(out.contains("under old keys: 0"), "{out}");
    env.cli_ok(&["keys", "retire"]);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await; // server reloads the file
    reads(server.api(Some(&admin))).await;

    // The erasure clears every one of them.
    api.post(&format!("/api/clientes/{id}/olvidar"), &json!({}))
        .await
        .ok(200);
    let export = api
        .get(&format!("/api/clientes/{id}/exportar"))
        .await
        .ok(200);
    for v in &all {
        assert!(!has(&export, v), "{v} survives the erasure: {export}");
    }
    drop(server);
    let c = rusqlite::Connection::open(env.brand_db("sello")).unwrap();
    let left: i64 = c
        .query_row(
            "SELECT (SELECT COUNT(*) FROM wa_salientes WHERE error_detalle IS NOT NULL)
                  + (SELECT COUNT(*) FROM wa_estados WHERE errores IS NOT NULL)
                  + (SELECT COUNT(*) FROM fidelidad_movimientos WHERE nota IS NOT NULL)
                  + (SELECT COUNT(*) FROM outbox WHERE ultimo_error IS NOT NULL)
                  + (SELECT COUNT(*) FROM conversaciones WHERE motivo_humano IS NOT NULL)
                  + (SELECT COUNT(*) FROM wa_bot)
                  + (SELECT COUNT(*) FROM tickets_soporte WHERE asunto != '' OR detalle != '')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "values left after the erasure");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
