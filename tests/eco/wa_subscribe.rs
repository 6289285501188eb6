//! Subscribing from WhatsApp through the signed webhook and the fake Graph API: no plans yet,
//! the plans list, the delivery address asked for, the confirmation creating the subscription
//! (seen by the API), a double tap creating nothing more, and "mi suscripción" with the
//! pause/resume buttons.

use serde_json::{Value, json};

use crate::common::Eco;
use crate::fake_graph;

const WA: &str = "51987000333";

fn body(b: &Value) -> String {
    b["interactive"]["body"]["text"]
        .as_str()
        .or(b["text"]["body"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn has(text: &'static str) -> impl Fn(&Value) -> bool {
    move |b| body(b).contains(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_subscribes_in_whatsapp_with_address_and_manages_it() {
    let eco = Eco::start().await;
    let api = eco.api();
    let refill = eco
        .product("RECARGA-JABON", 2500, json!({"co2_kg": 0.5}))
        .await;
    let customer = eco.customer("Ana Torres", WA).await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::Lima)
        .format("%d/%m/%Y")
        .to_string();

    // No plans yet: explained.
    eco.inbound(WA, "wamid.s1", fake_graph::text("Quiero suscribirme"))
        .await;
    eco.sent_to(WA, "no plans", has("no tenemos planes")).await;

    let monthly = api
        .post(
            "/api/marcas/eco/planes-suscripcion",
            &json!({"nombre": "Recarga mensual", "items": [{"producto_id": refill, "cantidad": 2}],
                    "precio": 4500, "periodo": "mensual"}),
        )
        .await
        .ok(201)["id"]
        .as_i64()
        .unwrap();
    let biweekly = api
        .post(
            "/api/marcas/eco/planes-suscripcion",
            &json!({"nombre": "Recarga quincenal", "items": [{"producto_id": refill, "cantidad": 1}],
                    "precio": 2500, "periodo": "semanas", "cada_semanas": 2}),
        )
        .await
        .ok(201)["id"]
        .as_i64()
        .unwrap();

    eco.inbound(WA, "wamid.s2", fake_graph::text("suscripción"))
        .await;
    let list = eco
        .sent_to(WA, "the plans list", |b| b["interactive"]["type"] == "list")
        .await;
    let rows = &list["interactive"]["action"]["sections"][0]["rows"];
    assert_eq!(rows[0]["id"], format!("plan:{monthly}"), "{list}");
    assert_eq!(rows[0]["description"], "PEN 45.00 cada mes");
    assert_eq!(rows[1]["id"], format!("plan:{biweekly}"));
    assert_eq!(rows[1]["description"], "PEN 25.00 cada 2 semanas");

    // No address on file: asked first, then the confirmation with the first date.
    eco.inbound(
        WA,
        "wamid.s3",
        fake_graph::list_reply(&format!("plan:{monthly}")),
    )
    .await;
    eco.sent_to(WA, "the address question", has("dirección de entrega"))
        .await;
    // A greeting instead of an address is not stored as one: the bot answers it as usual and
    // asks again when the plan is chosen again.
    eco.inbound(WA, "wamid.s3b", fake_graph::text("hola")).await;
    eco.sent_to(WA, "the greeting", has("Bienvenido")).await;
    let c = api.get(&format!("/api/clientes/{customer}")).await.ok(200);
    assert!(c["direccion"].is_null(), "{c}");
    eco.inbound(
        WA,
        "wamid.s3c",
        fake_graph::list_reply(&format!("plan:{monthly}")),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while eco
        .fake
        .sent()
        .iter()
        .filter(|m| m.to == WA && body(&m.body).contains("dirección de entrega"))
        .count()
        < 2
    {
        assert!(
            std::time::Instant::now() < deadline,
            "address not asked again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    eco.inbound(WA, "wamid.s4", fake_graph::text("Av. Arequipa 1234, Lince"))
        .await;
    let question = eco
        .sent_to(WA, "the confirmation question", has("¿Confirmas"))
        .await;
    assert_eq!(
        body(&question),
        format!(
            "Plan «Recarga mensual»: PEN 45.00 cada mes. Tu primer pedido sería el {today}. ¿Confirmas la suscripción?"
        )
    );
    let ok = format!("susc:{monthly}:ok");
    assert_eq!(
        question["interactive"]["action"]["buttons"][0]["reply"]["id"],
        ok
    );
    let c = api.get(&format!("/api/clientes/{customer}")).await.ok(200);
    assert_eq!(c["direccion"], "Av. Arequipa 1234, Lince", "{c}");

    eco.inbound(WA, "wamid.s5", fake_graph::button_reply(&ok))
        .await;
    let done = eco.sent_to(WA, "the welcome", has("Te suscribiste")).await;
    assert_eq!(
        body(&done),
        format!(
            "¡Listo! Te suscribiste a «Recarga mensual» (PEN 45.00 cada mes). Tu primer pedido: {today}. Te avisaremos antes de cada entrega; escribe «mi suscripción» para verla."
        )
    );
    let subs = api.get("/api/marcas/eco/suscripciones").await.ok(200);
    let subs = subs.as_array().unwrap();
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(subs[0]["plan_id"], monthly);
    assert_eq!(subs[0]["cliente_id"], customer.as_str());
    assert_eq!(subs[0]["estado"], "activa");
    let sid = subs[0]["id"].as_i64().unwrap();

    // A second tap on "Confirmar" subscribes nobody twice.
    eco.inbound(WA, "wamid.s6", fake_graph::button_reply(&ok))
        .await;
    eco.sent_to(WA, "already subscribed", has("Ya estás suscrito"))
        .await;
    let subs = api.get("/api/marcas/eco/suscripciones").await.ok(200);
    assert_eq!(subs.as_array().unwrap().len(), 1);

    // "mi suscripción": status with the notice's skip/pause buttons; pause, then resume.
    eco.inbound(WA, "wamid.s7", fake_graph::text("mi suscripción"))
        .await;
    let status = eco.sent_to(WA, "the status", has("está activa")).await;
    let buttons = &status["interactive"]["action"]["buttons"];
    // The period is the next one due (0 unless the scheduler already made the first order).
    let skip = buttons[0]["reply"]["id"].as_str().unwrap();
    assert!(
        skip.starts_with(&format!("sus:{sid}:")) && skip.ends_with(":saltar"),
        "{status}"
    );
    let pause = buttons[1]["reply"]["id"].as_str().unwrap().to_owned();
    assert_eq!(pause, skip.replace(":saltar", ":pausar"));
    eco.inbound(WA, "wamid.s8", fake_graph::button_reply(&pause))
        .await;
    eco.sent_to(WA, "paused", has("Pausamos")).await;
    let subs = api.get("/api/marcas/eco/suscripciones").await.ok(200);
    assert_eq!(subs[0]["estado"], "pausada");
    eco.inbound(WA, "wamid.s9", fake_graph::text("mi suscripcion"))
        .await;
    let paused = eco.sent_to(WA, "paused status", has("está pausada")).await;
    let resume = paused["interactive"]["action"]["buttons"][0]["reply"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(resume.ends_with(":reanudar"), "{paused}");
    eco.inbound(WA, "wamid.s10", fake_graph::button_reply(&resume))
        .await;
    eco.sent_to(WA, "resumed", has("Reanudamos")).await;
    let subs = api.get("/api/marcas/eco/suscripciones").await.ok(200);
    assert_eq!(subs[0]["estado"], "activa");
}
