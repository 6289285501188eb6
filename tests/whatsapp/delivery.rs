//! Sending through the outbox to a fake Graph API on 127.0.0.1: callback data, retries on
//! 130429 and 131056, the pair limit, per-number throughput and the 24-hour rule.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn wait_for(s: &Server, sql: &str, want: i64) {
    for _ in 0..600 {
        if s.count("gollos", sql).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for `{sql}` = {want}");
}

async fn started(pair_ms: u64) -> (tempfile::TempDir, Server, FakeGraph) {
    let fake = FakeGraph::start().await;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        Options {
            api_base: fake.base(),
            pair_interval_ms: pair_ms,
            ..Options::default()
        },
    )
    .await;
    s.brand("gollos", NUMBER, "PEN").await;
    seed_gollos(&s, "gollos").await;
    (dir, s, fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_sent_with_the_outbox_id_and_retried_on_throttling() {
    let (_dir, s, fake) = started(0).await;
    // First send: throughput error (HTTP 400 + 130429); second: pair limit 131056; then OK.
    fake.push(400, outbound("error_130429_throughput.response.json"));
    fake.push(400, outbound("error_131056_pair_rate.response.json"));
    s.post_signed(&inbound(
        NUMBER,
        "51987654321",
        "Ana",
        "wamid.t1",
        text("hola"),
    ))
    .await;
    s.settle().await;
    wait_for(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'enviado'",
        1,
    )
    .await;
    let reqs = fake.requests();
    assert_eq!(
        reqs.len(),
        3,
        "two throttled attempts, then accepted: {reqs:?}"
    );
    for r in &reqs {
        assert_eq!(r.path, format!("/v24.0/{NUMBER}/messages"));
        assert_eq!(r.auth, "Bearer EAAG-token-gollos");
        assert_eq!(
            r.body["to"], "51987654321",
            "replies go to the wa_id as received"
        );
        assert_eq!(r.body["type"], "interactive");
        assert!(
            r.body["biz_opaque_callback_data"]
                .as_str()
                .unwrap()
                .starts_with("ob:")
        );
        assert!(
            r.body["interactive"]["action"]["sections"][0]["rows"]
                .as_array()
                .unwrap()
                .len()
                <= 10
        );
    }
    let row = s
        .column(
            "gollos",
            "SELECT external_id || '|' || intentos FROM outbox",
        )
        .await;
    let wamid = outbound("send.response.json")["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(row, vec![Value::from(format!("{wamid}|3"))]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pair_limit_spaces_messages_to_one_user_and_throughput_is_capped() {
    let (_dir, s, fake) = started(1500).await;
    s.post_signed(&inbound(
        NUMBER,
        "51987654321",
        "Ana",
        "wamid.p1",
        text("hola"),
    ))
    .await;
    s.post_signed(&inbound(
        NUMBER,
        "51987654321",
        "Ana",
        "wamid.p2",
        text("menu"),
    ))
    .await;
    s.settle().await;
    wait_for(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'enviado'",
        2,
    )
    .await;
    let reqs = fake.requests();
    assert_eq!(
        reqs.len(),
        2,
        "a deferral is not an attempt: no 131056 provoked"
    );
    let gap = reqs[1].at.duration_since(reqs[0].at);
    assert!(
        gap >= Duration::from_millis(1400),
        "pair interval respected: {gap:?}"
    );
    // Throughput: 2 messages per second for this number, 6 different users.
    s.state
        .registry
        .control()
        .write(|c| {
            c.execute("UPDATE whatsapp_numeros SET mps = 2", [])?;
            Ok(())
        })
        .await
        .unwrap();
    let before = fake.requests().len();
    let start = Instant::now();
    for i in 0..6 {
        s.post_signed(&inbound(
            NUMBER,
            &format!("5198700000{i}"),
            "X",
            &format!("wamid.q{i}"),
            text("hola"),
        ))
        .await;
    }
    s.settle().await;
    wait_for(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'enviado'",
        8,
    )
    .await;
    assert_eq!(fake.requests().len() - before, 6);
    assert!(
        start.elapsed() >= Duration::from_millis(1400),
        "6 sends at 2 mps take ≥ 1.5 s: {:?}",
        start.elapsed()
    );
    // Waiting for the number's rate leaves a message in the queue untouched: each of the six
    // was claimed once and marked sent once, never claimed and put back.
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM changes WHERE tabla = 'outbox' AND op = 'update'
             AND fila_id IN (SELECT id FROM outbox ORDER BY id DESC LIMIT 6)",
        )
        .await,
        12
    );
    assert_eq!(
        s.count("gollos", "SELECT COUNT(*) FROM outbox WHERE intentos <> 1")
            .await,
        0
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_form_only_inside_the_24_hour_window_else_template_or_refusal() {
    let (_dir, s, fake) = started(0).await;
    s.post_signed(&inbound(
        NUMBER,
        "51987654321",
        "Ana",
        "wamid.w1",
        text("2 broaster"),
    ))
    .await;
    s.settle().await;
    wait_for(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'enviado'",
        1,
    )
    .await;
    // The customer's last message is now 25 hours old.
    let old = autonomo::time::now_ms() - 25 * 3600 * 1000;
    s.exec(
        "gollos",
        &format!("UPDATE wa_contactos SET ultimo_entrante_en = {old}"),
    )
    .await;
    // Staff reply from the inbox is refused with a clear reason.
    let (status, problem) = s
        .api(
            Method::POST,
            "/api/conversaciones/cli_gollos_1/respuestas",
            Some(json!({"texto": "¿Sigues ahí?"})),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert!(problem.to_string().contains("24 h"), "{problem}");
    // A status notification queued outside the window fails with the reason, nothing is sent.
    let before = fake.requests().len();
    s.exec("gollos", "INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en) VALUES (7, 1, 'whatsapp', 'listo', 100, 100, 1, 1)").await;
    let (st, body) = s
        .api(
            Method::PUT,
            "/api/pedidos/ped_gollos_7",
            Some(json!({"estado": "en_camino"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    wait_for(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'fallido'",
        1,
    )
    .await;
    let error = s
        .column(
            "gollos",
            "SELECT pii_open(ultimo_error) FROM outbox WHERE estado = 'fallido' AND ultimo_error LIKE 'enc1:%'",
        )
        .await;
    assert!(
        error[0]
            .as_str()
            .unwrap()
            .contains("fuera de la ventana de 24 h"),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), before);
    // With a template configured, the next notification goes out as that template.
    let (st, _) = s
        .api(
            Method::PUT,
            "/api/marcas/gollos/whatsapp/ajustes",
            Some(json!({"plantilla": "estado_pedido", "plantilla_idioma": "es"})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .api(
            Method::PUT,
            "/api/pedidos/ped_gollos_7",
            Some(json!({"estado": "entregado"})),
        )
        .await;
    assert_eq!(st, 200);
    wait_for(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'enviado'",
        2,
    )
    .await;
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.body["type"], "template");
    assert_eq!(last.body["template"]["name"], "estado_pedido");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_errors_fail_without_retry() {
    let (_dir, s, fake) = started(0).await;
    fake.push(400, outbound("error_100_invalid_param.response.json"));
    s.post_signed(&inbound(
        NUMBER,
        "51987654321",
        "Ana",
        "wamid.e1",
        text("hola"),
    ))
    .await;
    s.settle().await;
    wait_for(
        &s,
        "SELECT COUNT(*) FROM outbox WHERE estado = 'fallido'",
        1,
    )
    .await;
    assert_eq!(fake.requests().len(), 1);
    s.stop().await;
}
