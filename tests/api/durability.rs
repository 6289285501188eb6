//! Durability through the real binary: every acknowledged write survives `kill -9` and a
//! restart, the files pass SQLite's integrity and foreign-key checks, and SIGTERM lets
//! in-flight requests finish before a clean exit.

use crate::support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, TestEnv, pe_mobile};

const SLUG: &str = "gollos";
const INITIAL_STOCK: i64 = 1_000_000;
const STEPS: [&str; 6] = [
    "recibido",
    "confirmado",
    "en_preparacion",
    "listo",
    "en_camino",
    "entregado",
];

/// What the server acknowledged (answered 2xx for).
#[derive(Default)]
struct Acked {
    customers: HashMap<String, Value>,
    /// Order id → last acknowledged status.
    orders: HashMap<String, String>,
    interactions: HashMap<String, Value>,
}

/// One writer: customer, order, interaction, then status moves, each step acknowledged
/// before the next. Stops at the first transport error (the server is gone).
async fn writer(api: Api, n: usize, rounds: usize, acked: Arc<Mutex<Acked>>) {
    for r in 0..rounds {
        let Ok((201, text)) = api
            .try_call(
                Method::POST,
                &format!("/api/marcas/{SLUG}/clientes"),
                Some(
                    &json!({"nombre": format!("Cliente {n}-{r} ñ🍗"), "telefono": pe_mobile(),
                             "notas": format!("escrito por {n} ronda {r}")}),
                ),
            )
            .await
        else {
            return;
        };
        let c: Value = serde_json::from_str(&text).unwrap();
        let cid = c["id"].as_str().unwrap().to_string();
        acked.lock().unwrap().customers.insert(cid.clone(), c);
        let Ok((201, text)) = api
            .try_call(
                Method::POST,
                "/api/pedidos",
                Some(&json!({"cliente_id": cid, "canal": "whatsapp",
                             "items": [{"sku": "POLLO", "cantidad": (r % 3) + 1}]})),
            )
            .await
        else {
            return;
        };
        let o: Value = serde_json::from_str(&text).unwrap();
        let oid = o["id"].as_str().unwrap().to_string();
        acked
            .lock()
            .unwrap()
            .orders
            .insert(oid.clone(), "recibido".into());
        let Ok((201, text)) = api
            .try_call(
                Method::POST,
                "/api/interacciones",
                Some(
                    &json!({"cliente_id": cid, "canal": "whatsapp", "direccion": "entrante",
                             "tipo": "mensaje", "cuerpo": format!("pedido {n}-{r}"),
                             "external_id": format!("wamid.{n}.{r}"), "pedido_id": oid}),
                ),
            )
            .await
        else {
            return;
        };
        let i: Value = serde_json::from_str(&text).unwrap();
        acked
            .lock()
            .unwrap()
            .interactions
            .insert(i["id"].as_str().unwrap().to_string(), i);
        for to in &STEPS[1..=(r % 5) + 1] {
            let Ok((200, _)) = api
                .try_call(
                    Method::PUT,
                    &format!("/api/pedidos/{oid}"),
                    Some(&json!({"estado": to})),
                )
                .await
            else {
                return;
            };
            acked
                .lock()
                .unwrap()
                .orders
                .insert(oid.clone(), to.to_string());
        }
    }
}

fn step_index(s: &str) -> usize {
    STEPS.iter().position(|x| *x == s).expect("known status")
}

/// Runs SQLite's own checks on a database file.
fn check_file(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{}", path.display());
    let mut stmt = conn.prepare("PRAGMA foreign_key_check").unwrap();
    let violations: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        violations.is_empty(),
        "{}: foreign key violations in {violations:?}",
        path.display()
    );
}

/// Copies a database with its WAL (as the crash left them) so checks do not touch the
/// originals the restarted server must recover.
fn copy_db(from: &Path, to_dir: &Path) -> std::path::PathBuf {
    let name = from.file_name().unwrap().to_string_lossy().to_string();
    for suffix in ["", "-wal", "-shm"] {
        let src = from.with_file_name(format!("{name}{suffix}"));
        if src.exists() {
            std::fs::copy(&src, to_dir.join(format!("{name}{suffix}"))).unwrap();
        }
    }
    to_dir.join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_and_restart() {
    let env = TestEnv::new();
    env.create_brand(SLUG, "Gollos Chicken's", "PE", "America/Lima", "PEN");
    let token = env.token(Some(SLUG), "admin");
    let server = env.start();
    let api = server.api(Some(&token));
    let product = api
        .post(
            &format!("/api/marcas/{SLUG}/productos"),
            &json!({"sku": "POLLO", "nombre": "Pollo", "precio": 1990, "stock": INITIAL_STOCK}),
        )
        .await
        .ok(201);
    let acked = Arc::new(Mutex::new(Acked::default()));

    // Phase 1: everything acknowledged before the crash.
    let mut set = tokio::task::JoinSet::new();
    for n in 0..8 {
        set.spawn(writer(api.clone(), n, 6, acked.clone()));
    }
    while set.join_next().await.is_some() {}
    let phase1 = acked.lock().unwrap().customers.len();
    assert_eq!(phase1, 48, "phase 1 writes all acknowledged");
    // Phase 2: writers still running when the server is killed.
    for n in 100..108 {
        set.spawn(writer(api.clone(), n, 1000, acked.clone()));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let code = tokio::task::spawn_blocking({
        let server = Arc::new(server);
        let s = server.clone();
        move || (s.kill9(), server)
    })
    .await
    .unwrap();
    let (exit, server) = code;
    assert_ne!(exit, 0, "SIGKILL is not a clean exit");
    while set.join_next().await.is_some() {}
    drop(server);
    let acked = Arc::try_unwrap(acked).ok().unwrap().into_inner().unwrap();
    assert!(
        acked.customers.len() > phase1,
        "no write was acknowledged while the kill was coming"
    );

    // The crashed files, as left, pass SQLite's checks.
    let scratch = tempfile::tempdir().unwrap();
    check_file(&copy_db(&env.brand_db(SLUG), scratch.path()));
    check_file(&copy_db(&env.data.join("control.db"), scratch.path()));

    // Restart on the same data: every acknowledged write is there.
    let server = env.start();
    let api = server.api(Some(&token));
    for (id, c) in &acked.customers {
        let got = api.get(&format!("/api/clientes/{id}")).await.ok(200);
        for f in ["nombre", "telefono", "notas", "creado_en"] {
            assert_eq!(got[f], c[f], "{id}.{f}");
        }
    }
    let mut units_held = 0;
    let orders = api
        .list_all(&format!("/api/marcas/{SLUG}/pedidos"), "", 500)
        .await;
    let by_id: HashMap<&str, &Value> = orders
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o))
        .collect();
    for (id, status) in &acked.orders {
        let o = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("acknowledged order {id} lost"));
        let got = o["estado"].as_str().unwrap();
        let (want, got_i) = (step_index(status), step_index(got));
        // At most one more (unacknowledged, in-flight) step may have committed.
        assert!(
            got_i == want || got_i == want + 1,
            "{id}: acknowledged {status}, found {got}"
        );
        assert_eq!(
            o["historial"].as_array().unwrap().len(),
            got_i + 1,
            "{id}: history"
        );
    }
    for o in &orders {
        if !matches!(o["estado"].as_str().unwrap(), "recibido" | "cancelado") {
            units_held += o["items"][0]["cantidad"].as_i64().unwrap();
        }
    }
    let p = api
        .get(&format!(
            "/api/productos/{}",
            product["id"].as_str().unwrap()
        ))
        .await
        .ok(200);
    assert_eq!(
        p["stock"].as_i64().unwrap() + units_held,
        INITIAL_STOCK,
        "stock and confirmed orders disagree after the crash"
    );
    for (id, i) in &acked.interactions {
        let cid = i["cliente_id"].as_str().unwrap();
        let list = api
            .get(&format!("/api/clientes/{cid}/interacciones"))
            .await
            .ok(200);
        let found = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id.as_str())
            .unwrap_or_else(|| panic!("acknowledged interaction {id} lost"));
        assert_eq!(found, i);
    }
    // The server still works after recovery.
    api.post(
        &format!("/api/marcas/{SLUG}/clientes"),
        &json!({"nombre": "Después del reinicio"}),
    )
    .await
    .ok(201);

    // Clean stop, then the files and the change feed.
    server.signal("TERM");
    let exit = tokio::task::spawn_blocking(move || server.wait_exit(Duration::from_secs(20)))
        .await
        .unwrap();
    assert_eq!(exit, 0);
    check_file(&env.brand_db(SLUG));
    check_file(&env.data.join("control.db"));
    let conn = rusqlite::Connection::open(env.brand_db(SLUG)).unwrap();
    let customers: i64 = conn
        .query_row("SELECT COUNT(*) FROM clientes", [], |r| r.get(0))
        .unwrap();
    let logged: i64 = conn
        .query_row(
            "SELECT COUNT(DISTINCT fila_id) FROM changes WHERE tabla = 'clientes' AND op = 'insert'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        customers, logged,
        "every customer insert is in the change feed"
    );
    let statuses: i64 = conn
        .query_row("SELECT COUNT(*) FROM pedido_estados", [], |r| r.get(0))
        .unwrap();
    let logged: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM changes WHERE tabla = 'pedido_estados' AND op = 'insert'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(statuses, logged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let env = TestEnv::new();
    env.create_brand(SLUG, "Gollos", "PE", "America/Lima", "PEN");
    let token = env.token(Some(SLUG), "write");
    let server = env.start();
    let addr = server.addr.clone();
    let server = Arc::new(server);

    // A request whose body is still arriving when SIGTERM comes.
    let result = tokio::task::spawn_blocking({
        let server = server.clone();
        move || {
            let body = json!({"nombre": "En vuelo", "notas": "x".repeat(2000)}).to_string();
            let (first, rest) = body.as_bytes().split_at(body.len() / 2);
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            write!(
                s,
                "POST /api/marcas/{SLUG}/clientes HTTP/1.1\r\nHost: {addr}\r\n\
                 Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .unwrap();
            s.write_all(first).unwrap();
            s.flush().unwrap();
            std::thread::sleep(Duration::from_millis(300));
            server.signal("TERM");
            std::thread::sleep(Duration::from_millis(500));
            // Shutting down: no new connections are served.
            let refused = support::raw_get_status(&addr, "/healthz").is_err();
            s.write_all(rest).unwrap();
            let mut response = String::new();
            s.read_to_string(&mut response).unwrap();
            (response, refused)
        }
    })
    .await
    .unwrap();
    let (response, refused) = result;
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "in-flight request did not finish: {response}"
    );
    assert!(refused, "a new connection was served after SIGTERM");
    let exit = tokio::task::spawn_blocking({
        let server = server.clone();
        move || server.wait_exit(Duration::from_secs(20))
    })
    .await
    .unwrap();
    assert_eq!(exit, 0, "log:\n{}", server.log_text());
    let conn = rusqlite::Connection::open(env.brand_db(SLUG)).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM clientes WHERE nombre = 'En vuelo'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1, "the in-flight write was not kept");
    drop(conn);
    check_file(&env.brand_db(SLUG));
}
