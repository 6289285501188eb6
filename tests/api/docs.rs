//! Health, the OpenAPI document, the docs page, and the error shape of unknown routes and
//! wrong methods, through the real binary.

use crate::support;

use std::sync::LazyLock;

use reqwest::Method;
use support::{Server, TestEnv};

struct Fx {
    server: Server,
    owner: String,
}

static FX: LazyLock<Fx> = LazyLock::new(|| {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");
    env.create_brand("viejo", "Viejo", "PE", "America/Lima", "PEN");
    env.cli_ok(&["tenant", "archive", "viejo"]);
    let owner = env.token(None, "admin");
    let (_, server) = env.into_shared_server(&[]);
    Fx { server, owner }
});

/// Every route the integration tests exercise, as (method, OpenAPI path).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/marcas"),
    ("post", "/api/marcas"),
    ("get", "/api/marcas/{id}"),
    ("put", "/api/marcas/{id}"),
    ("get", "/api/marcas/{id}/clientes"),
    ("post", "/api/marcas/{id}/clientes"),
    ("get", "/api/clientes/{id}"),
    ("put", "/api/clientes/{id}"),
    ("delete", "/api/clientes/{id}"),
    ("get", "/api/marcas/{id}/productos"),
    ("post", "/api/marcas/{id}/productos"),
    ("get", "/api/productos/{id}"),
    ("put", "/api/productos/{id}"),
    ("get", "/api/marcas/{id}/pedidos"),
    ("post", "/api/pedidos"),
    ("get", "/api/pedidos/{id}"),
    ("put", "/api/pedidos/{id}"),
    ("post", "/api/interacciones"),
    ("get", "/api/clientes/{id}/interacciones"),
];

#[tokio::test]
async fn healthz_reports_version_uptime_and_brands() {
    let api = FX.server.api(None);
    let r = api.get("/healthz").await;
    let h = r.ok(200);
    assert!(r.header("content-type").starts_with("application/json"));
    assert_eq!(h["status"], "ok");
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
    assert!(h["uptime_secs"].is_u64(), "{h}");
    let brands = h["marcas"].as_array().unwrap();
    let find = |slug: &str| {
        brands
            .iter()
            .find(|b| b["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug} missing: {h}"))
    };
    assert_eq!(find("gollos")["db"], "ok");
    assert_eq!(find("viejo")["db"], "archivada");
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let api = FX.server.api(None);
    let r = api.get("/api/openapi.json").await;
    let doc = r.ok(200);
    assert!(r.header("content-type").starts_with("application/json"));
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in ROUTES {
        let op = &paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} not documented"))[*method];
        assert!(op.is_object(), "{method} {path} not documented");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
        if path.starts_with("/api/") {
            assert!(
                op["security"].is_array(),
                "{method} {path} does not declare its bearer auth"
            );
        }
    }
    // Request bodies reference schemas that exist.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "BrandInput",
        "CustomerInput",
        "ProductInput",
        "OrderInput",
        "InteractionInput",
        "StatusInput",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn docs_page_renders_offline() {
    let api = FX.server.api(None);
    let r = api.get("/docs").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type").starts_with("text/html"),
        "{}",
        r.header("content-type")
    );
    // minijinja's HTML escaping writes `/` as `&#x2f;`; compare the text a browser shows.
    let shown = unescape_html(&r.text);
    assert!(
        shown.contains("/api/pedidos"),
        "docs do not mention /api/pedidos"
    );
    for (_, path) in ROUTES {
        assert!(shown.contains(path), "docs do not list {path}");
    }
    // Works without internet: nothing is loaded from another origin.
    for needle in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "@import url(http",
        "//cdn",
    ] {
        assert!(
            !r.text.contains(needle),
            "docs load `{needle}` from outside"
        );
    }
    // Its stylesheets and scripts are served by the binary.
    for asset in r.text.split("\"/static/").skip(1) {
        let name = asset.split('"').next().unwrap();
        let a = api.get(&format!("/static/{name}")).await;
        assert_eq!(a.status, 200, "/static/{name}");
    }
    assert_eq!(r.header("x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let api = FX.server.api(Some(&FX.owner));
    for path in ["/nope", "/api/nope", "/api/marcas/gollos/nope", "/api"] {
        for a in [api.clone(), api.with_token(None)] {
            let p = a.get(path).await.problem(404, "not-found");
            assert_eq!(p["title"], "No encontrado", "{path}");
            let p = a.english().get(path).await.problem(404, "not-found");
            assert_eq!(p["title"], "Not found");
        }
    }
    for (method, path) in [
        (Method::DELETE, "/api/marcas"),
        (Method::PATCH, "/api/marcas/gollos"),
        (Method::DELETE, "/api/marcas/gollos"),
        (Method::POST, "/api/clientes/cli_gollos_1"),
        (Method::DELETE, "/api/productos/pro_gollos_1"),
        (Method::DELETE, "/api/pedidos/ped_gollos_1"),
        (Method::GET, "/api/pedidos"),
        (Method::GET, "/api/interacciones"),
        (Method::POST, "/healthz"),
        (Method::PUT, "/api/marcas/gollos/clientes"),
    ] {
        for a in [api.clone(), api.with_token(None)] {
            let r = a.call(method.clone(), path, None).await;
            let p = r.problem(405, "method-not-allowed");
            assert_eq!(p["title"], "Método no permitido", "{method} {path}");
            assert!(
                !r.header("allow").is_empty(),
                "{method} {path}: no Allow header"
            );
            let p = a
                .english()
                .call(method.clone(), path, None)
                .await
                .problem(405, "method-not-allowed");
            assert_eq!(p["title"], "Method not allowed");
        }
    }
    // The root opens the staff app, which sends a visitor without a session to log in.
    let r = FX.server.api(None);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(format!("{}/", r.base)).send().await.unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("login")
            || resp.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with('/')
    );
}

fn unescape_html(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
