//! Tenant isolation and scopes: every `/api` route × every kind of caller, table-driven.
//!
//! Brand A is seeded with marker strings; no response to a brand-B caller may contain any of
//! them, A's ids under a B token are 404 (never 403), read tokens cannot write, brand tokens
//! cannot create brands, and calls that are refused change nothing.

use crate::support;

use std::sync::LazyLock;

use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Resp, Server, TestEnv, pe_mobile, unique};

const A: &str = "alfa";
const B: &str = "beta";

/// Strings that exist only in brand A's data.
const MARKERS: &[&str] = &[
    "Marca Alfa Zq7",
    "Cliente Zq7 Alfa",
    "zq7.alfa@example.com",
    "nota secreta zq7",
    "Direccion Zq7",
    "SKU-ZQ7",
    "Producto Zq7",
    "pedido secreto zq7",
    "ext-zq7",
    "mensaje secreto zq7",
    "wamid.zq7",
];
/// A's customer phone in E.164 (a marker too).
const A_PHONE: &str = "+51911222333";

struct Fx {
    server: Server,
    tokens: Tokens,
    seed: Seed,
}

struct Tokens {
    a_read: String,
    a_write: String,
    a_admin: String,
    b_read: String,
    b_write: String,
    b_admin: String,
    owner: String,
}

struct Seed {
    a_customer: String,
    a_product: String,
    a_order: String,
    b_customer: String,
    b_product: String,
}

static FX: LazyLock<Fx> = LazyLock::new(|| {
    let env = TestEnv::new();
    env.create_brand(A, "Marca Alfa Zq7", "PE", "America/Lima", "PEN");
    env.create_brand(B, "Marca Beta", "PE", "America/Lima", "PEN");
    let tokens = Tokens {
        a_read: env.token(Some(A), "read"),
        a_write: env.token(Some(A), "write"),
        a_admin: env.token(Some(A), "admin"),
        b_read: env.token(Some(B), "read"),
        b_write: env.token(Some(B), "write"),
        b_admin: env.token(Some(B), "admin"),
        owner: env.token(None, "admin"),
    };
    let (_, server) = env.into_shared_server(&[]);
    // The first test to get here runs inside a runtime, so seeding gets its own thread.
    let seed = std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(seed(&server, &tokens))
        })
        .join()
        .expect("seeding failed")
    });
    Fx {
        server,
        tokens,
        seed,
    }
});

async fn seed(server: &Server, t: &Tokens) -> Seed {
    let a = server.api(Some(&t.a_admin));
    let c = a
        .post(
            &format!("/api/marcas/{A}/clientes"),
            &json!({"nombre": "Cliente Zq7 Alfa", "telefono": A_PHONE,
                    "email": "zq7.alfa@example.com", "notas": "nota secreta zq7",
                    "direccion": "Direccion Zq7"}),
        )
        .await
        .ok(201);
    let p = a
        .post(
            &format!("/api/marcas/{A}/productos"),
            &json!({"sku": "SKU-ZQ7", "nombre": "Producto Zq7", "precio": 1234}),
        )
        .await
        .ok(201);
    let o = a
        .post(
            "/api/pedidos",
            &json!({"cliente_id": c["id"], "canal": "web", "notas": "pedido secreto zq7",
                    "external_id": "ext-zq7", "items": [{"producto_id": p["id"], "cantidad": 1}]}),
        )
        .await
        .ok(201);
    a.post(
        "/api/interacciones",
        &json!({"cliente_id": c["id"], "canal": "whatsapp", "direccion": "entrante",
                "tipo": "mensaje", "cuerpo": "mensaje secreto zq7", "external_id": "wamid.zq7",
                "pedido_id": o["id"]}),
    )
    .await
    .ok(201);
    // Brand B has rows with the same local ids, so a leak by local id would show.
    let b = server.api(Some(&t.b_admin));
    let bc = b
        .post(
            &format!("/api/marcas/{B}/clientes"),
            &json!({"nombre": "Cliente Beta", "telefono": pe_mobile()}),
        )
        .await
        .ok(201);
    let bp = b
        .post(
            &format!("/api/marcas/{B}/productos"),
            &json!({"sku": "SKU-BETA", "nombre": "Producto Beta", "precio": 999}),
        )
        .await
        .ok(201);
    Seed {
        a_customer: c["id"].as_str().unwrap().into(),
        a_product: p["id"].as_str().unwrap().into(),
        a_order: o["id"].as_str().unwrap().into(),
        b_customer: bc["id"].as_str().unwrap().into(),
        b_product: bp["id"].as_str().unwrap().into(),
    }
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    ARead,
    AWrite,
    AAdmin,
    BRead,
    BWrite,
    BAdmin,
    Owner,
    NoToken,
    /// A well-formed but unknown token.
    UnknownToken,
    /// Not a token at all.
    Garbage,
    /// Another auth scheme.
    Basic,
    /// `Bearer` with nothing after it.
    EmptyBearer,
}

const CALLERS: [Who; 12] = [
    Who::ARead,
    Who::AWrite,
    Who::AAdmin,
    Who::BRead,
    Who::BWrite,
    Who::BAdmin,
    Who::Owner,
    Who::NoToken,
    Who::UnknownToken,
    Who::Garbage,
    Who::Basic,
    Who::EmptyBearer,
];

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Need {
    Read,
    Write,
    Admin,
    /// An install-wide admin token.
    Owner,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum R {
    ListBrands,
    CreateBrand,
    GetBrand,
    UpdateBrand,
    ListCustomers,
    CreateCustomer,
    GetCustomer,
    UpdateCustomer,
    DeleteCustomer,
    ListProducts,
    CreateProduct,
    GetProduct,
    UpdateProduct,
    ListOrders,
    CreateOrder,
    GetOrder,
    UpdateOrder,
    CreateInteraction,
    ListInteractions,
}

/// (route, method, needed access, success status, addresses brand A)
const ROUTES: &[(R, Method, Need, u16, bool)] = &[
    (R::ListBrands, Method::GET, Need::Read, 200, false),
    (R::CreateBrand, Method::POST, Need::Owner, 201, false),
    (R::GetBrand, Method::GET, Need::Read, 200, true),
    (R::UpdateBrand, Method::PUT, Need::Admin, 200, true),
    (R::ListCustomers, Method::GET, Need::Read, 200, true),
    (R::CreateCustomer, Method::POST, Need::Write, 201, true),
    (R::GetCustomer, Method::GET, Need::Read, 200, true),
    (R::UpdateCustomer, Method::PUT, Need::Write, 200, true),
    (R::DeleteCustomer, Method::DELETE, Need::Write, 204, true),
    (R::ListProducts, Method::GET, Need::Read, 200, true),
    (R::CreateProduct, Method::POST, Need::Write, 201, true),
    (R::GetProduct, Method::GET, Need::Read, 200, true),
    (R::UpdateProduct, Method::PUT, Need::Write, 200, true),
    (R::ListOrders, Method::GET, Need::Read, 200, true),
    (R::CreateOrder, Method::POST, Need::Write, 201, true),
    (R::GetOrder, Method::GET, Need::Read, 200, true),
    (R::UpdateOrder, Method::PUT, Need::Write, 200, true),
    (R::CreateInteraction, Method::POST, Need::Write, 201, true),
    (R::ListInteractions, Method::GET, Need::Read, 200, true),
];

fn expected(who: Who, need: Need, ok: u16, addresses_a: bool) -> u16 {
    let a_scope = match who {
        Who::ARead => Some(Need::Read),
        Who::AWrite => Some(Need::Write),
        Who::AAdmin => Some(Need::Admin),
        _ => None,
    };
    let b_scope = match who {
        Who::BRead => Some(Need::Read),
        Who::BWrite => Some(Need::Write),
        Who::BAdmin => Some(Need::Admin),
        _ => None,
    };
    match who {
        Who::NoToken | Who::UnknownToken | Who::Garbage | Who::Basic | Who::EmptyBearer => 401,
        Who::Owner => ok,
        _ if need == Need::Owner => 403,
        _ if addresses_a && b_scope.is_some() => 404,
        _ => {
            let scope = a_scope.or(b_scope).unwrap();
            if scope >= need { ok } else { 403 }
        }
    }
}

/// A fresh customer of A that can be deleted (no orders).
async fn fresh_customer(owner: &Api) -> String {
    owner
        .post(
            &format!("/api/marcas/{A}/clientes"),
            &json!({"nombre": format!("Borrable {}", unique())}),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A fresh order of A in `recibido`.
async fn fresh_order(owner: &Api) -> String {
    let s = &FX.seed;
    owner
        .post(
            "/api/pedidos",
            &json!({"cliente_id": s.a_customer, "canal": "presencial",
                    "items": [{"producto_id": s.a_product, "cantidad": 1}]}),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The path and body of one call (fresh targets for calls that consume them).
async fn request_for(route: R, owner: &Api) -> (String, Option<Value>, Option<String>) {
    let s = &FX.seed;
    let u = unique();
    match route {
        R::ListBrands => ("/api/marcas".into(), None, None),
        R::CreateBrand => (
            "/api/marcas".into(),
            Some(json!({"slug": format!("nueva-{u}"), "nombre": "Nueva"})),
            None,
        ),
        R::GetBrand => (format!("/api/marcas/{A}"), None, None),
        R::UpdateBrand => (
            format!("/api/marcas/{A}"),
            Some(json!({"nombre": "Marca Alfa Zq7"})),
            None,
        ),
        R::ListCustomers => (format!("/api/marcas/{A}/clientes"), None, None),
        R::CreateCustomer => (
            format!("/api/marcas/{A}/clientes"),
            Some(json!({"nombre": format!("Nuevo {u}")})),
            None,
        ),
        R::GetCustomer => (format!("/api/clientes/{}", s.a_customer), None, None),
        R::UpdateCustomer => (
            format!("/api/clientes/{}", s.a_customer),
            Some(json!({"notas": "nota secreta zq7"})),
            None,
        ),
        R::DeleteCustomer => {
            let id = fresh_customer(owner).await;
            (format!("/api/clientes/{id}"), None, Some(id))
        }
        R::ListProducts => (format!("/api/marcas/{A}/productos"), None, None),
        R::CreateProduct => (
            format!("/api/marcas/{A}/productos"),
            Some(json!({"sku": format!("N-{u}"), "nombre": "Nuevo", "precio": 1})),
            None,
        ),
        R::GetProduct => (format!("/api/productos/{}", s.a_product), None, None),
        R::UpdateProduct => (
            format!("/api/productos/{}", s.a_product),
            Some(json!({"nombre": "Producto Zq7"})),
            None,
        ),
        R::ListOrders => (format!("/api/marcas/{A}/pedidos"), None, None),
        R::CreateOrder => (
            "/api/pedidos".into(),
            Some(json!({"cliente_id": s.a_customer, "canal": "web",
                        "items": [{"producto_id": s.a_product, "cantidad": 1}]})),
            None,
        ),
        R::GetOrder => (format!("/api/pedidos/{}", s.a_order), None, None),
        R::UpdateOrder => {
            let id = fresh_order(owner).await;
            (
                format!("/api/pedidos/{id}"),
                Some(json!({"estado": "confirmado"})),
                Some(id),
            )
        }
        R::CreateInteraction => (
            "/api/interacciones".into(),
            Some(
                json!({"cliente_id": s.a_customer, "canal": "sistema", "direccion": "interna",
                        "tipo": "nota", "cuerpo": format!("nota {u}")}),
            ),
            None,
        ),
        R::ListInteractions => (
            format!("/api/clientes/{}/interacciones", s.a_customer),
            None,
            None,
        ),
    }
}

async fn call(api: &Api, who: Who, method: Method, path: &str, body: Option<&Value>) -> Resp {
    let t = &FX.tokens;
    let token = match who {
        Who::ARead => Some(&t.a_read),
        Who::AWrite => Some(&t.a_write),
        Who::AAdmin => Some(&t.a_admin),
        Who::BRead => Some(&t.b_read),
        Who::BWrite => Some(&t.b_write),
        Who::BAdmin => Some(&t.b_admin),
        Who::Owner => Some(&t.owner),
        _ => None,
    };
    let api = api.with_token(token.map(String::as_str));
    let auth = match who {
        Who::UnknownToken => Some("Bearer atk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Who::Garbage => Some("Bearer ' OR 1=1 --"),
        Who::Basic => Some("Basic YWRtaW46YWRtaW4="),
        Who::EmptyBearer => Some("Bearer "),
        _ => None,
    };
    match auth {
        Some(h) => {
            api.with_headers(method, path, &[("authorization", h)], body)
                .await
        }
        None => api.call(method, path, body).await,
    }
}

async fn counts(owner: &Api) -> [usize; 4] {
    let s = &FX.seed;
    [
        owner
            .list_all(&format!("/api/marcas/{A}/clientes"), "", 500)
            .await
            .len(),
        owner
            .list_all(&format!("/api/marcas/{A}/productos"), "", 500)
            .await
            .len(),
        owner
            .list_all(&format!("/api/marcas/{A}/pedidos"), "", 500)
            .await
            .len(),
        owner
            .list_all(
                &format!("/api/clientes/{}/interacciones", s.a_customer),
                "",
                500,
            )
            .await
            .len(),
    ]
}

#[tokio::test]
async fn every_route_times_every_caller() {
    let fx = &*FX;
    let base = fx.server.api(None);
    let owner = base.with_token(Some(&fx.tokens.owner));
    let before = counts(&owner).await;
    let mut created = [0usize; 4];
    let mut failures = Vec::new();
    for (route, method, need, ok, addresses_a) in ROUTES {
        for who in CALLERS {
            let want = expected(who, *need, *ok, *addresses_a);
            let (path, body, target) = request_for(*route, &owner).await;
            let resp = call(&base, who, method.clone(), &path, body.as_ref()).await;
            if resp.status != want {
                failures.push(format!(
                    "{route:?} as {who:?}: want {want}, got {} {}",
                    resp.status, resp.text
                ));
                continue;
            }
            match want {
                401 => {
                    resp.problem(401, "unauthenticated");
                }
                403 => {
                    resp.problem(403, "forbidden");
                }
                404 => {
                    resp.problem(404, "not-found");
                }
                _ => {}
            }
            if matches!(who, Who::BRead | Who::BWrite | Who::BAdmin) {
                for m in MARKERS.iter().chain([&A_PHONE]) {
                    let lower = resp.text.to_lowercase();
                    if lower.contains(&m.to_lowercase()) {
                        failures.push(format!("{route:?} as {who:?} leaked `{m}`: {}", resp.text));
                    }
                }
                // B's tokens must never reveal that A's ids exist.
                if *addresses_a {
                    assert_ne!(resp.status, 403, "{route:?} as {who:?}: 403 reveals A");
                }
            }
            if want == *ok {
                match route {
                    R::CreateCustomer => created[0] += 1,
                    R::CreateProduct => created[1] += 1,
                    R::CreateOrder => created[2] += 1,
                    R::CreateInteraction => created[3] += 1,
                    _ => {}
                }
            }
            // Refused calls on consumable targets changed nothing.
            if let Some(id) = target
                && want != *ok
            {
                match route {
                    R::DeleteCustomer => {
                        owner.get(&format!("/api/clientes/{id}")).await.ok(200);
                        owner.delete(&format!("/api/clientes/{id}")).await.ok(204);
                    }
                    R::UpdateOrder => {
                        let o = owner.get(&format!("/api/pedidos/{id}")).await.ok(200);
                        assert_eq!(o["estado"], "recibido", "{who:?} moved an order");
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Fresh orders made for UpdateOrder count too (one per caller).
    let after = counts(&owner).await;
    let orders_made_for_updates = CALLERS.len();
    assert_eq!(after[0], before[0] + created[0], "customers");
    assert_eq!(after[1], before[1] + created[1], "products");
    assert_eq!(
        after[2],
        before[2] + created[2] + orders_made_for_updates,
        "orders"
    );
    assert_eq!(after[3], before[3] + created[3], "interactions");
}

#[tokio::test]
async fn brand_b_lists_show_only_brand_b() {
    let fx = &*FX;
    for token in [&fx.tokens.b_read, &fx.tokens.b_write, &fx.tokens.b_admin] {
        let api = fx.server.api(Some(token));
        let brands = api.get("/api/marcas").await.ok(200);
        let slugs: Vec<&str> = brands
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["slug"].as_str().unwrap())
            .collect();
        assert_eq!(slugs, [B]);
        for path in [
            format!("/api/marcas/{B}/clientes"),
            format!("/api/marcas/{B}/productos"),
            format!("/api/marcas/{B}/pedidos"),
        ] {
            let text = api.get(&path).await.ok(200).to_string();
            for m in MARKERS.iter().chain([&A_PHONE]) {
                assert!(!text.contains(m), "{path} leaked {m}: {text}");
            }
        }
    }
    // The owner sees both.
    let owner = fx.server.api(Some(&fx.tokens.owner));
    let brands = owner.get("/api/marcas").await.ok(200).to_string();
    assert!(brands.contains("\"alfa\"") && brands.contains("\"beta\""));
}

#[tokio::test]
async fn brand_b_cannot_reach_a_through_ids_in_bodies_or_queries() {
    let fx = &*FX;
    let s = &fx.seed;
    let b = fx.server.api(Some(&fx.tokens.b_admin));
    let owner = fx.server.api(Some(&fx.tokens.owner));
    let orders_before = owner
        .list_all(&format!("/api/marcas/{B}/pedidos"), "", 500)
        .await
        .len();
    // B's own brand in the body, A's customer: not found.
    b.post(
        "/api/pedidos",
        &json!({"marca": B, "cliente_id": s.a_customer, "canal": "web",
                "items": [{"producto_id": s.b_product, "cantidad": 1}]}),
    )
    .await
    .problem(404, "not-found");
    // B's customer with A's product id: A's product is not B's product with the same number.
    let r = b
        .post(
            "/api/pedidos",
            &json!({"cliente_id": s.b_customer, "canal": "web",
                    "items": [{"producto_id": s.a_product, "cantidad": 1}]}),
        )
        .await;
    assert!(
        r.status == 404 || r.status == 422,
        "an A product id in a B order must be refused, got {}: {}",
        r.status,
        r.text
    );
    // A's customer as a list filter in B.
    b.get(&format!(
        "/api/marcas/{B}/pedidos?cliente_id={}",
        s.a_customer
    ))
    .await
    .problem(404, "not-found");
    // An interaction for B's customer pointing at A's order.
    b.post(
        "/api/interacciones",
        &json!({"cliente_id": s.b_customer, "canal": "web", "direccion": "entrante",
                "tipo": "mensaje", "cuerpo": "x", "pedido_id": s.a_order}),
    )
    .await
    .problem(422, "validation");
    let orders_after = owner
        .list_all(&format!("/api/marcas/{B}/pedidos"), "", 500)
        .await
        .len();
    assert_eq!(orders_after, orders_before, "a refused order was stored");
    // Idempotency keys are per brand: A's external ids create new rows elsewhere, never
    // return A's. (A third brand, so B's lists stay free of A's marker strings.)
    let g = format!("gamma-{}", unique());
    owner
        .post("/api/marcas", &json!({"slug": g, "nombre": "Gamma"}))
        .await
        .ok(201);
    let gc = owner
        .post(
            &format!("/api/marcas/{g}/clientes"),
            &json!({"nombre": "Cliente Gamma"}),
        )
        .await
        .ok(201);
    owner
        .post(
            &format!("/api/marcas/{g}/productos"),
            &json!({"sku": "G", "nombre": "G", "precio": 1}),
        )
        .await
        .ok(201);
    let o = owner
        .post(
            "/api/pedidos",
            &json!({"cliente_id": gc["id"], "canal": "web", "external_id": "ext-zq7",
                    "items": [{"sku": "G", "cantidad": 1}]}),
        )
        .await
        .ok(201);
    assert!(o["id"].as_str().unwrap().starts_with(&format!("ped_{g}_")));
    assert!(!o.to_string().contains("pedido secreto zq7"));
    let i = owner
        .post(
            "/api/interacciones",
            &json!({"cliente_id": gc["id"], "canal": "whatsapp", "direccion": "entrante",
                    "tipo": "mensaje", "cuerpo": "hola gamma", "external_id": "wamid.zq7"}),
        )
        .await
        .ok(201);
    assert_eq!(i["cuerpo"], "hola gamma");
}
