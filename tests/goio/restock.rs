//! Restock alerts end to end: a customer asks in WhatsApp, staff add another through the API;
//! when the product's stock goes 0 -> positive each waiting customer gets exactly one message
//! (free text inside the 24-hour window, the brand's template outside it), even across a
//! restart and a second stock change.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const SLUG: &str = "goio-store";
const ANA: &str = "51911000001";
const BETO: &str = "51911000002";
const CARLA: &str = "51911000003";

async fn start(dir: &std::path::Path, graph: &FakeGraph) -> Server {
    let s = Server::start(
        dir,
        Options {
            api_base: graph.base(),
            ..Options::default()
        },
    )
    .await;
    s.brand(SLUG, NUMBER, "USD").await;
    s
}

async fn say(s: &Server, wa_id: &str, wamid: &str, body: &str) {
    s.post_signed(&inbound(NUMBER, wa_id, "Cliente", wamid, text(body)))
        .await;
    s.settle().await;
}

async fn run_job(s: &Server) -> Value {
    let (status, body) = s
        .api(
            Method::POST,
            &format!("/api/jobs/avisos_reposicion/run?marca={SLUG}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["resultado"], "ok", "{body}");
    body
}

async fn set_stock(s: &Server, product: &str, stock: i64) {
    let (status, body) = s
        .api(
            Method::PUT,
            &format!("/api/productos/{product}"),
            Some(json!({ "stock": stock })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Restock messages the fake Graph API received for `wa_id`.
fn alerts(graph: &FakeGraph, wa_id: &str) -> Vec<Value> {
    graph
        .requests()
        .into_iter()
        .map(|r| r.body)
        .filter(|b| b["to"] == wa_id)
        .filter(|b| {
            b["type"] == "template"
                || b["text"]["body"]
                    .as_str()
                    .is_some_and(|t| t.contains("Ya llegó"))
        })
        .collect()
}

async fn wait_for(graph: &FakeGraph, wa_id: &str, n: usize) {
    for _ in 0..200 {
        if alerts(graph, wa_id).len() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!(
        "{wa_id}: expected {n} alerts, got {:?}",
        alerts(graph, wa_id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goio_restock_alert_is_sent_exactly_once_to_each_waiting_customer() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start().await;
    let s = start(dir.path(), &graph).await;
    s.exec(
        SLUG,
        "INSERT INTO wa_ajustes (clave, valor) VALUES ('plantilla', 'aviso_reposicion'), ('plantilla_idioma', 'es')",
    )
    .await;
    let mut ids = Vec::new();
    for (sku, name, stock) in [
        ("AUD-PRO", "Audífonos Goio Pro", 0),
        ("CARG-65", "Cargador rápido 65W", 0),
        ("FUNDA", "Funda magnética", 10),
    ] {
        let (status, p) = s
            .api(
                Method::POST,
                &format!("/api/marcas/{SLUG}/productos"),
                Some(json!({"sku": sku, "nombre": name, "categoria": "Accesorios", "precio": 4990, "stock": stock})),
            )
            .await;
        assert_eq!(status, 201, "{p}");
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    let (audio, charger) = (&ids[0], &ids[1]);

    // Ana asks in WhatsApp (inside her 24-hour window); asking twice keeps one request.
    say(
        &s,
        ANA,
        "wamid.ana.1",
        "Avísame cuando lleguen los audífonos goio pro por favor",
    )
    .await;
    let reply = queued(&s, SLUG, ANA).await.last().cloned().unwrap();
    assert!(
        reply["request"]["text"]["body"]
            .as_str()
            .unwrap()
            .contains("te avisaremos"),
        "{reply}"
    );
    say(
        &s,
        ANA,
        "wamid.ana.2",
        "avisame cuando llegue audifonos goio pro",
    )
    .await;
    // Beto wrote long ago (window closed); staff add him from the API.
    say(&s, BETO, "wamid.beto.1", "hola").await;
    // Carla waits for the charger, which does not come back.
    say(
        &s,
        CARLA,
        "wamid.carla.1",
        "avísame cuando llegue el cargador rápido 65w",
    )
    .await;
    // Let the bot's replies go out first (delivery re-checks the window at send time).
    for _ in 0..200 {
        if s.count(
            SLUG,
            "SELECT COUNT(*) FROM outbox WHERE estado <> 'enviado'",
        )
        .await
            == 0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    s.exec(
        SLUG,
        &format!("UPDATE wa_contactos SET ultimo_entrante_en = 1000 WHERE wa_id_bi = pii_bi('wa_id', '{BETO}')"),
    )
    .await;
    let beto = s
        .count(
            SLUG,
            &format!(
                "SELECT cliente_id FROM wa_contactos WHERE wa_id_bi = pii_bi('wa_id', '{BETO}')"
            ),
        )
        .await;
    let (status, body) = s
        .api(
            Method::POST,
            &format!("/api/productos/{audio}/avisos"),
            Some(json!({ "cliente_id": format!("cli_{SLUG}_{beto}") })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["estado"], "esperando");
    // A product in stock cannot be waited for.
    let (status, _) = s
        .api(
            Method::POST,
            &format!("/api/productos/{}/avisos", ids[2]),
            Some(json!({ "cliente_id": format!("cli_{SLUG}_{beto}") })),
        )
        .await;
    assert_eq!(status, 409);
    let (_, list) = s
        .api(Method::GET, &format!("/api/productos/{audio}/avisos"), None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");

    // Nothing before the stock arrives.
    run_job(&s).await;
    assert!(alerts(&graph, ANA).is_empty());

    set_stock(&s, audio, 5).await;
    run_job(&s).await;
    run_job(&s).await;
    wait_for(&graph, ANA, 1).await;
    wait_for(&graph, BETO, 1).await;
    let beto_alert = &alerts(&graph, BETO)[0];
    assert_eq!(beto_alert["type"], "template", "{beto_alert}");
    assert_eq!(beto_alert["template"]["name"], "aviso_reposicion");
    assert_eq!(alerts(&graph, ANA)[0]["type"], "text");
    let (_, list) = s
        .api(Method::GET, &format!("/api/productos/{audio}/avisos"), None)
        .await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|r| r["estado"] == "enviado"),
        "{list}"
    );
    s.stop().await;

    // Restart, a second stock change (sold out, then back): still once each.
    let s = start(dir.path(), &graph).await;
    run_job(&s).await;
    set_stock(&s, audio, 0).await;
    set_stock(&s, audio, 3).await;
    run_job(&s).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(alerts(&graph, ANA).len(), 1, "{:?}", alerts(&graph, ANA));
    assert_eq!(alerts(&graph, BETO).len(), 1, "{:?}", alerts(&graph, BETO));
    assert!(
        alerts(&graph, CARLA).is_empty(),
        "the charger never came back"
    );
    assert_eq!(
        s.count(
            SLUG,
            "SELECT COUNT(*) FROM outbox WHERE clave LIKE 'restock:%'"
        )
        .await,
        2
    );
    let _ = charger;
    s.stop().await;
}
