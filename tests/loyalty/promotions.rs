//! Promotions: a Tuesday 2x1 evaluated at a pinned instant in America/Lima, and a rule
//! applied automatically to a real order with its reason stored for the ticket.

use chrono::{Datelike, Utc};
use serde_json::json;

use crate::Fx;

#[tokio::test]
async fn tuesday_two_for_one_applied_and_explained() {
    let fx = Fx::new().await;
    let api = fx.api();
    api.post(
        "/api/marcas/gollos/promociones",
        &json!({"nombre": "2x1 los martes", "tipo": "2x1", "categoria": "pollos",
                "dias": [2], "desde": "12:00", "hasta": "23:00"}),
    )
    .await
    .ok(201);
    let sim = |en: &'static str| {
        let api = fx.api();
        let product = fx.product.clone();
        let customer = fx.customer.clone();
        async move {
            api.post(
                "/api/marcas/gollos/promociones/simular",
                &json!({"en": en, "cliente_id": customer,
                        "items": [{"producto_id": product, "cantidad": 2}]}),
            )
            .await
            .ok(200)
        }
    };
    // 2026-11-24 is a Tuesday; 13:00 in Lima.
    let tue = sim("2026-11-24T13:00:00-05:00").await;
    assert_eq!(tue["descuento"], fx.price, "{tue}");
    assert_eq!(
        tue["aplicadas"][0]["motivo"],
        "2x1 los martes: Pollo a la brasa (1 gratis)"
    );
    // Tuesday 03:00 UTC is still Monday 22:00 in Lima: no promotion.
    assert_eq!(sim("2026-11-24T03:00:00Z").await["descuento"], 0);
    // Wednesday.
    assert_eq!(sim("2026-11-25T13:00:00-05:00").await["descuento"], 0);
}

#[tokio::test]
async fn matching_rule_is_applied_to_a_new_order_with_its_reason() {
    let fx = Fx::new().await;
    let api = fx.api();
    let lima: chrono_tz::Tz = "America/Lima".parse().unwrap();
    let today = Utc::now()
        .with_timezone(&lima)
        .weekday()
        .number_from_monday();
    let tomorrow = today % 7 + 1;
    api.post(
        "/api/marcas/gollos/promociones",
        &json!({"nombre": "2x1 de hoy", "tipo": "2x1", "producto_id": fx.product, "dias": [today]}),
    )
    .await
    .ok(201);
    api.post(
        "/api/marcas/gollos/promociones",
        &json!({"nombre": "Mañana 50%", "tipo": "porcentaje", "porcentaje": 50, "dias": [tomorrow]}),
    )
    .await
    .ok(201);
    let order = fx.order(3, true).await;
    assert_eq!(order["subtotal"], 3 * fx.price);
    assert_eq!(order["descuento"], fx.price, "{order}");
    assert_eq!(order["total"], 2 * fx.price);
    let lines = api
        .get(&format!(
            "/api/pedidos/{}/descuentos",
            order["id"].as_str().unwrap()
        ))
        .await
        .ok(200);
    assert_eq!(lines.as_array().unwrap().len(), 1, "{lines}");
    assert_eq!(lines[0]["origen"], "promocion");
    assert_eq!(
        lines[0]["motivo"],
        "2x1 de hoy: Pollo a la brasa (1 gratis)"
    );
    // Customer spend is what was paid.
    let c = api
        .get(&format!("/api/clientes/{}", fx.customer))
        .await
        .ok(200);
    assert_eq!(c["total_gastado"], 2 * fx.price, "{c}");
    // A purchase-history condition is part of the rule as the API shows it.
    let combo = api
        .post(
            "/api/marcas/gollos/promociones",
            &json!({"nombre": "Fiel al combo", "tipo": "porcentaje", "porcentaje": 10,
                    "compro_sku": "COMBO-FAM", "compro_veces": 3}),
        )
        .await
        .ok(201);
    assert_eq!(combo["historial"], json!({"sku": "COMBO-FAM", "veces": 3}));
    let rules = api.get("/api/marcas/gollos/promociones").await.ok(200);
    let shown: Vec<(&str, &serde_json::Value)> = rules
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| (r["nombre"].as_str().unwrap_or(""), &r["historial"]))
        .collect();
    assert_eq!(
        shown,
        [
            ("2x1 de hoy", &serde_json::Value::Null),
            ("Mañana 50%", &serde_json::Value::Null),
            ("Fiel al combo", &json!({"sku": "COMBO-FAM", "veces": 3})),
        ],
        "{rules}"
    );
    // Bad rules are refused.
    api.post(
        "/api/marcas/gollos/promociones",
        &json!({"nombre": "x", "tipo": "2x1", "dias": [8]}),
    )
    .await
    .problem(422, "validation");
}
