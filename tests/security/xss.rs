//! XSS: 200 payloads stored as customer names, notes and addresses, order notes and WhatsApp
//! message bodies, then every staff screen that shows them is rendered (the real router,
//! in-process, logged in as the owner). No payload may come out as markup: its `<`, `"` and
//! `'` must be escaped, no `javascript:` URL may appear, and a page may carry no more
//! `<script` tags (or inline handlers) than the same page with harmless data.

use crate::ui_support::App;

/// 25 vectors × 8 wrappers = 200 payloads, each with its own marker `xss{n}`.
fn payloads() -> Vec<String> {
    let vectors = [
        "<script>alert('{m}')</script>",
        "<img src=x onerror=alert('{m}')>",
        "<svg onload=alert('{m}')>",
        "\"><script>alert('{m}')</script>",
        "'><img src=x onerror=alert('{m}')>",
        "\" onmouseover=\"alert('{m}')\" x=\"",
        "' onfocus='alert(`{m}`)' autofocus x='",
        "javascript:alert('{m}')",
        "<a href=\"javascript:alert('{m}')\">x</a>",
        "<iframe src=\"javascript:alert('{m}')\"></iframe>",
        "</textarea><script>alert('{m}')</script>",
        "</title><script>alert('{m}')</script>",
        "<body onload=alert('{m}')>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert('{m}')>",
        "<details open ontoggle=alert('{m}')>",
        "{{{{7*7}}}} {m} {{% raw %}}",
        "${{alert('{m}')}}",
        "<scr<script>ipt>alert('{m}')</script>",
        "%3Cscript%3Ealert('{m}')%3C/script%3E",
        "&lt;script&gt;alert('{m}')&lt;/script&gt;",
        "<input value=\"{m}\" onfocus=alert(1) autofocus>",
        "<object data=\"data:text/html,<script>alert('{m}')</script>\">",
        "<style>@import 'http://evil/{m}.css';</style>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('{m}')\">",
        "\u{202e}<script>alert('{m}')</script>",
    ];
    let wrappers = [
        "{p}",
        "Ana {p}",
        "{p} Pérez",
        "  {p}  ",
        "{p}\n{p}",
        "ñ{p}ñ",
        "<b>{p}</b>",
        "{p}<!--",
    ];
    let mut out = Vec::new();
    for w in wrappers {
        for v in vectors {
            let m = format!("xss{}", out.len());
            out.push(w.replace("{p}", &v.replace("{m}", &m)));
        }
    }
    out
}

/// Script elements and inline event handlers in the page's real markup: each tag, with its
/// quoted attribute values removed (escaped text has no raw `<`, `"` or `'`, so whatever
/// is left was written by a template, not by data).
fn tags(html: &str) -> usize {
    let mut n = 0;
    for segment in html.split('<').skip(1) {
        let tag = segment.split('>').next().unwrap_or("");
        let mut bare = String::new();
        let mut quote = None;
        for ch in tag.chars() {
            match (quote, ch) {
                (None, '"' | '\'') => quote = Some(ch),
                (Some(q), c) if c == q => quote = None,
                (None, c) => bare.push(c.to_ascii_lowercase()),
                _ => {}
            }
        }
        if bare.starts_with("script") {
            n += 1;
        }
        n += bare
            .split_whitespace()
            .filter(|a| a.starts_with("on") && a.contains('='))
            .count();
    }
    n
}

fn assert_escaped(page: &str, html: &str, payloads: &[String], baseline: usize) {
    for p in payloads {
        if p.contains(['<', '>', '"', '\'']) {
            assert!(
                !html.contains(p.as_str()),
                "{page}: payload rendered raw: {p:?}"
            );
        }
    }
    assert!(
        !html.to_lowercase().contains("href=\"javascript:"),
        "{page}: javascript: URL"
    );
    assert!(
        tags(html) <= baseline,
        "{page}: {} script tags/handlers, a harmless page has {baseline}",
        tags(html)
    );
}

#[test]
fn the_detector_sees_injected_markup_and_ignores_escaped_text() {
    assert_eq!(tags("<img src=x onerror=alert(1)>"), 1);
    assert_eq!(tags("<p><script>alert(1)</script></p>"), 1);
    assert_eq!(tags("<p>&lt;script&gt; onerror=x</p>"), 0);
    assert_eq!(
        tags("<input value=\"&lt;img onerror=x&gt;\" title='a onload=b'>"),
        0
    );
    assert_eq!(tags("<input value=\"\" onfocus=\"alert(1)\" x=\"\">"), 1);
}

#[tokio::test]
async fn two_hundred_payloads_render_escaped_on_every_screen() {
    let app = App::new().await;
    let owner = app.login("owner@x.pe").await;
    let tenant = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    // Harmless data first: the baseline number of scripts a page legitimately has.
    let seed = |name: String, phone: String| {
        let db = tenant.db().clone();
        async move {
            db.write(move |c| {
                c.execute(
                    "INSERT INTO clientes (nombre, telefono, telefono_bi, direccion, notas, canal_adquisicion, creado_en, actualizado_en)
                     VALUES (?1, pii_seal(?2), pii_bi('telefono', ?2), pii_seal(?1), pii_seal(?1), 'web', 1, 1)",
                    rusqlite::params![name, phone],
                )?;
                let id = c.last_insert_rowid();
                c.execute(
                    "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, total, notas, creado_en, actualizado_en)
                     VALUES (?1, 'whatsapp', 'recibido', 100, 100, ?2, ?3, ?3)",
                    rusqlite::params![id, name, autonomo::time::now_ms()],
                )?;
                let order = c.last_insert_rowid();
                c.execute(
                    "INSERT INTO pedido_items (pedido_id, sku, nombre, cantidad, precio_unitario, total)
                     VALUES (?1, 'X', ?2, 1, 100, 100)",
                    rusqlite::params![order, name],
                )?;
                c.execute(
                    "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
                     VALUES (?1, 'whatsapp', 'entrante', 'mensaje', ?2, ?3)",
                    rusqlite::params![id, name, autonomo::time::now_ms()],
                )?;
                Ok((id, order))
            })
            .await
            .unwrap()
        }
    };
    let (safe_id, safe_order) = seed("Cliente Normal".into(), "+51900000001".into()).await;
    let per_customer = |id: i64, order: i64| {
        vec![
            format!("/m/gollos/clientes/{id}"),
            format!("/m/gollos/clientes/{id}/editar"),
            format!("/m/gollos/clientes/{id}/fusionar"),
            format!("/m/gollos/pedidos/{order}"),
        ]
    };
    let shared = [
        "/m/gollos/clientes",
        "/m/gollos/pedidos",
        "/m/gollos/pedidos/tablero",
        "/m/gollos/cocina",
        "/m/gollos/cocina/tablero",
        "/m/gollos/resumen",
        "/m/gollos/auditoria",
        "/m/gollos/pedidos/nuevo",
    ];
    let mut baseline = std::collections::HashMap::new();
    for path in per_customer(safe_id, safe_order)
        .iter()
        .map(String::as_str)
        .chain(shared)
    {
        let r = app.get(path, Some(&owner)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let key = path
            .replace(&safe_id.to_string(), "{id}")
            .replace(&safe_order.to_string(), "{o}");
        baseline.insert(key, tags(&r.body));
    }

    let lookup_baseline = tags(
        &app.get("/m/gollos/pedidos/cliente?cliente=900000001", Some(&owner))
            .await
            .body,
    );
    let payloads = payloads();
    assert_eq!(payloads.len(), 200);
    let mut rows = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        rows.push(seed(p.clone(), format!("+519{:08}", 10_000 + i)).await);
    }
    let mut pages = 0;
    for (i, (id, order)) in rows.iter().enumerate() {
        let paths = per_customer(*id, *order);
        let base_paths = per_customer(safe_id, safe_order);
        for (path, base) in paths.iter().zip(base_paths) {
            let r = app.get(path, Some(&owner)).await;
            assert_eq!(r.status, 200, "{path}");
            let key = base
                .replace(&safe_id.to_string(), "{id}")
                .replace(&safe_order.to_string(), "{o}");
            assert_escaped(path, &r.body, &payloads[i..=i], baseline[&key]);
            pages += 1;
        }
        // Search results and the counter's customer lookup show the payload too.
        let q = format!("/m/gollos/clientes?q=xss{i}");
        let r = app.get(&q, Some(&owner)).await;
        assert_escaped(&q, &r.body, &payloads, baseline["/m/gollos/clientes"]);
        let tel = format!("/m/gollos/pedidos/cliente?cliente=9{:08}", 10_000 + i);
        let r = app.get(&tel, Some(&owner)).await;
        assert_eq!(r.status, 200, "{tel}");
        assert!(
            r.body.contains(&format!("xss{i}")),
            "{tel}: the lookup did not show her"
        );
        assert_escaped(&tel, &r.body, &payloads, lookup_baseline);
        pages += 2;
    }
    for path in shared {
        let r = app.get(path, Some(&owner)).await;
        assert_eq!(r.status, 200, "{path}");
        assert_escaped(path, &r.body, &payloads, baseline[path]);
        pages += 1;
    }
    assert!(pages >= 1200, "{pages} pages rendered");
}
