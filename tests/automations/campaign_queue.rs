//! A long job never blocks the web server (issue 6, scope 1): while the 10,000 messages of a
//! campaign are being queued, the health check, reads and a write through the API all answer
//! promptly. And the queueing survives a crash half-way: after `kill -9` and a restart every
//! recipient ends up queued exactly once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::campaigns::{N, ONE_BIG_SERVER, Queue, queue, setup_at};
use crate::fake_graph::FakeGraph;
use crate::support::{Api, Server, TestEnv, pe_mobile};

/// Generous for a loaded 2-core machine running a debug build; the old launch, one write of
/// the whole audience, held the brand's writer (and so this write) for 10 to 20 seconds there.
const PROMPT: Duration = Duration::from_secs(2);

fn start(env: &TestEnv, fake: &FakeGraph) -> Server {
    env.start_with(&[
        ("AUTONOMO_WHATSAPP_API_BASE", fake.base.as_str()),
        ("AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS", "0"),
    ])
}

fn ten_thousand() -> Value {
    json!({"nombre": "Te extrañamos", "audiencia": {"segmentos": ["en_riesgo"]},
           "plantilla": "te_extranamos", "variables": ["nombre", "ultimo_producto"],
           "enviar_ahora": true})
}

/// Sends one request and says how long the answer took; fails the test at once on a wrong
/// status or a slow answer.
async fn timed(api: &Api, method: reqwest::Method, path: &str, body: Option<&Value>) -> Value {
    let t = Instant::now();
    let r = api.call(method.clone(), path, body).await;
    let took = t.elapsed();
    assert!(
        (200..300).contains(&r.status),
        "{method} {path}: {} {}",
        r.status,
        r.text
    );
    assert!(
        took < PROMPT,
        "{method} {path} took {took:?} while the campaign was being queued"
    );
    r.json()
}

/// Recipients of the brand's campaigns not queued yet, as the campaigns list says (0 from a
/// build without the field, whose launch queued everything inside its own request).
fn waiting(list: &Value) -> i64 {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["pendientes"].as_i64())
        .sum()
}

/// Stops the server the ordinary way, so its brand file can be read with nobody writing.
fn stop(server: Server) {
    server.signal("TERM");
    assert_eq!(server.wait_exit(Duration::from_secs(60)), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_server_keeps_answering_while_a_long_job_runs() {
    let _alone = ONE_BIG_SERVER.lock().await;
    let fake = FakeGraph::start().await;
    // One message a second: the sends, not under test here, stay out of the way.
    let (env, token) = setup_at("1");
    let server = start(&env, &fake);
    let api = server.api(Some(&token));
    // The brand is open and the first request of each kind is behind us.
    api.get("/healthz").await.ok(200);
    api.get("/api/marcas/gollos/clientes?limite=20")
        .await
        .ok(200);
    api.get("/api/marcas/gollos/campanas").await.ok(200);
    api.post(
        "/api/marcas/gollos/clientes",
        &json!({"nombre": "Primera", "telefono": format!("+51{}", pe_mobile())}),
    )
    .await
    .ok(201);

    // The launch runs beside the probes, so the test also holds when the launch itself is
    // the long write (as it was: the request queued every message in one transaction).
    let launcher = server.api(Some(&token));
    let launch = tokio::spawn(async move {
        launcher
            .post("/api/marcas/gollos/campanas", &ten_thousand())
            .await
            .ok(201)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (mut rounds, mut rounds_queueing) = (0, 0);
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "never finished"
        );
        use reqwest::Method;
        timed(&api, Method::GET, "/healthz", None).await;
        timed(
            &api,
            Method::GET,
            "/api/marcas/gollos/clientes?limite=20",
            None,
        )
        .await;
        let body = json!({"nombre": format!("Cliente nueva {rounds}"),
                          "telefono": format!("+51{}", pe_mobile())});
        timed(
            &api,
            Method::POST,
            "/api/marcas/gollos/clientes",
            Some(&body),
        )
        .await;
        let list = timed(&api, Method::GET, "/api/marcas/gollos/campanas", None).await;
        rounds += 1;
        if waiting(&list) > 0 {
            rounds_queueing += 1;
        } else if launch.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{rounds} rounds of health, two reads and a write, {rounds_queueing} of them while \
         the campaign was being queued ({:?}), each under {PROMPT:?}",
        started.elapsed()
    );
    let k = launch.await.unwrap();
    assert_eq!(k["destinatarios"], N);
    // The job really ran while the server was probed.
    assert!(
        rounds_queueing >= 3,
        "only {rounds_queueing} rounds while the campaign was being queued"
    );
    stop(server);
    let q = queue(&env, k["id"].as_i64().unwrap());
    assert_eq!((q.waiting, q.queued, q.keys), (0, N, N), "{q:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queueing_resumes_after_a_crash_and_queues_nobody_twice() {
    let _alone = ONE_BIG_SERVER.lock().await;
    let fake = FakeGraph::start().await;
    // One message a second: the sends, not under test here, stay out of the way.
    let (env, token) = setup_at("1");
    let server = start(&env, &fake);
    let api = server.api(Some(&token));
    let k = api
        .post("/api/marcas/gollos/campanas", &ten_thousand())
        .await
        .ok(201);
    let id = k["id"].as_i64().unwrap();
    // Killed as soon as the first batches are in, long before the last.
    let deadline = Instant::now() + Duration::from_secs(120);
    while waiting(&api.get("/api/marcas/gollos/campanas").await.ok(200)) == N {
        assert!(Instant::now() < deadline, "nothing was ever queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill9();
    let at_crash = queue(&env, id);
    eprintln!("killed with {at_crash:?}");
    assert!(
        at_crash.queued > 0 && at_crash.waiting > 0,
        "the kill did not land half-way: {at_crash:?}"
    );
    // Each batch is one transaction: what is marked queued has its message, and nothing else.
    assert_eq!(at_crash.queued + at_crash.waiting, N);
    let q = at_crash.queued;
    assert_eq!(
        (
            at_crash.outbox,
            at_crash.keys,
            at_crash.sends,
            at_crash.timeline
        ),
        (q, q, q, q),
        "{at_crash:?}"
    );

    let server = start(&env, &fake);
    let api = server.api(Some(&token));
    let deadline = Instant::now() + Duration::from_secs(180);
    while waiting(&api.get("/api/marcas/gollos/campanas").await.ok(200)) > 0 {
        assert!(Instant::now() < deadline, "never resumed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let r = api
        .get(&format!("/api/marcas/gollos/campanas/{id}"))
        .await
        .ok(200);
    assert_eq!(
        (&r["embudo"]["destinatarios"], &r["embudo"]["pendientes"]),
        (&json!(N), &json!(0)),
        "{}",
        r["embudo"]
    );
    stop(server);
    assert_eq!(
        queue(&env, id),
        Queue {
            waiting: 0,
            queued: N,
            outbox: N,
            keys: N,
            sends: N,
            timeline: N
        },
        "every recipient queued exactly once across the crash"
    );
}
