//! An Eco Eterno subscription through the real binary: notices with skip/pause buttons, three
//! monthly orders across a skip made from WhatsApp, a doubled run creating nothing twice,
//! pause/resume/cancel, the summary (MRR, churn, upcoming) and another brand's token refused.

use serde_json::{Value, json};

use crate::common::Eco;
use crate::fake_graph;

const WA: &str = "51987000222";

async fn process(eco: &Eco, at: &str) -> Value {
    eco.api()
        .post(
            "/api/marcas/eco/suscripciones/procesar",
            &json!({"ahora": at}),
        )
        .await
        .ok(200)
}

fn counts(v: &Value) -> (i64, i64, i64) {
    (
        v["pedidos"].as_i64().unwrap(),
        v["saltados"].as_i64().unwrap(),
        v["avisos"].as_i64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monthly_subscription_creates_three_orders_across_a_skip_and_obeys_pause_resume_cancel() {
    let eco = Eco::start().await;
    let api = eco.api();
    let refill = eco
        .product("RECARGA-DETERGENTE", 2500, json!({"co2_kg": 0.8}))
        .await;
    let customer = eco.customer("Lucía Ramos", WA).await;
    // The customer wrote today, so the 24-hour window is open for the interactive notices.
    eco.inbound(WA, "wamid.hola", fake_graph::text("hola"))
        .await;

    let plan = api
        .post(
            "/api/marcas/eco/planes-suscripcion",
            &json!({"nombre": "Recarga mensual", "items": [{"producto_id": refill, "cantidad": 2}],
                    "precio": 4500, "periodo": "mensual"}),
        )
        .await
        .ok(201);
    let sub = api
        .post(
            "/api/marcas/eco/suscripciones",
            &json!({"plan_id": plan["id"], "cliente_id": customer, "inicio": "2027-01-05"}),
        )
        .await
        .ok(201);
    let id = sub["id"].as_i64().unwrap();
    assert_eq!(sub["estado"], "activa");
    assert_eq!(sub["proximo_pedido"], "2027-01-05T00:00:00.000-05:00");

    // The day before: a notice with skip/pause buttons, no order yet; twice is still one notice.
    assert_eq!(
        counts(&process(&eco, "2027-01-04T09:00:00-05:00").await),
        (0, 0, 1)
    );
    assert_eq!(
        counts(&process(&eco, "2027-01-04T10:00:00-05:00").await),
        (0, 0, 0)
    );
    let notice = eco
        .sent_to(WA, "the notice", |b| b["interactive"]["type"] == "button")
        .await;
    let buttons = &notice["interactive"]["action"]["buttons"];
    assert_eq!(buttons[0]["reply"]["id"], format!("sus:{id}:0:saltar"));
    assert_eq!(buttons[1]["reply"]["id"], format!("sus:{id}:0:pausar"));

    // Order day: one order; the same run again (or after a restart) creates nothing more.
    assert_eq!(
        counts(&process(&eco, "2027-01-05T00:00:00-05:00").await),
        (1, 0, 0)
    );
    assert_eq!(
        counts(&process(&eco, "2027-01-05T00:00:00-05:00").await),
        (0, 0, 0)
    );
    let run = api
        .post("/api/jobs/suscripciones/run?marca=eco", &json!({}))
        .await
        .ok(200);
    assert!(
        run[0]["detalle"].as_str().unwrap().starts_with("0 pedidos"),
        "{run}"
    );

    // February: the customer taps "skip" on the notice; no order that month.
    assert_eq!(
        counts(&process(&eco, "2027-02-04T08:00:00-05:00").await),
        (0, 0, 1)
    );
    eco.inbound(
        WA,
        "wamid.saltar",
        fake_graph::button_reply(&format!("sus:{id}:1:saltar")),
    )
    .await;
    eco.sent_to(WA, "the skip confirmation", |b| {
        b["text"]["body"]
            .as_str()
            .is_some_and(|t| t.contains("saltamos"))
    })
    .await;
    assert_eq!(
        counts(&process(&eco, "2027-02-05T08:00:00-05:00").await),
        (0, 1, 0)
    );
    // March and April: one order each.
    assert_eq!(
        counts(&process(&eco, "2027-03-05T08:00:00-05:00").await).0,
        1
    );
    assert_eq!(
        counts(&process(&eco, "2027-04-05T08:00:00-05:00").await).0,
        1
    );

    let subs = api.get("/api/marcas/eco/suscripciones").await.ok(200);
    assert_eq!(subs[0]["pedidos"], 3, "{subs}");
    assert_eq!(subs[0]["proximo_pedido"], "2027-05-05T00:00:00.000-05:00");
    // Each order went through the orders store: confirmed, with history, stock taken.
    let orders = api.get("/api/marcas/eco/pedidos").await.ok(200);
    let orders = orders["items"].as_array().cloned().unwrap();
    let ours: Vec<&Value> = orders
        .iter()
        .filter(|o| {
            o["external_id"]
                .as_str()
                .is_some_and(|e| e.starts_with(&format!("suscripcion:{id}:")))
        })
        .collect();
    assert_eq!(ours.len(), 3, "{orders:?}");
    for o in &ours {
        assert_eq!(o["estado"], "confirmado");
    }
    let product = api.get(&format!("/api/productos/{refill}")).await.ok(200);
    assert_eq!(product["stock"], 94, "three orders of two units");

    let summary = api
        .get("/api/marcas/eco/suscripciones/resumen")
        .await
        .ok(200);
    assert_eq!(summary["mrr"], 4500);
    assert_eq!(summary["activas"], 1);
    assert_eq!(summary["proximos"][0]["suscripcion_id"], id);

    // A change of plan applies to the coming orders.
    let bigger = api
        .post(
            "/api/marcas/eco/planes-suscripcion",
            &json!({"nombre": "Recarga doble", "items": [{"producto_id": refill, "cantidad": 4}],
                    "precio": 8500, "periodo": "semanas", "cada_semanas": 4}),
        )
        .await
        .ok(201);
    let changed = api
        .put(
            &format!("/api/marcas/eco/suscripciones/{id}"),
            &json!({"plan_id": bigger["id"]}),
        )
        .await
        .ok(200);
    assert_eq!(changed["plan"], "Recarga doble");
    assert_eq!(
        api.get("/api/marcas/eco/suscripciones/resumen")
            .await
            .ok(200)["mrr"],
        8500 * 52 / 48,
        "every 4 weeks as monthly revenue"
    );
    api.put(
        &format!("/api/marcas/eco/suscripciones/{id}"),
        &json!({"plan_id": plan["id"]}),
    )
    .await
    .ok(200);

    // Pause: May passes without an order. Resume: the next date is delivered again.
    api.post(
        &format!("/api/marcas/eco/suscripciones/{id}/pausar"),
        &json!({}),
    )
    .await
    .ok(200);
    assert_eq!(
        counts(&process(&eco, "2027-05-05T08:00:00-05:00").await),
        (0, 0, 0)
    );
    let resumed = api
        .post(
            &format!("/api/marcas/eco/suscripciones/{id}/reanudar"),
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(resumed["estado"], "activa");
    assert_eq!(
        counts(&process(&eco, "2027-05-05T08:00:00-05:00").await).0,
        1
    );
    // Pausing twice is a conflict; cancel stops everything.
    api.post(
        &format!("/api/marcas/eco/suscripciones/{id}/reanudar"),
        &json!({}),
    )
    .await
    .problem(409, "conflict");
    api.post(
        &format!("/api/marcas/eco/suscripciones/{id}/cancelar"),
        &json!({}),
    )
    .await
    .ok(200);
    assert_eq!(
        counts(&process(&eco, "2027-07-05T08:00:00-05:00").await),
        (0, 0, 0)
    );
    let summary = api
        .get("/api/marcas/eco/suscripciones/resumen")
        .await
        .ok(200);
    assert_eq!(summary["mrr"], 0);
    assert_eq!(summary["canceladas_30d"], 1);
    assert_eq!(summary["churn_30d"], 1.0);

    // Another brand's token sees none of it.
    let other = eco.server.api(Some(&eco.other));
    assert_eq!(other.get("/api/marcas/eco/suscripciones").await.status, 404);
    assert_eq!(
        other
            .post(
                &format!("/api/marcas/eco/suscripciones/{id}/pausar"),
                &json!({})
            )
            .await
            .status,
        404
    );
    assert_eq!(
        other
            .get("/api/marcas/eco/suscripciones/resumen")
            .await
            .status,
        404
    );
}
