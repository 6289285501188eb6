//! Satisfaction surveys and reminders through the real binary: an order reaches `entregado`,
//! the follow-up job sends the CSAT list, webhook answers (CSAT, NPS, comment) are stored as
//! interactions, a low score flags the conversation and creates a reminder; staff reminders
//! show as due on time and can be marked done.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_graph::{self, FakeGraph};
use crate::support::{Api, TestEnv};

const WA: &str = "51987000111";

fn setup() -> (TestEnv, String) {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    fake_graph::connect_whatsapp(&env, "gollos", &[]);
    let token = env.token(None, "admin");
    (env, token)
}

async fn wait_for<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The last free-form message the fake received for the customer, once `pred` holds.
async fn sent_to_customer(fake: &FakeGraph, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    wait_for(what, async || {
        fake.sent()
            .into_iter()
            .rev()
            .find(|s| s.to == WA && pred(&s.body))
            .map(|s| s.body)
    })
    .await
}

async fn inbound(base: &str, id: &str, message: Value) {
    fake_graph::post_signed(base, fake_graph::inbound(WA, id, message)).await;
}

async fn deliver(api: &Api) -> String {
    let p = api
        .post(
            "/api/marcas/gollos/productos",
            &json!({"sku": "BROASTER", "nombre": "Pollo broaster", "categoria": "Pollos", "precio": 2290}),
        )
        .await;
    assert!(p.status == 201, "{}", p.text);
    let order = api
        .post(
            "/api/pedidos",
            &json!({"marca": "gollos", "canal": "whatsapp",
                    "cliente": {"nombre": "Rosa Quispe", "telefono": format!("+{WA}")},
                    "items": [{"sku": "BROASTER", "cantidad": 1}]}),
        )
        .await
        .ok(201);
    let id = order["id"].as_str().unwrap().to_owned();
    for estado in ["confirmado", "en_preparacion", "listo", "entregado"] {
        api.put(&format!("/api/pedidos/{id}"), &json!({"estado": estado}))
            .await
            .ok(200);
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survey_after_delivery_low_score_alerts_and_reminders_show_on_time() {
    let fake = FakeGraph::start().await;
    let (env, token) = setup();
    let server = env.start_with(&[
        ("AUTONOMO_WHATSAPP_API_BASE", fake.base.as_str()),
        ("AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS", "0"),
    ]);
    let api = server.api(Some(&token));
    api.put(
        "/api/marcas/gollos/automatizaciones",
        &json!({"clave": "encuesta", "activa": true, "ajustes": {"retraso_min": 0, "nps": true}}),
    )
    .await
    .ok(200);
    // The customer wrote today, so the 24-hour window is open for interactive messages.
    inbound(&server.base, "wamid.hola", fake_graph::text("hola")).await;
    let order = deliver(&api).await;
    let local: i64 = order.rsplit('_').next().unwrap().parse().unwrap();

    let run = api
        .post("/api/jobs/seguimiento/run?marca=gollos", &json!({}))
        .await
        .ok(200);
    assert!(
        run[0]["detalle"]
            .as_str()
            .unwrap()
            .starts_with("1 encuestas"),
        "{run}"
    );
    let question = sent_to_customer(&fake, "the CSAT list", |b| {
        b["interactive"]["type"] == "list"
            && b["interactive"]["action"]["sections"][0]["rows"][0]["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("csat:"))
    })
    .await;
    let rows = &question["interactive"]["action"]["sections"][0]["rows"];
    assert_eq!(rows.as_array().unwrap().len(), 5);
    assert_eq!(rows[1]["id"], format!("csat:{local}:2"));
    // Running again sends nothing twice.
    let again = api
        .post("/api/jobs/seguimiento/run?marca=gollos", &json!({}))
        .await
        .ok(200);
    assert!(
        again[0]["detalle"]
            .as_str()
            .unwrap()
            .starts_with("0 encuestas"),
        "{again}"
    );

    inbound(
        &server.base,
        "wamid.csat",
        fake_graph::list_reply(&format!("csat:{local}:2")),
    )
    .await;
    sent_to_customer(&fake, "the NPS question", |b| {
        b["text"]["body"]
            .as_str()
            .is_some_and(|t| t.contains("0 al 10"))
    })
    .await;
    inbound(&server.base, "wamid.nps", fake_graph::text("3")).await;
    sent_to_customer(&fake, "the comment question", |b| {
        b["interactive"]["type"] == "button"
            && b["interactive"]["body"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("comentario"))
    })
    .await;
    // Text before choosing to comment is not taken as a comment (it may be an order).
    inbound(
        &server.base,
        "wamid.order",
        fake_graph::text("quiero 2 pollos"),
    )
    .await;
    inbound(
        &server.base,
        "wamid.comentar",
        fake_graph::button_reply(&format!("comentar:{local}")),
    )
    .await;
    sent_to_customer(&fake, "the comment prompt", |b| {
        b["text"]["body"]
            .as_str()
            .is_some_and(|t| t.contains("Escríbenos"))
    })
    .await;
    inbound(
        &server.base,
        "wamid.comment",
        fake_graph::text("La comida llegó fría"),
    )
    .await;
    let surveys = wait_for("the complete survey", async || {
        let s = api.get("/api/marcas/gollos/encuestas").await.ok(200);
        (s["encuestas"][0]["estado"] == "completa").then_some(s)
    })
    .await;
    let s = &surveys["encuestas"][0];
    assert_eq!(s["csat"], 2);
    assert_eq!(s["nps"], 3);
    assert_eq!(s["comentario"], "La comida llegó fría");
    assert_eq!(surveys["csat_promedio"], 2.0);
    assert_eq!(surveys["nps"], -100.0);

    // Answers are interactions on the customer's timeline.
    let customer = format!("cli_gollos_{}", s["cliente_id"]);
    let timeline = api
        .get(&format!("/api/clientes/{customer}/interacciones"))
        .await
        .ok(200);
    let bodies: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["tipo"] == "encuesta")
        .filter_map(|i| i["cuerpo"].as_str())
        .collect();
    assert!(
        bodies.contains(&"CSAT 2/5") && bodies.contains(&"NPS 3/10"),
        "{bodies:?}"
    );

    // The low score flagged the conversation and created due reminders.
    let conv = api.get("/api/marcas/gollos/conversaciones").await;
    assert!(
        conv.text.contains("satisfacción baja") || conv.text.contains("NPS bajo"),
        "{}",
        conv.text
    );
    let due = api
        .get("/api/marcas/gollos/recordatorios?vencidos=true")
        .await
        .ok(200);
    assert!(
        due.as_array()
            .unwrap()
            .iter()
            .any(|r| r["origen"] == "encuesta_baja"),
        "{due}"
    );

    // A staff reminder shows as due on time, then is marked done.
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let created = api
        .post(
            &format!("/api/clientes/{customer}/recordatorios"),
            &json!({"texto": "Llamar para disculparnos", "vence_en": at.to_rfc3339()}),
        )
        .await
        .ok(201);
    let rid = created["id"].as_i64().unwrap();
    let is_due = async |api: &Api| {
        api.get("/api/marcas/gollos/recordatorios?vencidos=true")
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == rid)
    };
    assert!(!is_due(&api).await, "not due before its time");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(is_due(&api).await, "due on time");
    api.call(
        reqwest::Method::POST,
        &format!("/api/marcas/gollos/recordatorios/{rid}/hecho"),
        None,
    )
    .await
    .ok(204);
    assert!(!is_due(&api).await, "done reminders leave the list");
    api.post(
        &format!("/api/clientes/{customer}/recordatorios"),
        &json!({"texto": "  "}),
    )
    .await
    .problem(422, "validation");
}
