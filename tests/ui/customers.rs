//! Customer screens through the real router: escaping, search, notes, merge, CSV in and out.

use crate::support;

use axum::http::StatusCode;
use support::{App, attr_value};

const XSS: &str = "<img src=x onerror=alert(1)>";

fn customer_id(location: &str) -> i64 {
    location
        .trim_start_matches("/m/gollos/clientes/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_hostile_name_is_shown_as_text_everywhere() {
    let app = App::new().await;
    let staff = app.login("staff@x.pe").await;
    let r = app
        .post(
            "/m/gollos/clientes",
            Some(&staff),
            &[
                ("nombre", XSS),
                ("telefono", "987 654 321"),
                ("notas", "<script>alert(2)</script>"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = customer_id(r.location());
    let escaped = "&lt;img src=x onerror=alert(1)&gt;";
    for path in [
        "/m/gollos/clientes".to_string(),
        format!("/m/gollos/clientes/{id}"),
        format!("/m/gollos/clientes/{id}/editar"),
        "/m/gollos/clientes?q=img".to_string(),
    ] {
        let page = app.get(&path, Some(&staff)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains(escaped), "{path} shows the name escaped");
        assert!(!page.body.contains(XSS), "{path} has the raw tag");
        assert!(
            !page.body.contains("<script>alert(2)"),
            "{path} has a raw script"
        );
    }
    // An order for them (with a hostile note): board, kitchen and ticket escape it too.
    let owner = app.login("owner@x.pe").await;
    app.post(
        "/m/gollos/productos",
        Some(&owner),
        &[("sku", "P1"), ("nombre", "<b>Pollo</b>"), ("precio", "10")],
        true,
    )
    .await;
    let r = app
        .post(
            "/m/gollos/pedidos",
            Some(&staff),
            &[
                ("cliente_id", &id.to_string()),
                ("q_1", "1"),
                ("notas", XSS),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for path in [
        "/m/gollos/pedidos",
        "/m/gollos/cocina",
        "/m/gollos/pedidos/1",
        "/m/gollos/pedidos/nuevo",
        "/m/gollos/productos",
    ] {
        let page = app.get(path, Some(&staff)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.body.contains(XSS) && !page.body.contains("<b>Pollo</b>"),
            "{path} has raw markup"
        );
    }
    assert!(
        app.get("/m/gollos/pedidos", Some(&staff))
            .await
            .body
            .contains(escaped)
    );
}

#[tokio::test]
async fn search_as_you_type_returns_just_the_rows() {
    let app = App::new().await;
    let staff = app.login("staff@x.pe").await;
    for (n, t) in [("Ana Pérez", "987654321"), ("Benito Ruiz", "987654322")] {
        app.post(
            "/m/gollos/clientes",
            Some(&staff),
            &[("nombre", n), ("telefono", t)],
            true,
        )
        .await;
    }
    let req = axum::http::Request::builder()
        .uri("/m/gollos/clientes?q=perez")
        .header("cookie", &staff.cookie)
        .header("hx-request", "true")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.starts_with("<div id=\"rows\">"),
        "a fragment, not a page"
    );
    assert!(r.body.contains("Ana Pérez") && !r.body.contains("Benito"));
    // Filters combine with the search.
    let r = app
        .get("/m/gollos/clientes?canal=importacion", Some(&staff))
        .await;
    assert!(!r.body.contains("Ana Pérez"));
}

#[tokio::test]
async fn edit_validation_re_renders_the_form_with_the_error() {
    let app = App::new().await;
    let staff = app.login("staff@x.pe").await;
    let r = app
        .post(
            "/m/gollos/clientes",
            Some(&staff),
            &[("nombre", ""), ("telefono", "12")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("no es un teléfono válido"));
    let a = app
        .post(
            "/m/gollos/clientes",
            Some(&staff),
            &[("nombre", "Ana"), ("telefono", "987654321")],
            true,
        )
        .await;
    let b = app
        .post(
            "/m/gollos/clientes",
            Some(&staff),
            &[("nombre", "Ana 2"), ("telefono", "+51 987 654 321")],
            true,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        b.status,
        StatusCode::CONFLICT,
        "same phone in another format is a duplicate"
    );
}

#[tokio::test]
async fn merging_moves_orders_and_notes_then_deletes_the_duplicate() {
    let app = App::new().await;
    let owner = app.login("owner@x.pe").await;
    let staff = app.login("staff@x.pe").await;
    app.post(
        "/m/gollos/productos",
        Some(&owner),
        &[
            ("sku", "POLLO"),
            ("nombre", "Pollo broaster"),
            ("precio", "12.50"),
            ("categoria", "Pollos"),
        ],
        true,
    )
    .await;
    let keep = customer_id(
        app.post(
            "/m/gollos/clientes",
            Some(&staff),
            &[("nombre", "Ana Pérez"), ("telefono", "987654321")],
            true,
        )
        .await
        .location(),
    );
    let dup = customer_id(
        app.post(
            "/m/gollos/clientes",
            Some(&staff),
            &[("nombre", "Ana P."), ("email", "ana@x.pe")],
            true,
        )
        .await
        .location(),
    );
    let r = app
        .post(
            "/m/gollos/pedidos",
            Some(&staff),
            &[("cliente_id", &dup.to_string()), ("q_1", "2")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.post(
        &format!("/m/gollos/clientes/{dup}/notas"),
        Some(&staff),
        &[("cuerpo", "Prefiere pierna")],
        true,
    )
    .await;
    let form = app
        .get(
            &format!("/m/gollos/clientes/{keep}/fusionar?q=Ana"),
            Some(&staff),
        )
        .await;
    assert!(form.body.contains(&format!("value=\"{dup}\"")));
    let r = app
        .post(
            &format!("/m/gollos/clientes/{keep}/fusionar"),
            Some(&staff),
            &[("duplicado", &dup.to_string())],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get(&format!("/m/gollos/clientes/{keep}"), Some(&staff))
        .await
        .body;
    assert!(
        page.contains("ana@x.pe"),
        "missing e-mail filled in from the duplicate"
    );
    assert!(page.contains("Prefiere pierna"), "note moved");
    assert!(
        page.contains("Pedido</strong>") || page.contains("Pedido #"),
        "order moved"
    );
    assert!(page.contains("S/ 25.00"), "totals added up");
    assert_eq!(
        app.get(&format!("/m/gollos/clientes/{dup}"), Some(&staff))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn csv_import_windows_1252_semicolons_with_mapping_dedupe_and_report() {
    let app = App::new().await;
    let manager = app.login("manager@x.pe").await;
    app.post(
        "/m/gollos/clientes",
        Some(&manager),
        &[("nombre", "Ya Existe"), ("telefono", "987000111")],
        true,
    )
    .await;
    // "Nombre;Teléfono;Correo;Acepta" in Windows-1252, with a duplicate, a bad phone and a repeat.
    let mut file: Vec<u8> = Vec::new();
    file.extend_from_slice(b"Nombre;Tel\xe9fono;Correo;Acepta\r\n");
    file.extend_from_slice(b"Mar\xeda Pe\xf1a;987111222;maria@x.pe;s\xed\r\n");
    file.extend_from_slice(b"Ya Existe Otra Vez;987000111;;no\r\n");
    file.extend_from_slice(b"Sin Tel\xe9fono;12;;\r\n");
    file.extend_from_slice(b"Mar\xeda Repetida;987111222;;\r\n");
    let preview = app
        .upload("/m/gollos/clientes/importar", &manager, &file)
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Windows-1252") && preview.body.contains("María Peña"));
    assert!(
        preview
            .body
            .contains("<option value=\"1\" selected>Teléfono</option>"),
        "phone column guessed"
    );
    let datos = {
        let start = preview.body.find("name=\"datos\"").unwrap();
        let open = preview.body[start..].find('>').unwrap() + start + 1;
        let close = preview.body[open..].find("</textarea>").unwrap() + open;
        html_unescape(&preview.body[open..close])
    };
    let r = app
        .post(
            "/m/gollos/clientes/importar/confirmar",
            Some(&manager),
            &[
                ("datos", &datos),
                ("delimitador", ";"),
                ("codificacion", "Windows-1252"),
                ("map_nombre", "0"),
                ("map_telefono", "1"),
                ("map_email", "2"),
                ("map_consentimiento", "3"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(attr_text(&r.body, "data-count=\"creados\">"), "1");
    assert_eq!(attr_text(&r.body, "data-count=\"duplicados\">"), "2");
    assert_eq!(attr_text(&r.body, "data-count=\"errores\">"), "1");
    let list = app
        .get("/m/gollos/clientes?q=maria", Some(&manager))
        .await
        .body;
    assert!(list.contains("María Peña") && list.contains("+51987111222"));
    // Staff may not import.
    let staff = app.login("staff@x.pe").await;
    assert_eq!(
        app.upload("/m/gollos/clientes/importar", &staff, &file)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn csv_export_is_safe_against_formula_injection() {
    let app = App::new().await;
    let manager = app.login("manager@x.pe").await;
    app.post(
        "/m/gollos/clientes",
        Some(&manager),
        &[
            ("nombre", "=HYPERLINK(\"http://x\",\"clic\")"),
            ("telefono", "987654321"),
            ("notas", "@SUM(A1)"),
        ],
        true,
    )
    .await;
    let r = app
        .get("/m/gollos/clientes/exportar.csv", Some(&manager))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        r.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let body = r.body.trim_start_matches('\u{feff}');
    assert!(body.starts_with("id,nombre,telefono"));
    assert!(
        body.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"clic\"\")\""),
        "{body}"
    );
    assert!(body.contains("'+51987654321"));
    assert!(body.contains("'@SUM(A1)"));
    assert!(!body.contains(",=HYPERLINK"));
}

fn attr_text(html: &str, prefix: &str) -> String {
    let start = html.find(prefix).unwrap() + prefix.len();
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_string()
}

fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[allow(dead_code)]
fn unused() -> Option<String> {
    attr_value("", "")
}

/// A real customer list is bigger than the API's 1 MiB body limit: 9,500 rows (~1.4 MiB)
/// upload, preview and import in one go.
#[tokio::test]
async fn a_csv_bigger_than_the_api_body_limit_imports_whole() {
    let app = App::new().await;
    let manager = app.login("manager@x.pe").await;
    let mut file = String::from("nombre,telefono,correo,notas\n");
    for n in 0..9_500 {
        file.push_str(&format!(
            "Cliente Número {n},9{:08},cliente{n}@correo-de-prueba.pe,Vino por la promoción de verano del año pasado y pidió factura a nombre de su empresa\n",
            10_000_000 + n
        ));
    }
    assert!(file.len() > 1024 * 1024);
    let preview = app
        .upload("/m/gollos/clientes/importar", &manager, file.as_bytes())
        .await;
    assert_eq!(
        preview.status,
        StatusCode::OK,
        "{}",
        preview
            .body
            .split("</h1>")
            .nth(1)
            .unwrap_or(&preview.body)
            .chars()
            .take(300)
            .collect::<String>()
    );
    let datos = {
        let start = preview.body.find("name=\"datos\"").unwrap();
        let open = preview.body[start..].find('>').unwrap() + start + 1;
        let close = preview.body[open..].find("</textarea>").unwrap() + open;
        html_unescape(&preview.body[open..close])
    };
    let r = app
        .post(
            "/m/gollos/clientes/importar/confirmar",
            Some(&manager),
            &[
                ("datos", &datos),
                ("delimitador", ","),
                ("codificacion", "UTF-8"),
                ("map_nombre", "0"),
                ("map_telefono", "1"),
                ("map_email", "2"),
                ("map_notas", "3"),
            ],
            true,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        &r.body[..r.body.len().min(500)]
    );
    assert_eq!(attr_text(&r.body, "data-count=\"creados\">"), "9500");
    // The API keeps its own, smaller limit.
    let big = "x".repeat(2 * 1024 * 1024);
    let api = app
        .post(
            "/m/gollos/clientes",
            Some(&manager),
            &[("nombre", &big)],
            true,
        )
        .await;
    assert_eq!(api.status, StatusCode::PAYLOAD_TOO_LARGE);
}
