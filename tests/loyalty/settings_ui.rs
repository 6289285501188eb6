//! The promotions and loyalty settings screens through the real router: creating, editing
//! and switching off a rule (every condition the engine has), the program and rewards in
//! the brand's currency, the role check, one bad input per form and the audit trail.

use autonomo::loyalty::store as loyalty;
use autonomo::promotions::store as promotions;
use autonomo::tenants::Slug;
use axum::http::StatusCode;

use crate::ui_support::App;

async fn tenant(app: &App) -> std::sync::Arc<autonomo::tenants::Tenant> {
    app.state
        .registry
        .tenant(&Slug::parse("gollos").unwrap())
        .await
        .unwrap()
}

async fn rules(app: &App) -> Vec<autonomo::promotions::Rule> {
    tenant(app)
        .await
        .db()
        .read(promotions::rules)
        .await
        .unwrap()
}

async fn history(app: &App, id: i64) -> Option<(String, i64)> {
    tenant(app)
        .await
        .db()
        .read(move |c| promotions::history(c, id))
        .await
        .unwrap()
        .map(|h| (h.sku, h.veces))
}

#[tokio::test]
async fn promotions_screen_creates_edits_and_disables_rules() {
    let app = App::new().await;
    let product = tenant(&app)
        .await
        .db()
        .write(|c| {
            c.execute(
                "INSERT INTO productos (sku, nombre, categoria, precio, creado_en, actualizado_en)
                 VALUES ('COMBO-F', 'Combo familiar', 'combos', 8990, 1, 1)",
                [],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
        .unwrap();
    let owner = app.login("owner@x.pe").await;
    let staff = app.login("staff@x.pe").await;

    let page = app.get("/m/gollos/promociones", Some(&staff)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("href=\"/m/gollos/promociones\""),
        "nav link"
    );
    assert!(!page.body.contains("id=\"regla\""), "staff get no form");
    let denied = app
        .post(
            "/m/gollos/promociones",
            Some(&staff),
            &[("nombre", "x"), ("tipo", "2x1")],
            true,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // No CSRF token, no rule.
    let forged = app
        .post(
            "/m/gollos/promociones",
            Some(&owner),
            &[("nombre", "x"), ("tipo", "2x1")],
            false,
        )
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);

    // A bad percentage comes back on the form, as typed, and creates nothing.
    let bad = app
        .post(
            "/m/gollos/promociones",
            Some(&owner),
            &[
                ("nombre", "Mitad de precio"),
                ("tipo", "porcentaje"),
                ("porcentaje", "150"),
            ],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("data-form-error=\"promocion\"")
            && bad.body.contains("Porcentaje de 1 a 100.")
            && bad.body.contains("value=\"Mitad de precio\""),
        "{}",
        bad.body
    );
    let bad = app
        .post(
            "/m/gollos/promociones",
            Some(&owner),
            &[
                ("nombre", "Tarde"),
                ("tipo", "2x1"),
                ("desde", "18:00"),
                ("hasta", "12:00"),
            ],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(rules(&app).await.is_empty());

    // Tuesday 2x1 on a category, from noon to 22:00.
    let made = app
        .post(
            "/m/gollos/promociones",
            Some(&owner),
            &[
                ("nombre", "2x1 los martes"),
                ("tipo", "2x1"),
                ("categoria", "pollos"),
                ("d2", "1"),
                ("desde", "12:00"),
                ("hasta", "22:00"),
            ],
            true,
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let r = &rules(&app).await[0];
    assert_eq!(
        (
            r.tipo.as_str(),
            r.categoria.as_deref(),
            r.dias.clone(),
            r.minuto_desde,
            r.minuto_hasta,
            r.activo
        ),
        ("2x1", Some("pollos"), vec![2], 720, 1320, true)
    );
    assert_eq!(r.zona_horaria, "America/Lima");
    let id = r.id;
    let page = app.get("/m/gollos/promociones", Some(&owner)).await;
    assert!(
        page.body
            .contains(&format!("/m/gollos/promociones/{id}/anunciar"))
    );
    assert!(page.body.contains("Martes") && page.body.contains("12:00–22:00"));

    // Editing: 20% on one product, weekends, for VIP customers only.
    let form = app
        .get(&format!("/m/gollos/promociones?editar={id}"), Some(&owner))
        .await;
    assert!(
        form.body
            .contains(&format!("action=\"/m/gollos/promociones/{id}\""))
    );
    let edited = app
        .post(
            &format!("/m/gollos/promociones/{id}"),
            Some(&owner),
            &[
                ("nombre", "VIP fin de semana"),
                ("tipo", "porcentaje"),
                ("porcentaje", "20"),
                ("producto_id", &product.to_string()),
                ("segmento", "vip"),
                ("d6", "1"),
                ("d7", "1"),
            ],
            true,
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let r = &rules(&app).await[0];
    assert_eq!(
        (
            r.nombre.as_str(),
            r.porcentaje,
            r.producto_id,
            r.segmento.as_deref(),
            r.dias.clone(),
            r.minuto_desde,
            r.minuto_hasta
        ),
        (
            "VIP fin de semana",
            20,
            Some(product),
            Some("vip"),
            vec![6, 7],
            0,
            1440
        )
    );
    let bad = app
        .post(
            &format!("/m/gollos/promociones/{id}"),
            Some(&owner),
            &[("nombre", "X"), ("tipo", "2x1"), ("segmento", "nadie")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Segmento desconocido."), "{}", bad.body);
    let bad = app
        .post(
            &format!("/m/gollos/promociones/{id}"),
            Some(&owner),
            &[
                ("nombre", "X"),
                ("tipo", "2x1"),
                ("producto_id", &product.to_string()),
                ("categoria", "pollos"),
            ],
            true,
        )
        .await;
    assert!(bad.body.contains("no ambos"), "{}", bad.body);
    assert_eq!(rules(&app).await[0].nombre, "VIP fin de semana");

    // Disable.
    let off = app
        .post(
            &format!("/m/gollos/promociones/{id}/activo"),
            Some(&owner),
            &[("activo", "0")],
            true,
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert!(!rules(&app).await[0].activo);

    let audited: i64 = tenant(&app)
        .await
        .db()
        .read(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM auditoria WHERE tabla = 'promociones' AND actor LIKE 'user:%'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(audited, 3, "insert, edit, disable");

    // Purchase history ("ordered the family combo at least 3 times"): stored, shown, and
    // gone again when the fields are emptied; a bad count changes nothing.
    let base = [("nombre", "Fieles al combo"), ("tipo", "2x1")];
    let with = |sku: &'static str, times: &'static str| {
        let mut f = base.to_vec();
        f.extend([("compro_sku", sku), ("compro_veces", times)]);
        f
    };
    let saved = app
        .post(
            &format!("/m/gollos/promociones/{id}"),
            Some(&owner),
            &with("COMBO-F", "3"),
            true,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(history(&app, id).await, Some(("COMBO-F".to_string(), 3)));
    let page = app.get("/m/gollos/promociones", Some(&owner)).await;
    assert!(
        page.body.contains("data-historial=\"COMBO-F:3\""),
        "{}",
        page.body
    );
    let form = app
        .get(&format!("/m/gollos/promociones?editar={id}"), Some(&owner))
        .await;
    assert!(form.body.contains("value=\"COMBO-F\""), "{}", form.body);
    let bad = app
        .post(
            &format!("/m/gollos/promociones/{id}"),
            Some(&owner),
            &with("COMBO-F", "muchas"),
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Veces"), "{}", bad.body);
    assert_eq!(history(&app, id).await, Some(("COMBO-F".to_string(), 3)));
    let cleared = app
        .post(
            &format!("/m/gollos/promociones/{id}"),
            Some(&owner),
            &base,
            true,
        )
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(history(&app, id).await, None);
}

#[tokio::test]
async fn loyalty_screen_sets_the_program_and_manages_rewards() {
    let app = App::new().await;
    let manager = app.login("manager@x.pe").await;
    let staff = app.login("staff@x.pe").await;
    let t = tenant(&app).await;

    let page = app.get("/m/gollos/fidelidad", Some(&staff)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("href=\"/m/gollos/fidelidad\""),
        "nav link"
    );
    let denied = app
        .post(
            "/m/gollos/fidelidad/programa",
            Some(&staff),
            &[("tipo", "sellos")],
            true,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // Bad expiry: the error shows on the program form and nothing is saved.
    let bad = app
        .post(
            "/m/gollos/fidelidad/programa",
            Some(&manager),
            &[
                ("tipo", "puntos"),
                ("monto_por_punto", "1.00"),
                ("vigencia_dias", "0"),
                ("activo", "1"),
            ],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("data-form-error=\"programa\"") && bad.body.contains("vigencia 1–3650"),
        "{}",
        bad.body
    );
    assert!(t.db().read(loyalty::program).await.unwrap().is_none());

    let ok = app
        .post(
            "/m/gollos/fidelidad/programa",
            Some(&manager),
            &[
                ("tipo", "puntos"),
                ("monto_por_punto", "2.50"),
                ("pedido_minimo", "10"),
                ("vigencia_dias", "365"),
                ("activo", "1"),
            ],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let p = t.db().read(loyalty::program).await.unwrap().unwrap();
    assert_eq!(
        (
            p.tipo.as_str(),
            p.monto_por_punto,
            p.pedido_minimo,
            p.vigencia_dias,
            p.activo
        ),
        ("puntos", 250, 1000, Some(365), true)
    );

    // No CSRF token, no reward.
    let forged = app
        .post(
            "/m/gollos/fidelidad/recompensas",
            Some(&manager),
            &[("nombre", "Falsa"), ("costo", "1")],
            false,
        )
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);

    // Rewards: a bad one is refused on its form; a good one is shown in soles.
    let bad = app
        .post(
            "/m/gollos/fidelidad/recompensas",
            Some(&manager),
            &[("nombre", "Chicha gratis"), ("costo", "muchos")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("data-form-error=\"nueva\""),
        "{}",
        bad.body
    );
    let made = app
        .post(
            "/m/gollos/fidelidad/recompensas",
            Some(&manager),
            &[
                ("nombre", "Chicha gratis"),
                ("costo", "5"),
                ("descuento", "7.00"),
            ],
            true,
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let r = t.db().read(loyalty::rewards).await.unwrap().remove(0);
    assert_eq!((r.costo, r.descuento, r.activo), (5, 700, true));
    let page = app.get("/m/gollos/fidelidad", Some(&staff)).await;
    assert!(
        page.body.contains(&autonomo::web::money(700, "PEN"))
            && page.body.contains(&autonomo::web::money(250, "PEN")),
        "{}",
        page.body
    );

    // Edit, a bad edit that changes nothing, then deactivate.
    let id = r.id;
    let edited = app
        .post(
            &format!("/m/gollos/fidelidad/recompensas/{id}"),
            Some(&manager),
            &[
                ("nombre", "Chicha grande"),
                ("costo", "8"),
                ("descuento", "9.50"),
            ],
            true,
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let bad = app
        .post(
            &format!("/m/gollos/fidelidad/recompensas/{id}"),
            Some(&manager),
            &[("nombre", " "), ("costo", "8")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains(&format!("data-form-error=\"{id}\""))
            && bad.body.contains("Nombre de 1 a 200"),
        "{}",
        bad.body
    );
    let off = app
        .post(
            &format!("/m/gollos/fidelidad/recompensas/{id}/activo"),
            Some(&manager),
            &[("activo", "0")],
            true,
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let r = t
        .db()
        .read(move |c| loyalty::reward(c, id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.nombre.as_str(), r.costo, r.descuento, r.activo),
        ("Chicha grande", 8, 950, false)
    );

    let actors: Vec<String> = t
        .db()
        .read(|c| {
            Ok(c.prepare("SELECT DISTINCT actor FROM auditoria WHERE tabla IN ('fidelidad_programa', 'fidelidad_recompensas')")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(actors.len(), 1);
    assert!(actors[0].starts_with("user:"), "{actors:?}");
}
