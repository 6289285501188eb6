//! The subscriptions and impact screens through the real router: the nav links, MRR and
//! upcoming orders, subscribing from the form the customer page links to, pausing in place,
//! the community leaderboard with first names, and a user of another brand refused.

use axum::http::StatusCode;

use crate::ui_support::App;

/// A product with impact attributes, two customers, a monthly plan; returns the plan id.
async fn seed(app: &App) -> i64 {
    let t = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("eco").unwrap())
        .await
        .unwrap();
    t.db()
        .write(|c| {
            c.execute(
                "INSERT INTO productos (sku, nombre, categoria, precio, activo, atributos, creado_en, actualizado_en)
                 VALUES ('CAJA', 'Caja Eco', 'Hogar', 7990, 1, '{\"co2_kg\": 2.5, \"plastico_g\": 300}', 1, 1)",
                [],
            )?;
            let product = c.last_insert_rowid();
            for name in ["Marisol Chávez Rojas", "Pedro Luna"] {
                c.execute(
                    "INSERT INTO clientes (nombre, canal_adquisicion, creado_en, actualizado_en) VALUES (?1, 'web', 1, 1)",
                    [name],
                )?;
            }
            c.execute(
                "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, creado_en, actualizado_en)
                 VALUES (1, 'web', 'entregado', 15980, 0, 15980, 1, 1)",
                [],
            )?;
            let order = c.last_insert_rowid();
            c.execute(
                "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
                 VALUES (?1, ?2, 'CAJA', 'Caja Eco', 2, 7990, 15980)",
                [order, product],
            )?;
            autonomo::impact::set_ranking(c, 1, true, 1)?;
            autonomo::subscriptions::store::insert_plan(
                c,
                "Caja mensual",
                &vec![(product, 1)],
                7990,
                autonomo::subscriptions::Period::Monthly,
                1,
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn subscriptions_and_impact_screens_show_their_numbers() {
    let app = App::new().await;
    let plan = seed(&app).await;
    let owner = app.login("owner@x.pe").await;

    let customer = app.get("/m/eco/clientes/1", Some(&owner)).await;
    assert_eq!(customer.status, StatusCode::OK);
    assert!(
        customer.body.contains("/m/eco/suscripciones?cliente=1"),
        "customer page links to subscribe"
    );
    let form = app
        .get("/m/eco/suscripciones?cliente=1", Some(&owner))
        .await;
    assert!(form.body.contains("value=\"1\""), "the form is prefilled");

    let made = app
        .post(
            "/m/eco/suscripciones",
            Some(&owner),
            &[
                ("plan_id", &plan.to_string()),
                ("cliente", "1"),
                ("inicio", "2027-03-01"),
            ],
            true,
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let page = app.get("/m/eco/suscripciones", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("href=\"/m/eco/suscripciones\""),
        "nav link"
    );
    assert!(page.body.contains("Marisol Chávez Rojas"));
    assert!(
        page.body.contains("79.90"),
        "MRR of one monthly S/ 79.90 plan"
    );
    assert!(
        page.body.contains("01/03/2027") || page.body.contains("2027"),
        "upcoming date"
    );

    let paused = app
        .post("/m/eco/suscripciones/1/pausar", Some(&owner), &[], true)
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    let page = app.get("/m/eco/suscripciones", Some(&owner)).await;
    assert!(page.body.contains("pausada"));

    let impact = app.get("/m/eco/impacto", Some(&owner)).await;
    assert_eq!(impact.status, StatusCode::OK);
    assert!(
        impact.body.contains("5.0") || impact.body.contains(">5<"),
        "2 × 2.5 kg CO₂"
    );
    assert!(impact.body.contains("Marisol"));
    assert!(!impact.body.contains("Chávez"), "first names only");
    assert!(!impact.body.contains("Pedro"), "not opted in");

    // A manager of gollos only cannot open eco's screens.
    let manager = app.login("manager@x.pe").await;
    for path in ["/m/eco/suscripciones", "/m/eco/impacto"] {
        assert_ne!(
            app.get(path, Some(&manager)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}
