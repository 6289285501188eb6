//! Environmental impact through the real binary: per-product attributes summed over delivered
//! orders only (numbers checked by hand), levels and badges, the opt-in leaderboard with first
//! names, "mi impacto" answered on WhatsApp, and another brand's token refused.

use serde_json::json;

use crate::common::Eco;
use crate::fake_graph;
use crate::support::Api;

const ROSA: &str = "51987000333";

async fn order(api: &Api, customer: &str, items: &[(&str, i64)], deliver: bool) {
    let items: Vec<_> = items
        .iter()
        .map(|(p, q)| json!({"producto_id": p, "cantidad": q}))
        .collect();
    let o = api
        .post(
            "/api/pedidos",
            &json!({"cliente_id": customer, "canal": "web", "items": items, "confirmar": true}),
        )
        .await
        .ok(201);
    if deliver {
        let id = o["id"].as_str().unwrap();
        for estado in ["en_preparacion", "listo", "entregado"] {
            api.put(&format!("/api/pedidos/{id}"), &json!({"estado": estado}))
                .await
                .ok(200);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impact_sums_delivered_orders_ranks_opted_in_first_names_and_answers_mi_impacto() {
    let eco = Eco::start().await;
    let api = eco.api();
    let bottle = eco
        .product(
            "BOTELLA-VIDRIO",
            3900,
            json!({"co2_kg": 1.5, "plastico_g": 40}),
        )
        .await;
    let soap = eco
        .product(
            "JABON-SOLIDO",
            1200,
            json!({"co2_kg": 0.25, "plastico_g": 12}),
        )
        .await;
    let plain = eco.product("BOLSA-TELA", 900, json!({})).await;
    let rosa = eco.customer("Rosa Quispe Huamán", ROSA).await;
    let juan = eco.customer("Juan Pérez", "51987000444").await;
    let ana = eco.customer("Ana Torres", "51987000555").await;

    // Rosa: 2 bottles + 4 soaps, then 3 bottles + a bag (delivered), 10 bottles (not delivered).
    order(&api, &rosa, &[(&bottle, 2), (&soap, 4)], true).await;
    order(&api, &rosa, &[(&bottle, 3), (&plain, 1)], true).await;
    order(&api, &rosa, &[(&bottle, 10)], false).await;
    order(&api, &juan, &[(&bottle, 1)], true).await;
    order(&api, &ana, &[(&bottle, 20)], true).await;

    // Rosa: CO₂ 2×1.5 + 4×0.25 + 3×1.5 = 8.5 kg; plastic 2×40 + 4×12 + 3×40 = 248 g.
    let i = api
        .get(&format!("/api/clientes/{rosa}/impacto"))
        .await
        .ok(200);
    assert_eq!(i["co2_kg"], 8.5);
    assert_eq!(i["plastico_g"], 248.0);
    assert_eq!(i["pedidos"], 2);
    assert_eq!(i["nivel"], "Brote");
    assert_eq!(i["siguiente_nivel"], "Árbol");
    assert_eq!(i["faltan_co2_kg"], 11.5);
    assert_eq!(i["insignias"], json!(["Primera entrega verde"]));
    // Ana: 20 bottles = 30 kg CO₂, 800 g plastic → Árbol with the 10 kg badge.
    let a = api
        .get(&format!("/api/clientes/{ana}/impacto"))
        .await
        .ok(200);
    assert_eq!(a["nivel"], "Árbol");
    assert_eq!(
        a["insignias"],
        json!(["Primera entrega verde", "10 kg de CO₂ evitados"])
    );

    // Only opted-in customers are ranked, by first name; totals count everyone delivered.
    for c in [&rosa, &juan] {
        api.put(
            &format!("/api/clientes/{c}/impacto/ranking"),
            &json!({"participa": true}),
        )
        .await
        .ok(200);
    }
    let brand = api.get("/api/marcas/eco/impacto").await.ok(200);
    assert_eq!(brand["totales"]["co2_kg"], 40.0, "8.5 + 1.5 + 30");
    assert_eq!(brand["totales"]["plastico_g"], 1088.0, "248 + 40 + 800");
    assert_eq!(brand["totales"]["pedidos"], 4);
    assert_eq!(brand["totales"]["clientes"], 3);
    let ranking = brand["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 2, "{ranking:?}");
    assert_eq!(ranking[0]["nombre"], "Rosa");
    assert_eq!(ranking[0]["co2_kg"], 8.5);
    assert_eq!(ranking[1]["nombre"], "Juan");
    assert!(!brand.to_string().contains("Quispe"), "first names only");
    assert!(!brand.to_string().contains("Ana"), "Ana did not opt in");

    // "mi impacto" on WhatsApp.
    eco.inbound(
        ROSA,
        "wamid.impacto",
        fake_graph::text("Hola, ¿cuál es mi impacto?"),
    )
    .await;
    let reply = eco
        .sent_to(ROSA, "the impact summary", |b| {
            b["text"]["body"]
                .as_str()
                .is_some_and(|t| t.contains("Tu impacto"))
        })
        .await;
    let text = reply["text"]["body"].as_str().unwrap();
    assert!(
        text.contains("8.5 kg de CO₂ y 248 g de plástico evitados en 2 pedidos. Nivel: Brote."),
        "{text}"
    );
    assert!(
        text.contains("Te faltan 11.5 kg de CO₂ para ser Árbol."),
        "{text}"
    );

    // Forgetting a customer (GDPR) takes them off the leaderboard.
    api.post(&format!("/api/clientes/{juan}/olvidar"), &json!({}))
        .await
        .ok(200);
    let brand = api.get("/api/marcas/eco/impacto").await.ok(200);
    assert_eq!(brand["ranking"].as_array().unwrap().len(), 1, "{brand}");
    assert_eq!(brand["ranking"][0]["nombre"], "Rosa");

    // Another brand's token gets 404.
    let other = eco.server.api(Some(&eco.other));
    assert_eq!(other.get("/api/marcas/eco/impacto").await.status, 404);
    assert_eq!(
        other
            .get(&format!("/api/clientes/{rosa}/impacto"))
            .await
            .status,
        404
    );
    assert_eq!(
        other
            .put(
                &format!("/api/clientes/{rosa}/impacto/ranking"),
                &json!({"participa": true})
            )
            .await
            .status,
        404
    );
}
