//! The metrics API over HTTP on the real binary: figures of today's orders (a cancelled one
//! is no revenue), CSV export, segment updates as orders land, CLV errors, and tenant
//! isolation (another brand's token gets 404).

use serde_json::{Value, json};

use super::support::{Api, TestEnv};

async fn product(api: &Api, slug: &str, sku: &str, price: i64) {
    api.post(
        &format!("/api/marcas/{slug}/productos"),
        &json!({"sku": sku, "nombre": format!("Producto {sku}"), "categoria": "combos", "precio": price}),
    )
    .await
    .ok(201);
}

async fn order(api: &Api, slug: &str, email: &str, canal: &str, sku: &str, n: i64) -> Value {
    api.post(
        "/api/pedidos",
        &json!({"marca": slug, "cliente": {"nombre": email, "email": email},
                "canal": canal, "items": [{"sku": sku, "cantidad": n}]}),
    )
    .await
    .ok(201)
}

#[tokio::test]
async fn dashboard_reports_and_isolation_over_http() {
    let env = TestEnv::new();
    env.create_brand("pollos", "Pollos", "PE", "America/Lima", "PEN");
    env.create_brand("otra", "Otra", "PE", "America/Lima", "PEN");
    let token = env.token(Some("pollos"), "write");
    let other = env.token(Some("otra"), "read");
    let server = env.start();
    let api = server.api(Some(&token));
    product(&api, "pollos", "POLLO", 2500).await;
    product(&api, "pollos", "INCA", 500).await;
    order(&api, "pollos", "ana@ejemplo.pe", "whatsapp", "POLLO", 2).await; // 5000
    order(&api, "pollos", "ana@ejemplo.pe", "web", "INCA", 1).await; // 500
    order(&api, "pollos", "beto@ejemplo.pe", "web", "POLLO", 1).await; // 2500
    let cancelled = order(&api, "pollos", "caro@ejemplo.pe", "telefono", "POLLO", 4).await;
    let id = cancelled["id"].as_str().expect("id").to_string();
    api.put(
        &format!("/api/pedidos/{id}"),
        &json!({"estado": "cancelado"}),
    )
    .await
    .ok(200);

    let d = api
        .get("/api/marcas/pollos/metricas/dashboard?periodo=day")
        .await
        .ok(200);
    assert_eq!(d["totales"]["pedidos"], 3, "{d}");
    assert_eq!(d["totales"]["ingresos"], 8000, "cancelled is not revenue");
    assert_eq!(d["totales"]["cancelados"], 1);
    assert_eq!(d["totales"]["ticket_promedio"], 2666);
    assert_eq!(
        d["totales"]["clientes_nuevos"], 2,
        "caro only has a cancelled order"
    );
    assert_eq!(d["totales"]["clientes_activos"], 2);
    assert_eq!(d["kpis"]["ingresos"]["anterior"], 0);
    assert_eq!(d["kpis"]["ingresos"]["variacion"], Value::Null);
    assert_eq!(d["serie"].as_array().map(Vec::len), Some(1));
    let channels: Vec<(String, i64)> = d["canales"]
        .as_array()
        .expect("canales")
        .iter()
        .map(|c| {
            (
                c["canal"].as_str().unwrap_or("").to_string(),
                c["ingresos"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        channels,
        [
            ("whatsapp".into(), 5000),
            ("web".into(), 3000),
            ("telefono".into(), 0)
        ]
    );
    assert_eq!(d["productos_top"][0]["sku"], "POLLO");
    assert_eq!(d["productos_top"][0]["unidades"], 3);
    assert_eq!(d["productos_top"][0]["ingresos"], 7500);
    assert_eq!(d["categorias_top"][0]["categoria"], "combos");
    assert_eq!(d["cohortes"]["cohortes"][0]["clientes"], 2);

    // A week covers today too; the previous week is empty.
    let w = api
        .get("/api/marcas/pollos/metricas/dashboard?periodo=week")
        .await
        .ok(200);
    assert_eq!(w["serie"].as_array().map(Vec::len), Some(7));
    assert_eq!(w["totales"]["ingresos"], 8000);

    // Reports: JSON and CSV.
    let r = api
        .get("/api/marcas/pollos/metricas/reportes?periodo=day&tabla=productos")
        .await
        .ok(200);
    assert_eq!(r["columnas"][0], "sku");
    assert_eq!(r["filas"].as_array().map(Vec::len), Some(2));
    let csv = api
        .get("/api/marcas/pollos/metricas/reportes?periodo=day&tabla=canales&formato=csv")
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(
        csv.text.contains("canal,pedidos,ingresos,cancelados"),
        "{}",
        csv.text
    );
    assert!(csv.text.contains("whatsapp,1,5000,0"), "{}", csv.text);
    api.get("/api/marcas/pollos/metricas/reportes?tabla=nada")
        .await
        .problem(422, "validation");
    api.get("/api/marcas/pollos/metricas/dashboard?desde=2024-02-30")
        .await
        .problem(422, "validation");

    // Segments move as orders land (the change-feed updater runs every second).
    let mut segs = Value::Null;
    for _ in 0..150 {
        segs = api
            .get("/api/marcas/pollos/metricas/segmentos/cambios?hacia=nuevo")
            .await
            .ok(200);
        if segs["cambios"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(segs["cambios"].as_array().map(Vec::len), Some(2), "{segs}");
    assert_eq!(segs["cambios"][0]["desde"], "sin_compras");

    // Two customers bought once: nothing to fit CLV on yet.
    api.get("/api/marcas/pollos/metricas/clv")
        .await
        .problem(422, "validation");
    let rfm = api.get("/api/marcas/pollos/metricas/rfm").await.ok(200);
    assert_eq!(rfm["clientes"], 2);

    // Another brand's token cannot see this brand at all.
    let stranger = server.api(Some(&other));
    for path in [
        "/api/marcas/pollos/metricas/dashboard",
        "/api/marcas/pollos/metricas/reportes?formato=csv",
        "/api/marcas/pollos/metricas/clv",
        "/api/marcas/pollos/metricas/rfm",
        "/api/marcas/pollos/metricas/segmentos/cambios",
    ] {
        stranger.get(path).await.problem(404, "not-found");
    }
    let own = stranger
        .get("/api/marcas/otra/metricas/dashboard")
        .await
        .ok(200);
    assert_eq!(own["totales"]["pedidos"], 0);
    let spec = api.get("/api/openapi.json").await.ok(200);
    assert!(spec["paths"]["/api/marcas/{id}/metricas/clv"].is_object());
}
