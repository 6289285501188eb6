//! Through the real router: the dashboard follows new orders live (the page subscribes to
//! the brand's event stream and re-fetches a fragment), the combined view across brands
//! (screen and API; per-currency totals; a one-brand token and a one-brand manager see only
//! their brand), and the thresholds screen (roles, validation, audit, recompute).

use std::time::Duration;

use autonomo::auth::Access;
use autonomo::auth::tokens;
use autonomo::tenants::{BrandInput, Slug};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::rollups::{add_customer, add_product, order};
use super::ui_support::App;

fn attr<'a>(html: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=\"");
    let start = html.find(&key).map(|i| i + key.len()).unwrap_or(0);
    let end = html[start..].find('"').map_or(start, |e| start + e);
    &html[start..end]
}

/// The number shown in a KPI card of the fragment.
fn kpi(html: &str, key: &str) -> String {
    let at = html
        .find(&format!("data-kpi=\"{key}\""))
        .unwrap_or_else(|| panic!("no {key} KPI: {html}"));
    let rest = &html[at..];
    let v = rest.find("class=\"v\">").expect("value") + "class=\"v\">".len();
    rest[v..v + rest[v..].find('<').expect("end")].to_string()
}

#[tokio::test]
async fn dashboard_follows_new_orders_live() {
    let app = App::new().await;
    let tenant = app
        .state
        .registry
        .tenant(&Slug::parse("gollos").expect("slug"))
        .await
        .expect("tenant");
    let now = Utc::now().timestamp_millis();
    let customer = tenant
        .db()
        .write(move |c| {
            add_product(c, "POLLO", 2500);
            let a = add_customer(c, 1);
            c.execute(
                "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
                 VALUES (?1, 'whatsapp', 'entrante', 'mensaje', pii_seal('hola'), ?2)",
                rusqlite::params![a, now - 7_200_000],
            )?;
            let o = order(c, a, "web", &[("POLLO", 1)], now - 3_600_000);
            c.execute(
                "INSERT INTO encuestas (pedido_id, cliente_id, estado, csat, nps, enviada_en, respondida_en)
                 VALUES (?1, ?2, 'completa', 4, 9, ?3, ?3)",
                rusqlite::params![o, a, now - 1_800_000],
            )?;
            Ok(a)
        })
        .await
        .expect("seed");
    let owner = app.login("owner@x.pe").await;
    let page = app
        .get("/m/gollos/metricas?periodo=week", Some(&owner))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("<script>"), "no inline script (CSP)");
    assert!(page.body.contains("/static/app.js"), "the external script");
    assert_eq!(attr(&page.body, "data-live"), "/m/gollos/eventos");
    assert_eq!(attr(&page.body, "data-target"), "#dash-live");
    let refresh = attr(&page.body, "data-refresh").replace("&amp;", "&");
    assert!(
        refresh.starts_with("/m/gollos/metricas/vivo?desde="),
        "{refresh}"
    );
    assert_eq!(kpi(&page.body, "pedidos"), "1");
    // Satisfaction and conversion on the screen; no impact block without attributes.
    assert_eq!(kpi(&page.body, "csat"), "4.0");
    assert_eq!(kpi(&page.body, "nps"), "100.0");
    assert!(page.body.contains("data-canal=\"whatsapp\"><td>whatsapp</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">100.0 %</td>"), "{}", page.body);
    assert!(!page.body.contains("data-impacto"));
    // The same figures in the API.
    let api = app
        .get(
            "/api/marcas/gollos/metricas/dashboard?periodo=week",
            Some(&owner),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let json: Value = serde_json::from_str(&api.body).expect("json");
    assert_eq!(json["conversion"][0]["canal"], "whatsapp");
    assert_eq!(json["conversion"][0]["convertidas"], 1);
    assert_eq!(json["satisfaccion"]["actual"]["csat_promedio"], 4.0);
    assert_eq!(json["satisfaccion"]["actual"]["nps"], 100.0);
    assert_eq!(json["satisfaccion"]["anterior"]["csat_respuestas"], 0);
    assert!(json["impacto"].is_null());
    // And in the reportes CSV (API and the screen's export link).
    let csv = app
        .get(
            "/api/marcas/gollos/metricas/reportes?tabla=conversion&formato=csv&periodo=week",
            Some(&owner),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.body.contains("canal,conversaciones,convertidas,tasa"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("whatsapp,1,1,1.0"), "{}", csv.body);
    assert!(page.body.contains("exportar.csv?tabla=conversion&amp;"));

    // The page's event stream, opened before the order arrives.
    let req = Request::builder()
        .uri("/m/gollos/eventos")
        .header(header::COOKIE, &owner.cookie)
        .body(Body::empty())
        .expect("request");
    let resp = app.router.clone().oneshot(req).await.expect("stream");
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.into_body();
    // Let the broadcaster read its starting cursor before the write.
    tokio::time::sleep(Duration::from_millis(300)).await;
    tenant
        .db()
        .write(move |c| {
            order(
                c,
                customer,
                "whatsapp",
                &[("POLLO", 2)],
                Utc::now().timestamp_millis(),
            );
            Ok(())
        })
        .await
        .expect("new order");
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::new();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("frame").into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
                if seen.contains("event: pedidos") {
                    return seen;
                }
            }
        }
        seen
    })
    .await
    .expect("an event within 10 s");
    assert!(event.contains("event: pedidos"), "{event}");

    // What the page fetches on that event shows the new order.
    let fragment = app.get(&refresh, Some(&owner)).await;
    assert_eq!(fragment.status, StatusCode::OK, "{}", fragment.body);
    assert!(fragment.body.contains("<div id=\"dash-live\">"));
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
    assert_eq!(kpi(&fragment.body, "pedidos"), "2");
    assert!(
        kpi(&fragment.body, "ingresos").contains("75.00"),
        "{}",
        fragment.body
    );

    // Once a product declares what it avoids, delivered orders show the impact block.
    tenant
        .db()
        .write(|c| {
            c.execute(
                "UPDATE productos SET atributos = '{\"co2_kg\": 1.5, \"plastico_g\": 30}' WHERE sku = 'POLLO'",
                [],
            )?;
            c.execute("UPDATE pedidos SET estado = 'entregado'", [])?;
            Ok(())
        })
        .await
        .expect("impact attributes");
    let fragment = app.get(&refresh, Some(&owner)).await;
    assert!(fragment.body.contains("data-impacto"), "{}", fragment.body);
    assert!(
        fragment
            .body
            .contains("<strong data-co2-periodo>4.5 kg</strong>"),
        "{}",
        fragment.body
    );
    assert!(
        fragment
            .body
            .contains("<strong data-plastico-total>90.0 g</strong>"),
        "{}",
        fragment.body
    );

    // Another brand's fragment stays hidden from a one-brand account.
    let analyst = app.login("analyst@x.pe").await;
    let other = app.get("/m/eco/metricas/vivo", Some(&analyst)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

async fn api_get(app: &App, path: &str, token: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let r = app.send(req).await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::String(r.body)),
    )
}

#[tokio::test]
async fn combined_view_sums_only_within_a_currency_and_respects_reach() {
    let app = App::new().await;
    app.state
        .registry
        .create(BrandInput {
            slug: "miami".into(),
            nombre: "Gollos Miami".into(),
            moneda: "USD".into(),
            zona_horaria: "America/New_York".into(),
            pais: "US".into(),
            idioma: "es".into(),
        })
        .await
        .expect("usd brand");
    let now = Utc::now().timestamp_millis();
    for (slug, price, n) in [("gollos", 2500, 2), ("eco", 1000, 1), ("miami", 900, 3)] {
        let t = app
            .state
            .registry
            .tenant(&Slug::parse(slug).expect("slug"))
            .await
            .expect("tenant");
        t.db()
            .write(move |c| {
                add_product(c, "X", price);
                let a = add_customer(c, 1);
                order(c, a, "web", &[("X", n)], now - 3_600_000);
                Ok(())
            })
            .await
            .expect("seed");
    }
    // gollos 5000 PEN, eco 1000 PEN, miami 2700 USD (minor units).
    let all = tokens::create(
        app.state.registry.control(),
        None,
        Access::Read,
        "all".into(),
    )
    .await
    .expect("token");
    let (status, body) = api_get(&app, "/api/metricas/combinado?periodo=week", &all).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let slugs: Vec<&str> = body["marcas"]
        .as_array()
        .expect("marcas")
        .iter()
        .filter_map(|m| m["slug"].as_str())
        .collect();
    assert_eq!(slugs.len(), 3, "{body}");
    let by_cur: Vec<(String, i64, Vec<String>)> = body["por_moneda"]
        .as_array()
        .expect("por_moneda")
        .iter()
        .map(|r| {
            (
                r["moneda"].as_str().unwrap_or("").to_string(),
                r["totales"]["ingresos"].as_i64().unwrap_or(-1),
                r["marcas"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        by_cur,
        [
            (
                "PEN".to_string(),
                6000,
                vec!["eco".to_string(), "gollos".to_string()]
            ),
            ("USD".to_string(), 2700, vec!["miami".to_string()]),
        ],
        "never PEN + USD"
    );
    let pen = &body["por_moneda"][0];
    assert_eq!(pen["totales"]["pedidos"], 2);
    assert_eq!(pen["totales"]["ticket_promedio"], 3000);
    assert_eq!(pen["kpis"]["ingresos"]["anterior"], 0);

    // A token scoped to one brand sees that brand only.
    let gollos = Slug::parse("gollos").expect("slug");
    let one = tokens::create(
        app.state.registry.control(),
        Some(gollos),
        Access::Read,
        "one".into(),
    )
    .await
    .expect("token");
    let (status, body) = api_get(&app, "/api/metricas/combinado?periodo=week", &one).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["marcas"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["marcas"][0]["slug"], "gollos");
    assert_eq!(body["marcas"][0]["totales"]["ingresos"], 5000);
    assert_eq!(body["por_moneda"].as_array().map(Vec::len), Some(1));
    assert!(!body.to_string().contains("miami") && !body.to_string().contains("\"eco\""));
    let (status, _) = api_get(&app, "/api/metricas/combinado?desde=2024-13-01", &one).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The schema is published.
    let spec = app.get("/api/openapi.json", None).await;
    assert!(spec.body.contains("/api/metricas/combinado"));
    assert!(spec.body.contains("\"Combined\"") && spec.body.contains("\"CurrencyRow\""));

    // The screen: the owner sees every brand with links; the manager only theirs.
    let owner = app.login("owner@x.pe").await;
    let page = app.get("/metricas?periodo=week", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for slug in ["gollos", "eco", "miami"] {
        assert!(
            page.body
                .contains(&format!("href=\"/m/{slug}/metricas?desde=")),
            "{slug}"
        );
    }
    assert!(page.body.contains("data-moneda=\"PEN\"") && page.body.contains("data-moneda=\"USD\""));
    assert!(page.body.contains("data-ingresos=\"6000\""), "PEN total");
    let dash = app.get("/m/gollos/metricas", Some(&owner)).await;
    assert!(
        dash.body.contains("href=\"/metricas?"),
        "link to the combined view"
    );
    let manager = app.login("manager@x.pe").await;
    let page = app.get("/metricas", Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("/m/gollos/metricas?"));
    assert!(!page.body.contains("/m/eco/metricas") && !page.body.contains("miami"));
}

#[tokio::test]
async fn thresholds_screen_changes_who_is_vip() {
    let app = App::new().await;
    let tenant = app
        .state
        .registry
        .tenant(&Slug::parse("gollos").expect("slug"))
        .await
        .expect("tenant");
    let now = Utc::now().timestamp_millis();
    // Four one-order customers this week spending 400, 300, 200, 100.
    let ids = tenant
        .db()
        .write(move |c| {
            add_product(c, "X", 100);
            let mut ids = Vec::new();
            for (n, q) in [(1, 4), (2, 3), (3, 2), (4, 1)] {
                let id = add_customer(c, n);
                order(c, id, "web", &[("X", q)], now - 86_400_000);
                ids.push(id);
            }
            Ok(ids)
        })
        .await
        .expect("seed");
    autonomo::analytics::jobs::recompute(&tenant, Utc::now)
        .await
        .expect("recompute");
    let segments = |t: std::sync::Arc<autonomo::tenants::Tenant>| async move {
        t.db()
            .read(|c| {
                let mut st = c.prepare("SELECT segmento FROM clientes ORDER BY id")?;
                let v: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
                Ok(v)
            })
            .await
            .expect("segments")
    };
    // Default: top 10 % of 4 spenders is nobody; 12 orders a year is far.
    assert_eq!(segments(tenant.clone()).await, ["nuevo"; 4]);
    assert_eq!(ids.len(), 4);

    let manager = app.login("manager@x.pe").await;
    let form = app.get("/m/gollos/metricas/umbrales", Some(&manager)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("name=\"vip_porcentaje\" value=\"10\""));
    assert!(form.body.contains("name=\"_csrf\""));
    for who in ["staff@x.pe", "analyst@x.pe"] {
        let b = app.login(who).await;
        let r = app.get("/m/gollos/metricas/umbrales", Some(&b)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        let r = app
            .post(
                "/m/gollos/metricas/umbrales",
                Some(&b),
                &[("vip_porcentaje", "50")],
                true,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    let fields = |share: &'static str, lost: &'static str| {
        vec![
            ("vip_porcentaje", share),
            ("vip_pedidos_12m", "12"),
            ("riesgo_factor", "2"),
            ("riesgo_minimo_dias", "30"),
            ("perdido_dias", lost),
            ("nuevo_dias", "30"),
        ]
    };
    // Invalid: refused with a reason, nothing changes.
    for bad in [
        fields("150", "180"),
        fields("abc", "180"),
        fields("50", "10"),
    ] {
        let r = app
            .post("/m/gollos/metricas/umbrales", Some(&manager), &bad, true)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    }
    let no_csrf = app
        .post(
            "/m/gollos/metricas/umbrales",
            Some(&manager),
            &fields("50", "180"),
            false,
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::BAD_REQUEST, "CSRF refused");
    assert_eq!(segments(tenant.clone()).await, ["nuevo"; 4]);

    // VIP = top 50 % by spend: the two biggest spenders become VIP at once.
    let ok = app
        .post(
            "/m/gollos/metricas/umbrales",
            Some(&manager),
            &fields("50", "180"),
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), "/m/gollos/metricas/umbrales?cambios=2");
    assert_eq!(
        segments(tenant.clone()).await,
        ["vip", "vip", "nuevo", "nuevo"]
    );
    let page = app.get(ok.location(), Some(&manager)).await;
    assert!(page.body.contains("name=\"vip_porcentaje\" value=\"50\""));
    assert!(page.body.contains("data-cambios=\"2\""));
    let audited: i64 = tenant
        .db()
        .read(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM auditoria WHERE tabla = 'reglas_segmento' AND accion = 'actualizar'
                 AND cambios LIKE '%\"vip_top_share\":0.5%'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .expect("audit");
    assert_eq!(audited, 1, "the change is in the audit trail");

    // Back to 0 % (spend off) but 1 order a year makes everyone VIP.
    let r = app
        .post(
            "/m/gollos/metricas/umbrales",
            Some(&manager),
            &[
                ("vip_porcentaje", "0"),
                ("vip_pedidos_12m", "1"),
                ("riesgo_factor", "2"),
                ("riesgo_minimo_dias", "30"),
                ("perdido_dias", "180"),
                ("nuevo_dias", "30"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(segments(tenant).await, ["vip"; 4]);
}
