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
