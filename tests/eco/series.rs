//! An Eco Eterno education series through the real binary and the fake Graph API: step 1 as
//! free text inside the 24-hour window and as the step's template outside it, a doubled run
//! sending nothing twice, a reply captured on its step, an opt-out ("STOP") ending the
//! enrolment before step 2, refusal to enrol a customer without consent, automatic
//! enrolment of opted-in customers, and another brand's token refused.

use serde_json::{Value, json};

use crate::common::Eco;
use crate::fake_graph;

const ANA: &str = "51987000301";
const BETO: &str = "51987000302";

async fn customer(eco: &Eco, name: &str, wa: &str, consent: bool) -> String {
    let c = eco
        .api()
        .post(
            "/api/marcas/eco/clientes",
            &json!({"nombre": name, "telefono": format!("+{wa}"), "consentimiento_marketing": consent}),
        )
        .await
        .ok(201);
    c["id"].as_str().unwrap().to_owned()
}

async fn process(eco: &Eco, at: Option<String>) -> Value {
    eco.api()
        .post("/api/marcas/eco/series/procesar", &json!({"ahora": at}))
        .await
        .ok(200)
}

fn template_name(body: &Value) -> Option<&str> {
    body["template"]["name"].as_str()
}

fn enrolment<'a>(series: &'a Value, customer: &str) -> &'a Value {
    series["inscripciones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["cliente_id"] == customer)
        .unwrap_or_else(|| panic!("{customer} not enrolled: {series}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_sends_steps_in_and_out_of_the_window_captures_replies_and_honours_opt_out() {
    let eco = Eco::start().await;
    let api = eco.api();
    let ana = customer(&eco, "Ana Torres", ANA, true).await;
    let beto = customer(&eco, "Beto Ruiz", BETO, true).await;
    let carla = customer(&eco, "Carla Sin Permiso", "51987000303", false).await;
    // Ana wrote today (window open); Beto never wrote (window closed: template only).
    eco.inbound(ANA, "wamid.ana.hola", fake_graph::text("hola"))
        .await;
    eco.sent_to(ANA, "the bot's answer to hola", |_| true).await;

    let series = api
        .post(
            "/api/marcas/eco/series",
            &json!({"nombre": "Hogar sin residuos", "pasos": [
                {"dias": 0, "plantilla": "eco_tip_uno", "texto": "Consejo 1: lleva tu bolsa reutilizable."},
                {"dias": 7, "plantilla": "eco_tip_dos", "texto": "Consejo 2: prueba las recargas."}
            ]}),
        )
        .await
        .ok(201);
    let id = series["id"].as_i64().unwrap();
    assert_eq!(series["pasos"], 2);
    let path = format!("/api/marcas/eco/series/{id}/inscripciones");
    api.post(&path, &json!({"cliente_id": ana})).await.ok(201);
    api.post(&path, &json!({"cliente_id": beto})).await.ok(201);
    let refused = api.post(&path, &json!({"cliente_id": carla})).await;
    assert_eq!(
        refused.status, 422,
        "no consent, no enrolment: {:?}",
        refused.text
    );

    let run = process(&eco, None).await;
    assert_eq!(run["enviados"], 2, "{run}");
    let to_ana = eco
        .sent_to(ANA, "step 1 as text", |b| {
            b["text"]["body"]
                .as_str()
                .is_some_and(|t| t.contains("Consejo 1"))
        })
        .await;
    assert!(template_name(&to_ana).is_none());
    eco.sent_to(BETO, "step 1 as template", |b| {
        template_name(b) == Some("eco_tip_uno")
    })
    .await;
    // A doubled run sends nothing: step 2 is a week away.
    let again = process(&eco, None).await;
    assert_eq!(
        (again["enviados"].as_i64(), again["en_espera"].as_i64()),
        (Some(0), Some(0))
    );

    // Ana's reply is captured on step 1; Beto opts out.
    eco.inbound(
        ANA,
        "wamid.ana.resp",
        fake_graph::text("¡Me encantó el consejo!"),
    )
    .await;
    eco.inbound(BETO, "wamid.beto.stop", fake_graph::text("STOP"))
        .await;
    eco.sent_to(BETO, "the opt-out confirmation", |b| b["text"].is_object())
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let got = loop {
        let got = api
            .get(&format!("/api/marcas/eco/series/{id}"))
            .await
            .ok(200);
        if got["respuestas"] == 1 {
            break got;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "reply not captured: {got}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let a = enrolment(&got, &ana);
    assert_eq!(a["ultima_respuesta"], "¡Me encantó el consejo!");
    assert_eq!(a["respuesta_paso"], 1);
    assert_eq!(a["pasos_enviados"], 1);
    assert_eq!(got["pasos_detalle"][0]["respuestas"], 1);
    assert_eq!(got["pasos_detalle"][0]["enviados"], 2);

    // Eight days later (Ana's window closed): step 2 goes to Ana as its template and ends her
    // series; Beto's enrolment ends without a send.
    let later = (chrono::Utc::now() + chrono::Duration::days(8)).to_rfc3339();
    let run = process(&eco, Some(later)).await;
    assert_eq!(
        (
            run["enviados"].as_i64(),
            run["bajas"].as_i64(),
            run["completados"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{run}"
    );
    eco.sent_to(ANA, "step 2 as template", |b| {
        template_name(b) == Some("eco_tip_dos")
    })
    .await;
    let got = api
        .get(&format!("/api/marcas/eco/series/{id}"))
        .await
        .ok(200);
    assert_eq!(enrolment(&got, &ana)["estado"], "completada");
    assert_eq!(enrolment(&got, &beto)["estado"], "baja");
    assert_eq!(enrolment(&got, &beto)["pasos_enviados"], 1);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !eco.fake
            .sent()
            .iter()
            .any(|s| s.to == BETO && template_name(&s.body) == Some("eco_tip_dos")),
        "nothing after opt-out"
    );

    // An auto-enrolling series takes the opted-in customers only (Ana; Beto opted out).
    let auto = api
        .post(
            "/api/marcas/eco/series",
            &json!({"nombre": "Automática", "auto_inscribir": true,
                    "pasos": [{"dias": 3, "texto": "Bienvenida"}]}),
        )
        .await
        .ok(201);
    let run = process(&eco, None).await;
    assert_eq!(
        (run["inscritos"].as_i64(), run["enviados"].as_i64()),
        (Some(1), Some(0)),
        "{run}"
    );
    let got = api
        .get(&format!("/api/marcas/eco/series/{}", auto["id"]))
        .await
        .ok(200);
    assert_eq!(got["inscripciones"].as_array().unwrap().len(), 1);
    assert_eq!(got["inscripciones"][0]["cliente_id"], ana.as_str());
    assert_eq!(got["inscripciones"][0]["origen"], "automatica");

    // Another brand's admin sees nothing of eco's series.
    let other = eco.server.api(Some(&eco.other));
    let denied = other.get("/api/marcas/eco/series").await;
    assert!(
        denied.status == 403 || denied.status == 404,
        "{}",
        denied.status
    );
}
