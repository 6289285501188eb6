//! The campaigns screen through the real router: nav link, live audience count (the htmx
//! fragment), creating a campaign from the builder and its results page.

use axum::http::StatusCode;

use crate::ui_support::App;

async fn customers(app: &App) {
    let t = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    t.db()
        .write(|c| {
            for i in 0..12 {
                c.execute(
                    "INSERT INTO clientes (nombre, telefono, consentimiento_marketing, canal_adquisicion, segmento, creado_en, actualizado_en)
                     VALUES (?1, ?2, ?3, 'whatsapp', ?4, 1, 1)",
                    rusqlite::params![
                        format!("Cliente {i}"),
                        format!("+5199900{i:04}"),
                        i % 4 != 0,
                        if i < 6 { "en_riesgo" } else { "vip" }
                    ],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn builder_counts_live_and_creates_a_campaign() {
    let app = App::new().await;
    customers(&app).await;
    let manager = app.login("manager@x.pe").await;
    let page = app.get("/m/gollos/campanas", Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"href="/m/gollos/campanas""#),
        "nav link"
    );
    assert!(
        page.body.contains("data-audience-count>9<"),
        "consenting customers: {}",
        page.body
    );
    let count = app
        .post(
            "/m/gollos/campanas/audiencia",
            Some(&manager),
            &[("segmento", "en_riesgo")],
            true,
        )
        .await;
    assert_eq!(count.status, StatusCode::OK, "{}", count.body);
    assert!(
        count.body.contains("data-audience-count>4<"),
        "{}",
        count.body
    );
    let bad = app
        .post(
            "/m/gollos/campanas/audiencia",
            Some(&manager),
            &[("ultimo_pedido_antes", "ayer")],
            true,
        )
        .await;
    assert!(bad.body.contains("class=\"error\""), "{}", bad.body);
    let created = app
        .post(
            "/m/gollos/campanas",
            Some(&manager),
            &[
                ("nombre", "Vuelve pronto"),
                ("segmento", "en_riesgo"),
                ("plantilla", "vuelve_pronto"),
                ("idioma", "es"),
                ("var_nombre", "on"),
                ("cuando", "borrador"),
            ],
            true,
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let results = app.get(created.location(), Some(&manager)).await;
    assert_eq!(results.status, StatusCode::OK, "{}", results.body);
    assert!(results.body.contains("Vuelve pronto") && results.body.contains("Embudo"));
    // A draft is sent from its page; then its recipients show by status; then it is cancelled.
    let page = created.location().to_owned();
    assert!(
        results.body.contains("data-state=\"borrador\"") && results.body.contains("data-send"),
        "{}",
        results.body
    );
    let sent = app
        .post(&format!("{page}/enviar"), Some(&manager), &[], true)
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    // Launched: the four consenting en_riesgo customers are stored, waiting to be queued.
    let waiting = app
        .get(&format!("{page}?estado=pendiente"), Some(&manager))
        .await;
    assert!(
        !waiting.body.contains("data-send") && waiting.body.contains("data-cancel"),
        "{}",
        waiting.body
    );
    assert!(waiting.body.contains(r#"data-listing="pendiente""#));
    assert!(waiting.body.contains("Por encolar"), "{}", waiting.body);
    assert_eq!(
        waiting.body.matches("data-recipient=").count(),
        4,
        "the four consenting en_riesgo customers: {}",
        waiting.body
    );
    // One batch of the campaign sender (three recipients): three queued, one still waiting.
    let tenant = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    let handled = autonomo::campaigns::sender::step(&app.state.registry, &tenant, 3)
        .await
        .unwrap();
    assert_eq!(handled, 3);
    let queued = app
        .get(&format!("{page}?estado=en_cola"), Some(&manager))
        .await;
    assert_eq!(queued.body.matches("data-recipient=").count(), 3);
    assert!(
        queued.body.contains(r#"<tr data-step="pendiente">"#)
            && queued
                .body
                .contains(r#"?estado=pendiente">Por encolar</a></th><td>1 "#),
        "{}",
        queued.body
    );
    let again = app
        .post(&format!("{page}/enviar"), Some(&manager), &[], true)
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "sent once: {}",
        again.body
    );
    let cancelled = app
        .post(&format!("{page}/cancelar"), Some(&manager), &[], true)
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.body
    );
    let after = app.get(&page, Some(&manager)).await;
    assert!(
        after.body.contains("data-state=\"cancelada\""),
        "{}",
        after.body
    );
    assert!(
        after.body.contains(r#"data-listing="fallido""#)
            && after.body.matches("data-recipient=").count() == 4
            && after.body.contains("campaña cancelada"),
        "unsent messages dropped, with the reason: {}",
        after.body
    );
    // An unknown status shows the failures; staff may send, analysts may not.
    let odd = app
        .get(&format!("{page}?estado=nada"), Some(&manager))
        .await;
    assert_eq!(odd.status, StatusCode::OK);
    assert!(odd.body.contains(r#"data-listing="fallido""#));
    let list = app.get("/m/gollos/campanas", Some(&manager)).await;
    assert!(list.body.contains("Vuelve pronto"));
    // Analysts read but cannot create.
    let analyst = app.login("analyst@x.pe").await;
    let denied = app
        .post(
            "/m/gollos/campanas",
            Some(&analyst),
            &[("nombre", "x"), ("plantilla", "x"), ("cuando", "borrador")],
            true,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let denied = app
        .post(&format!("{page}/cancelar"), Some(&analyst), &[], true)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let view = app.get(&page, Some(&analyst)).await;
    assert!(!view.body.contains("data-cancel") && !view.body.contains("data-send"));
}

#[tokio::test]
async fn reminder_from_the_customer_page_shows_in_the_reminders_screen() {
    let app = App::new().await;
    customers(&app).await;
    let staff = app.login("staff@x.pe").await;
    let customer = app.get("/m/gollos/clientes/1", Some(&staff)).await;
    assert!(
        customer.body.contains("/m/gollos/clientes/1/recordatorios"),
        "form on the customer page"
    );
    let r = app
        .post(
            "/m/gollos/clientes/1/recordatorios",
            Some(&staff),
            &[("texto", "Revisar garantía"), ("vence_en", "")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get("/m/gollos/recordatorios", Some(&staff)).await;
    assert!(
        page.body.contains("Revisar garantía") && page.body.contains("data-due"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn automations_are_switched_per_brand_from_the_campaigns_screen() {
    let app = App::new().await;
    let manager = app.login("manager@x.pe").await;
    let page = app.get("/m/gollos/campanas", Some(&manager)).await;
    assert!(
        page.body.contains("Reenganche de clientes en riesgo"),
        "{}",
        page.body
    );
    let missing = app
        .post(
            "/m/gollos/campanas/automatizaciones",
            Some(&manager),
            &[
                ("clave", "auto_en_riesgo"),
                ("activa", "on"),
                ("plantilla", ""),
            ],
            true,
        )
        .await;
    assert_eq!(
        missing.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        missing.body
    );
    let r = app
        .post(
            "/m/gollos/campanas/automatizaciones",
            Some(&manager),
            &[
                ("clave", "auto_en_riesgo"),
                ("activa", "on"),
                ("plantilla", "te_extranamos"),
                ("idioma", "es"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get("/m/gollos/campanas", Some(&manager)).await;
    assert!(
        page.body.contains(r#"value="te_extranamos""#),
        "{}",
        page.body
    );
    // The other brand is untouched.
    let owner = app.login("owner@x.pe").await;
    let eco = app.get("/m/eco/campanas", Some(&owner)).await;
    assert!(!eco.body.contains(r#"value="te_extranamos""#));
}
