//! Bad input through the real binary: every case is a clear 4xx `application/problem+json`
//! (Spanish by default, English on request), nothing is stored, and nothing is ever a 5xx.

use crate::support;

use std::io::{Read, Write};
use std::sync::LazyLock;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Server, TestEnv, pe_mobile};

const A: &str = "alfa";
/// Hostile text goes to its own brand so the "nothing changed" snapshots of A stay exact.
const H: &str = "hostil";

struct Fx {
    server: Server,
    data: std::path::PathBuf,
    token: String,
    customer: String,
    order: String,
}

static FX: LazyLock<Fx> = LazyLock::new(|| {
    let env = TestEnv::new();
    env.create_brand(A, "Alfa", "PE", "America/Lima", "PEN");
    env.create_brand(H, "Hostil", "PE", "America/Lima", "PEN");
    let token = env.token(None, "admin");
    let (data, server) = env.into_shared_server(&[]);
    let (customer, order) = std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let api = server.api(Some(&token));
                    let c = api
                        .post(
                            &format!("/api/marcas/{A}/clientes"),
                            &json!({"nombre": "Base", "telefono": pe_mobile()}),
                        )
                        .await
                        .ok(201);
                    api.post(
                        &format!("/api/marcas/{A}/productos"),
                        &json!({"sku": "BASE", "nombre": "Base", "precio": 100, "stock": 5}),
                    )
                    .await
                    .ok(201);
                    let o = api
                        .post(
                            "/api/pedidos",
                            &json!({"cliente_id": c["id"], "canal": "web",
                                    "items": [{"sku": "BASE", "cantidad": 1}]}),
                        )
                        .await
                        .ok(201);
                    // The segment follows the order in the background within seconds; the
                    // "nothing changed" snapshots start once it has.
                    let path = format!("/api/clientes/{}", c["id"].as_str().unwrap());
                    for _ in 0..200 {
                        if api.get(&path).await.ok(200)["segmento"] == "nuevo" {
                            break;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    (
                        c["id"].as_str().unwrap().to_string(),
                        o["id"].as_str().unwrap().to_string(),
                    )
                })
        })
        .join()
        .expect("seeding failed")
    });
    Fx {
        server,
        data,
        token,
        customer,
        order,
    }
});

fn api() -> Api {
    FX.server.api(Some(&FX.token))
}

/// Row counts of every resource, seen through the API.
async fn snapshot(api: &Api) -> Value {
    let customers = api
        .list_all(&format!("/api/marcas/{A}/clientes"), "", 500)
        .await;
    let products = api
        .list_all(&format!("/api/marcas/{A}/productos"), "", 500)
        .await;
    let orders = api
        .list_all(&format!("/api/marcas/{A}/pedidos"), "", 500)
        .await;
    let interactions = api
        .list_all(
            &format!("/api/clientes/{}/interacciones", FX.customer),
            "",
            500,
        )
        .await;
    json!({"clientes": customers, "productos": products, "pedidos": orders,
           "interacciones": interactions})
}

/// (method, path, content type, body, status, problem type)
type BodyCase = (
    Method,
    String,
    Option<&'static str>,
    Vec<u8>,
    u16,
    &'static str,
);

#[tokio::test]
async fn malformed_bodies_wrong_types_and_unknown_fields() {
    let api = api();
    let before = snapshot(&api).await;
    let clientes = format!("/api/marcas/{A}/clientes");
    let productos = format!("/api/marcas/{A}/productos");
    let json_ct = Some("application/json");
    // (method, path, content type, body, status, type)
    let cases: Vec<BodyCase> = vec![
        (Method::POST, clientes.clone(), json_ct, b"{\"nombre\": ".to_vec(), 400, "bad-request"),
        (Method::POST, clientes.clone(), json_ct, b"not json".to_vec(), 400, "bad-request"),
        (Method::POST, clientes.clone(), json_ct, b"".to_vec(), 400, "bad-request"),
        (Method::POST, clientes.clone(), json_ct, b"{\"nombre\": \"a\"}}".to_vec(), 400, "bad-request"),
        (Method::POST, clientes.clone(), json_ct, b"{\"nombre\": \"\xff\xfe\"}".to_vec(), 400, "bad-request"),
        (Method::POST, clientes.clone(), None, br#"{"nombre": "x"}"#.to_vec(), 400, "bad-request"),
        (Method::POST, clientes.clone(), Some("text/plain"), br#"{"nombre": "x"}"#.to_vec(), 400, "bad-request"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": 42}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"[]"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": "x", "etiquetas": "vip"}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": "x", "consentimiento_marketing": "yes"}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": "x", "admin": true}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": "x", "id": 1}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": "x", "segmento": "vip"}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, b"{\"nombre\": \"a\\u0000b\"}".to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": "   "}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": "x", "email": "no-es-correo"}"#.to_vec(), 422, "validation"),
        (Method::POST, clientes.clone(), json_ct, br#"{"nombre": "x", "canal_adquisicion": "paloma"}"#.to_vec(), 422, "validation"),
        (Method::POST, productos.clone(), json_ct, br#"{"sku": "X", "nombre": "x", "precio": "12.50"}"#.to_vec(), 422, "validation"),
        (Method::POST, productos.clone(), json_ct, br#"{"sku": "X", "nombre": "x", "precio": 12.5}"#.to_vec(), 422, "validation"),
        (Method::POST, productos.clone(), json_ct, br#"{"sku": "X", "nombre": "x", "precio": 1e30}"#.to_vec(), 422, "validation"),
        (Method::POST, productos.clone(), json_ct, br#"{"sku": "X", "nombre": "x", "precio": 99999999999999999999999}"#.to_vec(), 422, "validation"),
        (Method::POST, productos.clone(), json_ct, br#"{"sku": "X", "nombre": "x", "precio": 9223372036854775807}"#.to_vec(), 422, "validation"),
        (Method::POST, productos.clone(), json_ct, br#"{"sku": "X", "nombre": "x", "precio": 1, "stock": 9223372036854775807}"#.to_vec(), 422, "validation"),
        (Method::POST, productos.clone(), json_ct, br#"{"sku": "X", "nombre": "x", "precio": 1, "atributos": [1]}"#.to_vec(), 422, "validation"),
        (Method::POST, productos.clone(), json_ct, br#"{"sku": "with space", "nombre": "x", "precio": 1}"#.to_vec(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "items": []}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "fax", "items": [{{"sku": "BASE", "cantidad": 1}}]}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "items": [{{"sku": "BASE", "cantidad": 0}}]}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "items": [{{"sku": "BASE", "cantidad": 9223372036854775807}}]}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "items": [{{"sku": "NOPE", "cantidad": 1}}]}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "items": [{{"sku": "BASE", "cantidad": "1"}}]}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "items": [{{"sku": "BASE", "cantidad": 1}}], "total": 1}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, br#"{"cliente_id": "ped_alfa_1", "canal": "web", "items": [{"sku": "BASE", "cantidad": 1}]}"#.to_vec(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, br#"{"canal": "web", "items": [{"sku": "BASE", "cantidad": 1}]}"#.to_vec(), 422, "validation"),
        (Method::POST, "/api/pedidos".into(), json_ct, br#"{"marca": "alfa", "canal": "web", "items": [{"sku": "BASE", "cantidad": 1}]}"#.to_vec(), 422, "validation"),
        (Method::POST, "/api/interacciones".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "direccion": "entrante", "tipo": "mensaje", "fecha": "ayer"}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/interacciones".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "direccion": "entrante", "tipo": "mensaje", "metadatos": "x"}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::POST, "/api/interacciones".into(), json_ct, format!(r#"{{"cliente_id": "{}", "canal": "web", "direccion": "entrante", "tipo": "mensaje", "external_id": ""}}"#, FX.customer).into_bytes(), 422, "validation"),
        (Method::PUT, format!("/api/clientes/{}", FX.customer), json_ct, br#"{"nombre": ""}"#.to_vec(), 422, "validation"),
        (Method::PUT, format!("/api/clientes/{}", FX.customer), json_ct, br#"{"canal_adquisicion": "web"}"#.to_vec(), 422, "validation"),
        (Method::PUT, format!("/api/clientes/{}", FX.customer), json_ct, br#"{"telefono": "abc"}"#.to_vec(), 422, "validation"),
        (Method::PUT, format!("/api/pedidos/{}", FX.order), json_ct, br#"{"estado": 3}"#.to_vec(), 422, "validation"),
        (Method::PUT, format!("/api/pedidos/{}", FX.order), json_ct, br#"{"estado": "confirmado", "por": "x"}"#.to_vec(), 422, "validation"),
        (Method::PUT, format!("/api/marcas/{A}"), json_ct, br#"{"slug": "otra"}"#.to_vec(), 422, "validation"),
    ];
    for (method, path, ct, body, status, kind) in cases {
        let shown = String::from_utf8_lossy(&body).to_string();
        let r = api.raw(method.clone(), &path, ct, body.clone()).await;
        let p = r.problem(status, kind);
        assert_eq!(
            r.header("content-language"),
            "es",
            "{method} {path} {shown}"
        );
        if status == 422 {
            assert!(
                p["errors"].as_array().is_some_and(|e| !e.is_empty()),
                "{method} {path} {shown}: no field errors: {p}"
            );
        }
        // The same in English.
        let r_en = api.english().raw(method.clone(), &path, ct, body).await;
        let p_en = r_en.problem(status, kind);
        assert_eq!(r_en.header("content-language"), "en");
        assert_eq!(p_en["type"], p["type"]);
        assert_ne!(p_en["title"], p["title"], "{method} {path}: not translated");
    }
    // Deeply nested JSON is refused, not a stack overflow.
    let deep = format!(
        r#"{{"sku": "D", "nombre": "d", "precio": 1, "atributos": {}{}}}"#,
        "{\"a\":".repeat(5000),
        "}".repeat(5000)
    );
    let r = api.raw(Method::POST, &productos, json_ct, deep).await;
    assert!(r.status == 400 || r.status == 422, "{}", r.text);
    r.problem(
        r.status,
        if r.status == 400 {
            "bad-request"
        } else {
            "validation"
        },
    );
    // Too many lines and too-long texts.
    let items: Vec<Value> = (0..101)
        .map(|_| json!({"sku": "BASE", "cantidad": 1}))
        .collect();
    api.post(
        "/api/pedidos",
        &json!({"cliente_id": FX.customer, "canal": "web", "items": items}),
    )
    .await
    .problem(422, "validation");
    api.post(&clientes, &json!({"nombre": "x".repeat(201)}))
        .await
        .problem(422, "validation");
    api.post(
        &clientes,
        &json!({"nombre": "x", "notas": "n".repeat(5001)}),
    )
    .await
    .problem(422, "validation");
    api.post(
        &clientes,
        &json!({"nombre": "x", "etiquetas": (0..31).map(|n| format!("t{n}")).collect::<Vec<_>>()}),
    )
    .await
    .problem(422, "validation");
    assert_eq!(snapshot(&api).await, before, "bad input changed data");
}

#[tokio::test]
async fn validation_problems_name_fields_in_both_languages() {
    let api = api();
    let path = format!("/api/marcas/{A}/clientes");
    let body = json!({"nombre": "", "telefono": "12", "email": "x@", "canal_adquisicion": "fax"});
    let es = api.post(&path, &body).await.problem(422, "validation");
    let en = api
        .english()
        .post(&path, &body)
        .await
        .problem(422, "validation");
    assert_eq!(es["title"], "Datos inválidos");
    assert_eq!(en["title"], "Invalid data");
    let fields = |p: &Value| -> Vec<String> {
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        fields(&es),
        ["nombre", "telefono", "email", "canal_adquisicion"]
    );
    assert_eq!(fields(&es), fields(&en));
    for (e, n) in es["errors"]
        .as_array()
        .unwrap()
        .iter()
        .zip(en["errors"].as_array().unwrap())
    {
        assert_eq!(e["code"], n["code"]);
        assert_ne!(e["message"], n["message"], "untranslated: {e}");
    }
    // Quality values pick the language; unsupported languages fall back to Spanish.
    let r = api
        .with_headers(
            Method::POST,
            &path,
            &[("accept-language", "fr-FR, en;q=0.8, es;q=0.5")],
            Some(&body),
        )
        .await;
    assert_eq!(r.problem(422, "validation")["title"], "Invalid data");
    let r = api
        .with_headers(
            Method::POST,
            &path,
            &[("accept-language", "de")],
            Some(&body),
        )
        .await;
    assert_eq!(r.problem(422, "validation")["title"], "Datos inválidos");
    // Unauthenticated, in both languages.
    let anon = api.with_token(None);
    let p = anon.get(&path).await.problem(401, "unauthenticated");
    assert_eq!(p["title"], "Autenticación requerida");
    let p = anon
        .english()
        .get(&path)
        .await
        .problem(401, "unauthenticated");
    assert_eq!(p["title"], "Authentication required");
}

#[tokio::test]
async fn bad_ids_are_not_found_and_touch_no_file() {
    let api = api();
    let tenants = FX.data.join("tenants");
    let files_before = list_dir(&tenants);
    let before = snapshot(&api).await;
    let long = "9".repeat(5000);
    let bad_ids = [
        "cli_x".to_string(),
        "cli".into(),
        "cli_".into(),
        "cli__1".into(),
        "cli_alfa_".into(),
        "cli_alfa_0".into(),
        "cli_alfa_01".into(),
        "cli_alfa_-1".into(),
        "cli_alfa_1.5".into(),
        "cli_alfa_99999999999999999999999999".into(),
        "cli_alfa_9223372036854775807".into(),
        format!("cli_alfa_{long}"),
        "cli_ALFA_1".into(),
        "cli_nope_1".into(),
        "cli_..%2F..%2Fetc_1".into(),
        "..%2F..%2Fetc%2Fpasswd".into(),
        "cli_alfa_1%00".into(),
        "cli_alfa%2F1".into(),
        "cli_%F0%9F%8D%97_1".into(),
        "%FF%FE".into(),
        "ped_alfa_1".into(),
        "pro_alfa_1".into(),
        "int_alfa_1".into(),
        "1".into(),
        "'%20OR%201=1".into(),
    ];
    for id in &bad_ids {
        for (method, path, body) in [
            (Method::GET, format!("/api/clientes/{id}"), None),
            (
                Method::PUT,
                format!("/api/clientes/{id}"),
                Some(json!({"nombre": "x"})),
            ),
            (Method::DELETE, format!("/api/clientes/{id}"), None),
            (
                Method::GET,
                format!("/api/clientes/{id}/interacciones"),
                None,
            ),
            (Method::GET, format!("/api/productos/{id}"), None),
            (
                Method::PUT,
                format!("/api/productos/{id}"),
                Some(json!({"nombre": "x"})),
            ),
            (Method::GET, format!("/api/pedidos/{id}"), None),
            (
                Method::PUT,
                format!("/api/pedidos/{id}"),
                Some(json!({"estado": "cancelado"})),
            ),
        ] {
            // `xxx_alfa_1` of the right kind names a real row; every other id names the
            // wrong kind of resource or nothing at all.
            let right_kind = (path.starts_with("/api/clientes/") && id == "cli_alfa_1")
                || (path.starts_with("/api/productos/") && id == "pro_alfa_1")
                || (path.starts_with("/api/pedidos/") && id == "ped_alfa_1");
            if right_kind {
                continue;
            }
            let r = api.call(method.clone(), &path, body.as_ref()).await;
            assert!(
                r.status == 404 || r.status == 400,
                "{method} {path}: {} {}",
                r.status,
                r.text
            );
            r.problem(
                r.status,
                if r.status == 404 {
                    "not-found"
                } else {
                    "bad-request"
                },
            );
        }
    }
    // Brand slugs that are not slugs, or unknown brands: 404 and no file.
    for slug in [
        "nope",
        "Alfa",
        "..%2F..%2Fetc",
        "%2e%2e%2fcontrol",
        "a%00b",
        "-alfa",
        "alfa.db",
        "control",
        &"a".repeat(41),
        "%F0%9F%8D%97",
    ] {
        for (method, path, body) in [
            (Method::GET, format!("/api/marcas/{slug}"), None),
            (
                Method::PUT,
                format!("/api/marcas/{slug}"),
                Some(json!({"nombre": "x"})),
            ),
            (Method::GET, format!("/api/marcas/{slug}/clientes"), None),
            (
                Method::POST,
                format!("/api/marcas/{slug}/clientes"),
                Some(json!({"nombre": "x"})),
            ),
            (Method::GET, format!("/api/marcas/{slug}/productos"), None),
            (Method::GET, format!("/api/marcas/{slug}/pedidos"), None),
            (
                Method::POST,
                "/api/pedidos".to_string(),
                Some(
                    json!({"marca": slug, "cliente": {"nombre": "x"}, "canal": "web",
                            "items": [{"sku": "BASE", "cantidad": 1}]}),
                ),
            ),
        ] {
            let r = api.call(method.clone(), &path, body.as_ref()).await;
            assert!(
                r.status == 404 || r.status == 400,
                "{method} {path}: {} {}",
                r.status,
                r.text
            );
            r.problem(
                r.status,
                if r.status == 404 {
                    "not-found"
                } else {
                    "bad-request"
                },
            );
        }
    }
    assert_eq!(list_dir(&tenants), files_before, "a bad id created a file");
    assert!(!FX.data.join("tenants").join("nope.db").exists());
    assert_eq!(snapshot(&api).await, before);
}

fn list_dir(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn hostile_text_is_stored_verbatim() {
    let api = api();
    let texts = [
        "Robert'); DROP TABLE clientes;--",
        "' OR '1'='1' /* */ UNION SELECT * FROM api_tokens --",
        "🍗🔥 Pollo broaster 🇵🇪 — ñandú, Ñuñoa, 日本語, עברית, العربية",
        "👨‍👩‍👧‍👦 familia (ZWJ) y e\u{301} combinada",
        "<script>alert('x')</script> & \"quotes\" \\ backslash",
        "%s %n {{ 7*7 }} ${jndi:ldap://x} \u{202e}reversed",
        "line one\nline two\ttabbed",
    ];
    let path = format!("/api/marcas/{H}/clientes");
    for text in texts {
        // Names are trimmed and single-line; notes keep newlines and tabs.
        let name = text.replace(['\n', '\t'], " ");
        let c = api
            .post(
                &path,
                &json!({"nombre": name, "notas": text, "direccion": name,
                                 "etiquetas": [name.chars().take(40).collect::<String>()]}),
            )
            .await
            .ok(201);
        assert_eq!(c["nombre"], name.trim());
        assert_eq!(c["notas"], text);
        let id = c["id"].as_str().unwrap();
        let got = api.get(&format!("/api/clientes/{id}")).await;
        assert_eq!(
            got.json()["notas"].as_str().unwrap().as_bytes(),
            text.as_bytes()
        );
        assert_eq!(got.json()["nombre"], name.trim());
        let i = api
            .post(
                "/api/interacciones",
                &json!({"cliente_id": id, "canal": "whatsapp", "direccion": "entrante",
                        "tipo": "mensaje", "cuerpo": text, "metadatos": {"raw": text}}),
            )
            .await
            .ok(201);
        assert_eq!(i["cuerpo"], text);
        let listed = api
            .get(&format!("/api/clientes/{id}/interacciones"))
            .await
            .ok(200);
        assert_eq!(
            listed["items"][0]["cuerpo"].as_str().unwrap().as_bytes(),
            text.as_bytes()
        );
        assert_eq!(listed["items"][0]["metadatos"]["raw"], text);
        // Searching for hostile text is just a search.
        for q in [text, "\"", "*", "NEAR(", "a OR b", "-", "^", "\u{0}"] {
            api.get(&format!("{path}?q={}", urlenc(q))).await.ok(200);
            api.get(&format!("/api/clientes/{id}/interacciones?q={}", urlenc(q)))
                .await
                .ok(200);
            api.get(&format!("/api/marcas/{H}/productos?q={}", urlenc(q)))
                .await
                .ok(200);
        }
    }
    let sku = api
        .post(
            &format!("/api/marcas/{H}/productos"),
            &json!({"sku": "SQL-1", "nombre": "Robert'); DROP TABLE productos;-- 🍗",
                    "categoria": "🍗 combos", "precio": 1,
                    "atributos": {"nota": "' OR 1=1", "emoji": "🍗"}}),
        )
        .await
        .ok(201);
    let got = api
        .get(&format!("/api/productos/{}", sku["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(got["nombre"], "Robert'); DROP TABLE productos;-- 🍗");
    assert_eq!(got["atributos"], json!({"nota": "' OR 1=1", "emoji": "🍗"}));
    // The tables are all still there.
    api.get(&format!("/api/marcas/{H}/clientes")).await.ok(200);
    api.get(&format!("/api/marcas/{H}/productos")).await.ok(200);
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn bad_query_parameters() {
    let api = api();
    let c = format!("/api/marcas/{A}/clientes");
    let o = format!("/api/marcas/{A}/pedidos");
    let p = format!("/api/marcas/{A}/productos");
    let i = format!("/api/clientes/{}/interacciones", FX.customer);
    let weird_cursor = base64_url(br#"{"key": [1], "id": 1}"#);
    let float_cursor = base64_url(br#"{"key": 1.5, "id": 1}"#);
    let cases: Vec<(String, u16, &str)> = vec![
        (format!("{c}?foo=1"), 400, "bad-request"),
        (format!("{c}?limit=10"), 400, "bad-request"),
        (format!("{c}?limite=abc"), 400, "bad-request"),
        (format!("{c}?limite=-1"), 400, "bad-request"),
        (format!("{c}?limite=0"), 422, "validation"),
        (format!("{c}?limite=501"), 422, "validation"),
        (
            format!("{c}?limite=99999999999999999999"),
            400,
            "bad-request",
        ),
        (format!("{c}?consentimiento=quizas"), 400, "bad-request"),
        (format!("{c}?orden=telefono"), 422, "validation"),
        (format!("{c}?orden=nombre;DROP"), 422, "validation"),
        (format!("{c}?segmento=oro"), 422, "validation"),
        (format!("{c}?cursor=garbage!"), 422, "validation"),
        (format!("{c}?cursor=e30"), 422, "validation"),
        (format!("{c}?cursor={weird_cursor}"), 422, "validation"),
        (format!("{c}?cursor={float_cursor}"), 422, "validation"),
        (format!("{c}?desde=ayer"), 422, "validation"),
        (format!("{c}?desde=2026-13-01"), 422, "validation"),
        (format!("{c}?hasta=2026-02-30"), 422, "validation"),
        (format!("{c}?hasta=2026-01-01T25:00:00Z"), 422, "validation"),
        (format!("{o}?desde=31/12/2025"), 422, "validation"),
        (format!("{o}?estado=perdido"), 422, "validation"),
        (format!("{o}?cliente_id=cli_x"), 400, "bad-request"),
        (format!("{o}?cursor=%%%"), 422, "validation"),
        (format!("{o}?cursor=garbage!"), 422, "validation"),
        (format!("{o}?bogus="), 400, "bad-request"),
        (format!("{p}?activo=si"), 400, "bad-request"),
        (format!("{p}?cursor=garbage!"), 422, "validation"),
        (format!("{p}?limite=0"), 422, "validation"),
        (format!("{i}?cursor=garbage!"), 422, "validation"),
        (format!("{i}?x=1"), 400, "bad-request"),
    ];
    let mut mismatches = Vec::new();
    for (path, status, kind) in cases {
        let r = api.get(&path).await;
        if r.status != status {
            mismatches.push(format!(
                "{path}: want {status}, got {} {}",
                r.status, r.text
            ));
            continue;
        }
        let p = r.problem(status, kind);
        let en = api.english().get(&path).await.problem(status, kind);
        assert_ne!(en["detail"], p["detail"], "{path}: untranslated");
        assert_eq!(p["status"], en["status"]);
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // A cursor from one page works; the same cursor tampered with is refused cleanly.
    let page = api.get(&format!("{c}?limite=1")).await.ok(200);
    if let Some(cur) = page["next_cursor"].as_str() {
        api.get(&format!("{c}?limite=1&cursor={cur}")).await.ok(200);
        let tampered = format!("{}x", &cur[..cur.len() - 1]);
        let r = api.get(&format!("{c}?limite=1&cursor={tampered}")).await;
        assert!(r.status == 200 || r.status == 422, "{}", r.text);
    }
}

fn base64_url(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn default_body_limit_is_one_mebibyte() {
    let api = api();
    let before = snapshot(&api).await;
    let path = format!("/api/marcas/{A}/clientes");
    // Just under 1 MiB: read whole, then refused for its contents (notes too long).
    let notes = "n".repeat(1024 * 1024 - 100);
    let body = json!({"nombre": "Grande", "notas": notes}).to_string();
    assert!(body.len() < 1024 * 1024);
    let r = api
        .raw(Method::POST, &path, Some("application/json"), body)
        .await;
    r.problem(422, "validation");
    // Just over: 413 before any parsing.
    let notes = "n".repeat(1024 * 1024);
    let body = json!({"nombre": "Grande", "notas": notes}).to_string();
    let r = api
        .raw(Method::POST, &path, Some("application/json"), body.clone())
        .await;
    let p = r.problem(413, "payload-too-large");
    assert_eq!(p["title"], "Cuerpo demasiado grande");
    let r = api
        .english()
        .raw(Method::POST, &path, Some("application/json"), body)
        .await;
    assert_eq!(
        r.problem(413, "payload-too-large")["title"],
        "Payload too large"
    );
    assert_eq!(snapshot(&api).await, before);
}

#[tokio::test]
async fn configured_body_limit_applies_to_every_write() {
    let env = TestEnv::new();
    env.create_brand(A, "Alfa", "PE", "America/Lima", "PEN");
    let token = env.token(Some(A), "admin");
    let server = env.start_with(&[("AUTONOMO_MAX_BODY_BYTES", "2048")]);
    let api = server.api(Some(&token));
    let ok = api
        .post(
            &format!("/api/marcas/{A}/clientes"),
            &json!({"nombre": "Chico", "notas": "n".repeat(1500)}),
        )
        .await
        .ok(201);
    let big = "n".repeat(3000);
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/marcas/{A}/clientes"),
            json!({"nombre": "Grande", "notas": big}),
        ),
        (
            Method::PUT,
            format!("/api/clientes/{}", ok["id"].as_str().unwrap()),
            json!({"notas": big}),
        ),
        (
            Method::POST,
            format!("/api/marcas/{A}/productos"),
            json!({"sku": "X", "nombre": "x", "precio": 1, "atributos": {"x": big}}),
        ),
        (
            Method::POST,
            "/api/pedidos".to_string(),
            json!({"marca": A, "cliente": {"nombre": big}, "canal": "web", "items": []}),
        ),
        (
            Method::POST,
            "/api/interacciones".to_string(),
            json!({"cliente_id": ok["id"], "canal": "web", "direccion": "entrante",
                   "tipo": "mensaje", "cuerpo": big}),
        ),
        (
            Method::PUT,
            format!("/api/marcas/{A}"),
            json!({"nombre": big}),
        ),
    ] {
        api.call(method, &path, Some(&body))
            .await
            .problem(413, "payload-too-large");
    }
    // A chunked body (no Content-Length) over the limit is cut off too.
    let addr = server.addr.clone();
    let status = tokio::task::spawn_blocking(move || chunked_post(&addr, &token, 4096))
        .await
        .unwrap();
    assert_eq!(status, 413, "chunked body over the limit");
    let list = api.get(&format!("/api/marcas/{A}/clientes")).await.ok(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "nothing stored");
    assert_eq!(
        api.get(&format!("/api/clientes/{}", ok["id"].as_str().unwrap()))
            .await
            .ok(200),
        ok
    );
}

/// Sends a JSON body of `size` bytes with chunked transfer encoding; returns the status.
fn chunked_post(addr: &str, token: &str, size: usize) -> u16 {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = format!(r#"{{"nombre": "x", "notas": "{}"}}"#, "n".repeat(size));
    let head = format!(
        "POST /api/marcas/{A}/clientes HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    for chunk in body.as_bytes().chunks(512) {
        // The server may answer (and close) before reading everything.
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .is_err()
            || s.write_all(chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"))
}
