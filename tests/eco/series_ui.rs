//! The education series screens through the real router: create a series and a step from the
//! forms, a bad step refused without a change, enrol an opted-in customer (one without
//! consent refused), the job's send shown as progress, removal, CSRF required, and a user of
//! another brand refused.

use std::sync::Arc;

use axum::http::StatusCode;

use crate::ui_support::App;

async fn eco(app: &App) -> Arc<autonomo::tenants::Tenant> {
    app.state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("eco").unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn series_screens_define_steps_enrol_and_show_progress() {
    let app = App::new().await;
    let t = eco(&app).await;
    t.db()
        .write(|c| {
            for (name, phone, consent) in [
                ("Marisol Chávez", "+51987000401", 1),
                ("Pedro Sin Permiso", "+51987000402", 0),
                ("Rosa Quispe", "+51987000403", 1),
            ] {
                c.execute(
                    "INSERT INTO clientes (nombre, telefono, consentimiento_marketing, canal_adquisicion, creado_en, actualizado_en)
                     VALUES (?1, ?2, ?3, 'web', 1, 1)",
                    rusqlite::params![name, phone, consent],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let owner = app.login("owner@x.pe").await;

    let list = app.get("/m/eco/series", Some(&owner)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("href=\"/m/eco/series\""), "nav link");
    assert!(list.body.contains("Aún no hay series."));

    // No CSRF token, no series.
    let forged = app
        .post("/m/eco/series", Some(&owner), &[("nombre", "Falsa")], false)
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);

    let made = app
        .post(
            "/m/eco/series",
            Some(&owner),
            &[
                ("nombre", "Hogar sin residuos"),
                ("descripcion", "Un consejo por semana"),
            ],
            true,
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let page_path = made.location().to_owned();
    assert_eq!(page_path, "/m/eco/series/1");

    let step = app
        .post(
            "/m/eco/series/1/pasos",
            Some(&owner),
            &[
                ("dias", "0"),
                ("plantilla", "eco_tip_bolsas"),
                ("idioma", "es"),
                ("texto", "Consejo 1: lleva tu bolsa reutilizable."),
            ],
            true,
        )
        .await;
    assert_eq!(step.status, StatusCode::SEE_OTHER, "{}", step.body);
    for bad in [
        [
            ("dias", "pronto"),
            ("plantilla", ""),
            ("idioma", "es"),
            ("texto", "x"),
        ],
        [
            ("dias", "3"),
            ("plantilla", "Mal Nombre"),
            ("idioma", "es"),
            ("texto", "x"),
        ],
        [
            ("dias", "3"),
            ("plantilla", ""),
            ("idioma", "es"),
            ("texto", "  "),
        ],
    ] {
        let r = app
            .post("/m/eco/series/1/pasos", Some(&owner), &bad, true)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    }

    let enrolled = app
        .post(
            "/m/eco/series/1/inscripciones",
            Some(&owner),
            &[("cliente", "cli_eco_1")],
            true,
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::SEE_OTHER, "{}", enrolled.body);
    let refused = app
        .post(
            "/m/eco/series/1/inscripciones",
            Some(&owner),
            &[("cliente", "2")],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("marketing"), "the reason is shown");
    app.post(
        "/m/eco/series/1/inscripciones",
        Some(&owner),
        &[("cliente", "3")],
        true,
    )
    .await;

    let page = app.get(&page_path, Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Consejo 1: lleva tu bolsa reutilizable.")
    );
    assert!(page.body.contains("eco_tip_bolsas"));
    assert_eq!(
        page.body.matches("data-step=").count(),
        1,
        "bad steps left nothing"
    );
    assert!(page.body.contains("Marisol Chávez") && page.body.contains("Rosa Quispe"));
    assert!(!page.body.contains("Pedro Sin Permiso"));
    assert!(page.body.contains("0/1"), "nobody has a step yet");

    // Remove Rosa, then the job sends step 1 to Marisol (as the template: no window).
    let rosa = app
        .post(
            "/m/eco/series/1/inscripciones/2/baja",
            Some(&owner),
            &[],
            true,
        )
        .await;
    assert_eq!(rosa.status, StatusCode::SEE_OTHER);
    let out = t
        .db()
        .write(|c| autonomo::education::job::run_due(c, autonomo::time::now_ms()))
        .await
        .unwrap();
    assert_eq!((out.enviados, out.completados), (1, 1));
    let page = app.get(&page_path, Some(&owner)).await;
    let marisol = page
        .body
        .split("data-enrolment=\"1\"")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap();
    assert!(
        marisol.contains("1/1") && marisol.contains("Completada"),
        "{marisol}"
    );
    let rosa = page
        .body
        .split("data-enrolment=\"2\"")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap();
    assert!(rosa.contains("0/1") && rosa.contains("De baja"), "{rosa}");
    let list = app.get("/m/eco/series", Some(&owner)).await;
    assert!(list.body.contains("Hogar sin residuos"));

    // Pause from the screen.
    let paused = app
        .post(
            "/m/eco/series/1/activa",
            Some(&owner),
            &[("activa", "0")],
            true,
        )
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    let page = app.get(&page_path, Some(&owner)).await;
    assert!(page.body.contains("Reanudar serie"));

    // A manager of gollos only cannot open eco's series.
    let manager = app.login("manager@x.pe").await;
    assert_ne!(
        app.get(&page_path, Some(&manager)).await.status,
        StatusCode::OK
    );
}
