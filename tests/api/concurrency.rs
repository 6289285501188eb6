//! Concurrency through the real binary: many simultaneous orders on one brand are all
//! stored, stock stays exact, and a race for scarce stock has exactly as many winners as
//! units.

use crate::support;

use std::collections::HashSet;
use std::sync::LazyLock;

use serde_json::{Value, json};
use support::{Api, Server, TestEnv, pe_mobile, unique};
use tokio::task::JoinSet;

struct Fx {
    server: Server,
    owner: String,
}

static FX: LazyLock<Fx> = LazyLock::new(|| {
    let env = TestEnv::new();
    let owner = env.token(None, "admin");
    let (_, server) = env.into_shared_server(&[]);
    Fx { server, owner }
});

async fn fresh_brand(api: &Api) -> String {
    let slug = format!("c{}", unique());
    api.post(
        "/api/marcas",
        &json!({"slug": slug, "nombre": "Concurrencia"}),
    )
    .await
    .ok(201);
    slug
}

async fn product(api: &Api, slug: &str, sku: &str, price: i64, stock: i64) -> Value {
    api.post(
        &format!("/api/marcas/{slug}/productos"),
        &json!({"sku": sku, "nombre": sku, "precio": price, "stock": stock}),
    )
    .await
    .ok(201)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_orders_all_stored_with_exact_stock() {
    let api = FX.server.api(Some(&FX.owner));
    let slug = fresh_brand(&api).await;
    let prod = product(&api, &slug, "POLLO", 1990, 1000).await;
    let known = api
        .post(
            &format!("/api/marcas/{slug}/clientes"),
            &json!({"nombre": "Fiel", "telefono": pe_mobile()}),
        )
        .await
        .ok(201);
    // Ten walk-in phones, each used by ten orders at once: found-or-created exactly once.
    let phones: Vec<String> = (0..10).map(|_| pe_mobile()).collect();
    let mut set = JoinSet::new();
    let mut expected_units = 0i64;
    for n in 0..200usize {
        let qty = (n % 5) as i64 + 1;
        expected_units += qty;
        let body = if n % 2 == 0 {
            json!({"cliente_id": known["id"], "canal": "whatsapp", "confirmar": true,
                   "items": [{"producto_id": prod["id"], "cantidad": qty}]})
        } else {
            json!({"marca": slug, "canal": "web", "confirmar": true,
                   "cliente": {"nombre": format!("Walk-in {n}"), "telefono": phones[(n / 2) % 10]},
                   "items": [{"sku": "POLLO", "cantidad": qty}]})
        };
        let api = api.clone();
        set.spawn(async move {
            let r = api.post("/api/pedidos", &body).await;
            (r.status, r.text)
        });
    }
    let mut ids = HashSet::new();
    while let Some(res) = set.join_next().await {
        let (status, text) = res.unwrap();
        assert_eq!(status, 201, "{text}");
        let o: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(o["estado"], "confirmado");
        assert!(
            ids.insert(o["id"].as_str().unwrap().to_string()),
            "duplicate id"
        );
    }
    assert_eq!(ids.len(), 200);
    let listed = api
        .list_all(&format!("/api/marcas/{slug}/pedidos"), "", 37)
        .await;
    let listed_ids: HashSet<String> = listed
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.len(), 200, "orders lost or duplicated");
    assert_eq!(listed_ids, ids);
    let total_units: i64 = listed
        .iter()
        .map(|o| o["items"][0]["cantidad"].as_i64().unwrap())
        .sum();
    assert_eq!(total_units, expected_units);
    let p = api
        .get(&format!("/api/productos/{}", prod["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(p["stock"], 1000 - expected_units, "stock not exact");
    // Customers: the known one has 100 orders, and each phone became one customer.
    let c = api
        .get(&format!("/api/clientes/{}", known["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(c["pedidos"], 100);
    let customers = api
        .list_all(&format!("/api/marcas/{slug}/clientes"), "", 100)
        .await;
    assert_eq!(customers.len(), 11, "find-or-create raced into duplicates");
    let sum_orders: i64 = customers
        .iter()
        .map(|c| c["pedidos"].as_i64().unwrap())
        .sum();
    assert_eq!(sum_orders, 200);
    let sum_spent: i64 = customers
        .iter()
        .map(|c| c["total_gastado"].as_i64().unwrap())
        .sum();
    assert_eq!(sum_spent, expected_units * 1990);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn race_for_scarce_stock_has_exactly_stock_winners() {
    let api = FX.server.api(Some(&FX.owner));
    let slug = fresh_brand(&api).await;
    let prod = product(&api, &slug, "ULTIMO", 500, 10).await;
    let c = api
        .post(
            &format!("/api/marcas/{slug}/clientes"),
            &json!({"nombre": "Rápido", "telefono": pe_mobile()}),
        )
        .await
        .ok(201);
    let mut set = JoinSet::new();
    for _ in 0..20 {
        let api = api.clone();
        let body = json!({"cliente_id": c["id"], "canal": "web", "confirmar": true,
                          "items": [{"producto_id": prod["id"], "cantidad": 1}]});
        set.spawn(async move {
            let r = api.post("/api/pedidos", &body).await;
            if r.status == 409 {
                r.problem(409, "conflict");
            }
            r.status
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = set.join_next().await {
        statuses.push(s.unwrap());
    }
    let won = statuses.iter().filter(|s| **s == 201).count();
    let lost = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((won, lost), (10, 10), "{statuses:?}");
    let p = api
        .get(&format!("/api/productos/{}", prod["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(p["stock"], 0);
    let orders = api
        .list_all(&format!("/api/marcas/{slug}/pedidos"), "", 50)
        .await;
    assert_eq!(orders.len(), 10, "a refused order was stored");
    assert!(orders.iter().all(|o| o["estado"] == "confirmado"));
    let c = api
        .get(&format!("/api/clientes/{}", c["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(c["pedidos"], 10);
    assert_eq!(c["total_gastado"], 10 * 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replays_of_one_external_id_store_one_order() {
    let api = FX.server.api(Some(&FX.owner));
    let slug = fresh_brand(&api).await;
    let prod = product(&api, &slug, "UNO", 100, 100).await;
    let body = json!({"marca": slug, "canal": "whatsapp", "external_id": "wamid.replay",
                      "confirmar": true,
                      "cliente": {"nombre": "Replay", "telefono": pe_mobile()},
                      "items": [{"producto_id": prod["id"], "cantidad": 2}]});
    let mut set = JoinSet::new();
    for _ in 0..20 {
        let api = api.clone();
        let body = body.clone();
        set.spawn(async move {
            let r = api.post("/api/pedidos", &body).await;
            (r.status, r.json()["id"].as_str().unwrap().to_string())
        });
    }
    let mut created = 0;
    let mut ids = HashSet::new();
    while let Some(r) = set.join_next().await {
        let (status, id) = r.unwrap();
        assert!(status == 201 || status == 200, "{status}");
        if status == 201 {
            created += 1;
        }
        ids.insert(id);
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    let p = api
        .get(&format!("/api/productos/{}", prod["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(p["stock"], 98, "stock taken once");
    // Interactions too.
    let cust = api
        .list_all(&format!("/api/marcas/{slug}/clientes"), "", 10)
        .await;
    assert_eq!(cust.len(), 1);
    let mut set = JoinSet::new();
    for _ in 0..20 {
        let api = api.clone();
        let body = json!({"cliente_id": cust[0]["id"], "canal": "whatsapp",
                          "direccion": "entrante", "tipo": "mensaje", "cuerpo": "hola",
                          "external_id": "wamid.msg"});
        set.spawn(async move { api.post("/api/interacciones", &body).await.status });
    }
    let mut statuses = Vec::new();
    while let Some(s) = set.join_next().await {
        statuses.push(s.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200));
    let listed = api
        .list_all(
            &format!(
                "/api/clientes/{}/interacciones",
                cust[0]["id"].as_str().unwrap()
            ),
            "",
            50,
        )
        .await;
    assert_eq!(listed.len(), 1);
}
