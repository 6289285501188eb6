//! Automatic campaigns through the real binary: switched on per brand, the job sends to the
//! segment once, and a second run does not repeat itself.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::fake_graph::{self, FakeGraph};
use crate::support::TestEnv;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_campaigns_go_to_their_segment_once_and_only_when_on() {
    let fake = FakeGraph::start().await;
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    fake_graph::connect_whatsapp(&env, "gollos", &[]);
    let conn = rusqlite::Connection::open(env.brand_db("gollos")).unwrap();
    // Seeding writes audited tables: the audit triggers need their SQL functions.
    autonomo::db::functions::register(&conn, "gollos").unwrap();
    for (i, segment, consent) in [
        (1, "en_riesgo", 1),
        (2, "en_riesgo", 1),
        (3, "en_riesgo", 0),
        (4, "perdido", 1),
        (5, "nuevo", 1),
    ] {
        conn.execute(
            "INSERT INTO clientes (id, nombre, telefono, consentimiento_marketing, canal_adquisicion, segmento, creado_en, actualizado_en)
             VALUES (?1, ?2, ?3, ?4, 'whatsapp', ?5, 1, 1)",
            rusqlite::params![i, format!("Cliente {i}"), format!("+5198800000{i}"), consent, segment],
        )
        .unwrap();
    }
    drop(conn);
    let token = env.token(Some("gollos"), "admin");
    let server = env.start_with(&[
        ("AUTONOMO_WHATSAPP_API_BASE", fake.base.as_str()),
        ("AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS", "0"),
    ]);
    let api = server.api(Some(&token));
    // Another brand's token cannot see this brand's campaigns or switches.
    env.create_brand("eco", "Eco Eterno", "PE", "America/Lima", "PEN");
    let other = server.api(Some(&env.token(Some("eco"), "admin")));
    other
        .get("/api/marcas/gollos/campanas")
        .await
        .problem(404, "not-found");
    other
        .put(
            "/api/marcas/gollos/automatizaciones",
            &json!({"clave": "auto_nuevo", "activa": false}),
        )
        .await
        .problem(404, "not-found");
    // Off by default: nothing is sent.
    let run = api
        .post(
            "/api/jobs/campanas_automaticas/run?marca=gollos",
            &json!({}),
        )
        .await
        .ok(200);
    assert!(
        run[0]["detalle"]
            .as_str()
            .unwrap()
            .starts_with("sin campañas"),
        "{run}"
    );
    api.put(
        "/api/marcas/gollos/automatizaciones",
        &json!({"clave": "auto_en_riesgo", "activa": true, "plantilla": "te_extranamos"}),
    )
    .await
    .ok(200);
    api.put(
        "/api/marcas/gollos/automatizaciones",
        &json!({"clave": "auto_nuevo", "activa": true, "plantilla": "bienvenida"}),
    )
    .await
    .ok(200);
    api.put(
        "/api/marcas/gollos/automatizaciones",
        &json!({"clave": "auto_perdido", "activa": true}),
    )
    .await
    .problem(422, "validation");
    let listed = api.get("/api/marcas/gollos/automatizaciones").await.ok(200);
    assert_eq!(listed.as_array().unwrap().len(), 4);

    let run = api
        .post(
            "/api/jobs/campanas_automaticas/run?marca=gollos",
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(
        run[0]["detalle"], "auto_en_riesgo: 2, auto_nuevo: 1",
        "{run}"
    );
    let campaigns = api.get("/api/marcas/gollos/campanas").await.ok(200);
    let tipos: Vec<&str> = campaigns
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["tipo"].as_str().unwrap())
        .collect();
    assert_eq!(tipos, ["auto_nuevo", "auto_en_riesgo"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.sent().len() < 3 {
        assert!(Instant::now() < deadline, "sends: {:?}", fake.sent());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut sent: Vec<(String, String)> = fake
        .sent()
        .iter()
        .map(|s| {
            (
                s.to.clone(),
                s.body["template"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            ("51988000001".to_owned(), "te_extranamos".to_owned()),
            ("51988000002".to_owned(), "te_extranamos".to_owned()),
            ("51988000005".to_owned(), "bienvenida".to_owned()),
        ]
    );
    // The next day nobody gets the same automatic campaign again.
    let again = api
        .post(
            "/api/jobs/campanas_automaticas/run?marca=gollos",
            &json!({}),
        )
        .await
        .ok(200);
    assert!(
        again[0]["detalle"]
            .as_str()
            .unwrap()
            .starts_with("sin campañas"),
        "{again}"
    );
}
