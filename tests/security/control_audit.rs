//! The installation's own trail (control database): brands, tokens and staff changes made
//! from the CLI and the API carry their actor; `audit verify` checks it and catches tampering.

use crate::support::TestEnv;
use serde_json::json;

fn rows(env: &TestEnv) -> Vec<(String, String, String, String)> {
    let c = rusqlite::Connection::open(env.data.join("control.db")).unwrap();
    let mut stmt = c
        .prepare("SELECT actor, tabla, accion, cambios FROM auditoria ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn cli_and_api_changes_of_the_installation_are_audited() {
    let env = TestEnv::new();
    env.create_brand("ctl", "Control", "PE", "America/Lima", "PEN");
    let admin = env.token(Some("ctl"), "admin");
    let all = rows(&env);
    assert!(
        all.iter()
            .any(|r| r.0 == "system:cli" && r.1 == "marcas" && r.2 == "insert"),
        "{all:?}"
    );
    let token = all
        .iter()
        .find(|r| r.1 == "api_tokens" && r.2 == "insert")
        .expect("token creation audited");
    assert_eq!(token.0, "system:cli");
    assert!(token.3.contains("\"hash\":\"***\""), "{}", token.3);

    let server = env.start();
    server
        .api(Some(&admin))
        .put("/api/marcas/ctl", &json!({"nombre": "Control 2"}))
        .await
        .ok(200);
    drop(server);
    let all = rows(&env);
    let update = all
        .iter()
        .find(|r| r.1 == "marcas" && r.2 == "update")
        .unwrap_or_else(|| panic!("brand update not audited: {all:?}"));
    assert!(update.0.starts_with("token:"), "{update:?}");
    assert!(update.3.contains("Control 2"), "{update:?}");

    let ok = env.cli(&["audit", "verify"]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("control: ok"));
    let c = rusqlite::Connection::open(env.data.join("control.db")).unwrap();
    c.execute_batch(
        "DROP TRIGGER auditoria_sin_delete;
         DELETE FROM auditoria WHERE id = 1;",
    )
    .unwrap();
    drop(c);
    let bad = env.cli(&["audit", "verify"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("control: ROTA / BROKEN at #2"));
}
