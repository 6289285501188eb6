//! The audit trail end to end: API changes and denied attempts land in the brand's chain with
//! the acting token; `autonomo audit verify` passes, then fails once a row is tampered with.

use crate::support::{TestEnv, pe_mobile};
use serde_json::{Value, json};

fn rows(env: &TestEnv, slug: &str) -> Vec<(String, String, String, Option<i64>, String)> {
    let c = rusqlite::Connection::open(env.brand_db(slug)).unwrap();
    let mut stmt = c
        .prepare("SELECT actor, tabla, accion, fila_id, cambios FROM auditoria ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[tokio::test]
async fn api_changes_and_denials_are_chained_and_tampering_is_detected() {
    let env = TestEnv::new();
    env.create_brand("uno", "Uno", "PE", "America/Lima", "PEN");
    env.create_brand("dos", "Dos", "PE", "America/Lima", "PEN");
    let writer = env.token(Some("uno"), "write");
    let reader = env.token(Some("uno"), "read");
    let other = env.token(Some("dos"), "write");
    let server = env.start();
    let api = server.api(Some(&writer));
    let phone = pe_mobile();
    let c: Value = api
        .post(
            "/api/marcas/uno/clientes",
            &json!({"nombre": "Zoraida Auditada", "telefono": phone, "notas": "secreto"}),
        )
        .await
        .ok(201);
    let id = c["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| c["id"].to_string());
    api.put(
        &format!("/api/clientes/{id}"),
        &json!({"nombre": "Zoraida A."}),
    )
    .await
    .ok(200);
    // Denied: a read token writing, and another brand's token reaching in.
    let denied = server
        .api(Some(&reader))
        .post("/api/marcas/uno/clientes", &json!({"nombre": "No"}))
        .await;
    assert_eq!(denied.status, 403);
    let hidden = server
        .api(Some(&other))
        .get("/api/marcas/uno/clientes")
        .await;
    assert_eq!(hidden.status, 404);
    drop(server);

    let all = rows(&env, "uno");
    let inserts: Vec<_> = all
        .iter()
        .filter(|r| r.1 == "clientes" && r.2 == "insert")
        .collect();
    assert_eq!(inserts.len(), 1, "{all:?}");
    assert!(inserts[0].0.starts_with("token:"), "{all:?}");
    let update = all
        .iter()
        .find(|r| r.1 == "clientes" && r.2 == "update")
        .expect("update recorded");
    assert_eq!(update.0, inserts[0].0, "same token acted");
    assert!(
        update.4.contains("\"nombre\":[\"***\",\"***\"]"),
        "{}",
        update.4
    );
    let denials: Vec<_> = all.iter().filter(|r| r.2 == "denegado").collect();
    assert_eq!(denials.len(), 2, "{all:?}");
    assert!(
        denials
            .iter()
            .all(|d| d.0.starts_with("token:") && d.0 != inserts[0].0)
    );
    // Personal values never reach the trail.
    let text = format!("{all:?}");
    assert!(!text.contains("Zoraida") && !text.contains("secreto") && !text.contains(&phone[3..]));

    let ok = env.cli(&["audit", "verify"]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("uno: ok"));

    // An attacker with the file: drops the guard and edits one record.
    let c = rusqlite::Connection::open(env.brand_db("uno")).unwrap();
    c.execute_batch(
        "DROP TRIGGER auditoria_sin_update;
         UPDATE auditoria SET actor = 'user:1' WHERE id = (SELECT min(id) FROM auditoria);",
    )
    .unwrap();
    drop(c);
    let bad = env.cli(&["audit", "verify", "--tenant", "uno"]);
    assert!(!bad.status.success());
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(out.contains("uno: ROTA / BROKEN at #1"), "{out}");
    // The other brand's chain is its own and intact.
    assert!(
        env.cli(&["audit", "verify", "--tenant", "dos"])
            .status
            .success()
    );
}
