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
    // The switch says since when it is on (surveys count deliveries from then).
    assert_eq!(
        page.body.matches("<time data-since>").count(),
        1,
        "{}",
        page.body
    );
    // The other brand is untouched.
    let owner = app.login("owner@x.pe").await;
    let eco = app.get("/m/eco/campanas", Some(&owner)).await;
    assert!(!eco.body.contains(r#"value="te_extranamos""#));
}

/// The brand's rate per 1,000 delivered messages prices every campaign: its results page
/// shows the cost (delivered messages only) and the ROI on the attributed revenue.
#[tokio::test]
async fn results_show_the_cost_and_roi_at_the_brands_rate() {
    let app = App::new().await;
    customers(&app).await;
    let manager = app.login("manager@x.pe").await;
    let created = app
        .post(
            "/m/gollos/campanas",
            Some(&manager),
            &[
                ("nombre", "Martes de alitas"),
                ("segmento", "en_riesgo"),
                ("plantilla", "martes_alitas"),
                ("idioma", "es"),
                ("cuando", "ahora"),
            ],
            true,
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let page = created.location().to_owned();
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let tenant = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    let queued = autonomo::campaigns::sender::step(&app.state.registry, &tenant, 10)
        .await
        .unwrap();
    assert_eq!(queued, 4, "the four consenting en_riesgo customers");
    // WhatsApp reports: two delivered, one read, one failed; the read customer orders S/ 50.
    tenant
        .db()
        .write(move |c| {
            let now = autonomo::time::now_ms();
            let sent: Vec<(i64, i64)> = c
                .prepare("SELECT outbox_id, cliente_id FROM campana_destinatarios WHERE campana_id = ?1 ORDER BY cliente_id")?
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            assert_eq!(sent.len(), 4);
            for ((outbox, _), status) in sent.iter().zip(["delivered", "delivered", "read", "failed"]) {
                c.execute(
                    "UPDATE outbox SET estado = 'enviado', enviado_en = ?2 WHERE id = ?1",
                    rusqlite::params![outbox, now],
                )?;
                c.execute(
                    "UPDATE wa_salientes SET estado = ?2, actualizado_en = ?3 WHERE outbox_id = ?1",
                    rusqlite::params![outbox, status, now],
                )?;
            }
            c.execute(
                "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en)
                 VALUES (?1, 'whatsapp', 'confirmado', 5000, 5000, ?2, ?2)",
                rusqlite::params![sent[2].1, now + 60_000],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let before = app.get(&page, Some(&manager)).await;
    assert!(
        before.body.contains("Indica el precio por 1.000 mensajes")
            && !before.body.contains(r#"data-step="costo""#),
        "no rate yet, no cost: {}",
        before.body
    );
    // A rate that is not an amount is refused and nothing is stored.
    let bad = app
        .post(
            "/m/gollos/campanas/precio",
            Some(&manager),
            &[("precio_por_mil", "barato")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let saved = app
        .post(
            "/m/gollos/campanas/precio",
            Some(&manager),
            &[("precio_por_mil", "26.00")],
            true,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let list = app.get("/m/gollos/campanas", Some(&manager)).await;
    assert!(
        list.body
            .contains(r#"name="precio_por_mil" type="text" inputmode="decimal" value="26.00""#),
        "{}",
        list.body
    );
    // Three delivered messages at S/ 26.00 per 1,000 cost S/ 0.078, rounded to S/ 0.08;
    // the failed one is not billed. ROI = (50.00 − 0.08) / 0.08 = 62,400 %.
    let after = app.get(&page, Some(&manager)).await;
    assert!(
        after.body.contains(r#"<tr data-step="costo"><th>Costo estimado</th><td>S/ 0.08 <small class="muted">(3 entregados"#),
        "{}",
        after.body
    );
    assert!(
        after
            .body
            .contains(r#"<tr data-step="roi"><th>ROI</th><td>62400.0 %</td>"#),
        "{}",
        after.body
    );
    // Analysts see the figures but cannot change the rate.
    let analyst = app.login("analyst@x.pe").await;
    let denied = app
        .post(
            "/m/gollos/campanas/precio",
            Some(&analyst),
            &[("precio_por_mil", "1.00")],
            true,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let cleared = app
        .post(
            "/m/gollos/campanas/precio",
            Some(&manager),
            &[("precio_por_mil", "")],
            true,
        )
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    let again = app.get(&page, Some(&manager)).await;
    assert!(!again.body.contains(r#"data-step="costo""#), "rate removed");
}
