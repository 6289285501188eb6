//! The dashboard screen in-process through the real router: KPIs and SVG charts drawn on
//! the server, no inline script, CSV exports for owners and analysts but not staff, and a
//! brand the account cannot see is a 404.

use axum::http::StatusCode;
use chrono::Utc;

use super::rollups::{add_customer, add_product, order};
use super::ui_support::App;

#[tokio::test]
async fn dashboard_page_charts_exports_and_roles() {
    let app = App::new().await;
    let slug = autonomo::tenants::Slug::parse("gollos").expect("slug");
    let tenant = app.state.registry.tenant(&slug).await.expect("tenant");
    let now = Utc::now().timestamp_millis();
    tenant
        .db()
        .write(move |c| {
            add_product(c, "POLLO", 2500);
            let a = add_customer(c, 1);
            let b = add_customer(c, 2);
            order(c, a, "whatsapp", &[("POLLO", 2)], now - 3_600_000);
            order(c, b, "web", &[("POLLO", 1)], now - 7_200_000);
            Ok(())
        })
        .await
        .expect("seed");

    let owner = app.login("owner@x.pe").await;
    let page = app
        .get("/m/gollos/metricas?periodo=week", Some(&owner))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = &page.body;
    assert!(html.contains("href=\"/m/gollos/metricas\""), "nav link");
    assert!(html.contains("75.00"), "revenue KPI 75.00: {html}");
    assert!(html.matches("<svg").count() >= 8, "eight charts");
    assert!(html.contains("<polyline"), "line chart");
    assert!(html.contains("Producto") || html.contains("POLLO"));
    assert!(
        !html.contains("<script>") && !html.contains("style=\""),
        "CSP-safe"
    );
    assert!(html.contains("/m/gollos/metricas/exportar.csv?tabla=dias"));
    let csv = app
        .get(
            "/m/gollos/metricas/exportar.csv?tabla=productos&periodo=week",
            Some(&owner),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains("POLLO,POLLO,comida,3,7500"),
        "{}",
        csv.body
    );

    let analyst = app.login("analyst@x.pe").await;
    let page = app.get("/m/gollos/metricas", Some(&analyst)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("exportar.csv"));
    let csv = app
        .get("/m/gollos/metricas/exportar.csv?tabla=dias", Some(&analyst))
        .await;
    assert_eq!(csv.status, StatusCode::OK);

    let staff = app.login("staff@x.pe").await;
    let page = app.get("/m/gollos/metricas", Some(&staff)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("exportar.csv"),
        "no export links for staff"
    );
    let csv = app
        .get("/m/gollos/metricas/exportar.csv?tabla=dias", Some(&staff))
        .await;
    assert_eq!(csv.status, StatusCode::FORBIDDEN);

    let other = app.get("/m/eco/metricas", Some(&analyst)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let bad = app
        .get("/m/gollos/metricas?desde=2024-13-01", Some(&owner))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn order_history_upload_reports_rows_and_is_idempotent() {
    let app = App::new().await;
    let owner = app.login("owner@x.pe").await;
    let form = app
        .get("/m/gollos/pedidos/importar-historial", Some(&owner))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"archivo\""));
    let csv = "external_id;telefono;fecha;total;canal\n\
               u-1;987111222;2024-05-01;20,50;web\n\
               u-2;987111222;2024-05-03T21:00:00;10;whatsapp\n\
               u-3;987111333;no-es-fecha;10;web\n";
    let r = app
        .upload(
            "/m/gollos/pedidos/importar-historial",
            &owner,
            csv.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("data-count=\"creados\">2<"), "{}", r.body);
    assert!(r.body.contains("data-count=\"errores\">1<"));
    let again = app
        .upload(
            "/m/gollos/pedidos/importar-historial",
            &owner,
            csv.as_bytes(),
        )
        .await;
    assert!(
        again.body.contains("data-count=\"duplicados\">2<"),
        "{}",
        again.body
    );
    let page = app
        .get(
            "/m/gollos/metricas?desde=2024-05-01&hasta=2024-05-31",
            Some(&owner),
        )
        .await;
    assert!(
        page.body.contains("30.50"),
        "imported revenue shows: {}",
        page.body
    );

    let staff = app.login("staff@x.pe").await;
    let denied = app
        .upload(
            "/m/gollos/pedidos/importar-historial",
            &staff,
            csv.as_bytes(),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}
