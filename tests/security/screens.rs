//! The security screens in the staff UI: the audit trail for managers (filters, chain state,
//! closed to staff) and the GDPR buttons on a customer's page.

use autonomo::tenants::Slug;
use axum::http::StatusCode;

use crate::ui_support::App;

async fn add_customer(app: &App, name: &str, phone: &str) -> i64 {
    let t = app
        .state
        .registry
        .tenant(&Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    let (name, phone) = (name.to_string(), phone.to_string());
    t.db()
        .write_as("user:99", move |c| {
            c.execute(
                "INSERT INTO clientes (nombre, telefono, notas, canal_adquisicion, creado_en, actualizado_en)
                 VALUES (?1, ?2, 'nota privada', 'web', 1, 1)",
                rusqlite::params![name, phone],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn audit_screen_is_for_managers_and_filters() {
    let app = App::new().await;
    let id = add_customer(&app, "Rosa Auditada", "+51911000001").await;
    let manager = app.login("manager@x.pe").await;
    // The login itself is in the installation's trail, as the person who logged in.
    let logins: Vec<String> = app
        .state
        .registry
        .control()
        .read(|c| {
            let mut s = c.prepare(
                "SELECT actor FROM auditoria WHERE tabla = 'sesiones' AND accion = 'insert'",
            )?;
            let rows = s.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert!(logins[0].starts_with("user:"));
    let page = app.get("/m/gollos/auditoria", Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-audit-ok"), "{}", page.body);
    assert!(page.body.contains("user:99"));
    assert!(
        !page.body.contains("Rosa Auditada"),
        "personal values are masked"
    );
    let filtered = app
        .get(
            &format!("/m/gollos/auditoria?tabla=clientes&fila={id}&actor=user%3A99&accion=insert"),
            Some(&manager),
        )
        .await;
    assert!(filtered.body.contains("user:99"));
    let none = app
        .get("/m/gollos/auditoria?actor=nadie", Some(&manager))
        .await;
    assert!(!none.body.contains("user:99"));
    // Staff may not read the trail; the attempt itself is recorded.
    let staff = app.login("staff@x.pe").await;
    let denied = app.get("/m/gollos/auditoria", Some(&staff)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let after = app
        .get("/m/gollos/auditoria?accion=denegado", Some(&manager))
        .await;
    assert!(after.body.contains("denegado"), "{}", after.body);
}

#[tokio::test]
async fn forget_button_erases_and_export_downloads() {
    let app = App::new().await;
    let id = add_customer(&app, "Olga Olvidable", "+51911000002").await;
    let staff = app.login("staff@x.pe").await;
    let show = app
        .get(&format!("/m/gollos/clientes/{id}"), Some(&staff))
        .await;
    assert!(
        !show.body.contains("data-gdpr"),
        "staff sees no GDPR buttons"
    );
    let refused = app
        .post(
            &format!("/m/gollos/clientes/{id}/olvidar"),
            Some(&staff),
            &[("confirmar", "si")],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let manager = app.login("manager@x.pe").await;
    let show = app
        .get(&format!("/m/gollos/clientes/{id}"), Some(&manager))
        .await;
    assert!(show.body.contains("data-gdpr"));
    let export = app
        .get(
            &format!("/m/gollos/clientes/{id}/exportar.json"),
            Some(&manager),
        )
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.body.contains("Olga Olvidable") && export.body.contains("nota privada"));
    // Without the CSRF token the form is refused.
    let no_csrf = app
        .post(
            &format!("/m/gollos/clientes/{id}/olvidar"),
            Some(&manager),
            &[("confirmar", "si")],
            false,
        )
        .await;
    assert_ne!(no_csrf.status, StatusCode::SEE_OTHER);
    let done = app
        .post(
            &format!("/m/gollos/clientes/{id}/olvidar"),
            Some(&manager),
            &[("confirmar", "si")],
            true,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let show = app
        .get(&format!("/m/gollos/clientes/{id}"), Some(&manager))
        .await;
    assert!(show.body.contains("Cliente olvidado"));
    assert!(!show.body.contains("Olga") && !show.body.contains("nota privada"));
}
