//! The audience filters RFM group, loyalty balance and "bought this SKU at least N times",
//! through the API preview (count and sample) and the builder's live count, on a small
//! hand-built brand whose counts are worked out below.
//!
//! Customers (all with marketing consent and a phone, except 8):
//!
//! | id | FAMILIAR orders (not cancelled) | RFM group  | balance now            |
//! |----|---------------------------------|------------|------------------------|
//! | 1  | 3                               | champions  | 10                     |
//! | 2  | 2 (+1 cancelled)                | at_risk    | 3 (8 more expired)     |
//! | 3  | 4                               | at_risk    | 4 (6 earned, 2 spent)  |
//! | 4  | 1                               | lost       | 0                      |
//! | 5  | 0                               | champions  | 5                      |
//! | 6  | 0                               | —          | 0                      |
//! | 7  | 0                               | —          | 0                      |
//! | 8  | 5 (no consent)                  | champions  | 100                    |

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::TestEnv;
use crate::ui_support::App;

const DAY: i64 = 24 * 3600 * 1000;

fn seed(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    let now = autonomo::time::now_ms();
    c.execute(
        "INSERT INTO productos (id, sku, nombre, categoria, precio, creado_en, actualizado_en)
         VALUES (1, 'FAMILIAR', 'Combo familiar', 'Combos', 7990, 1, 1)",
        [],
    )?;
    for id in 1..=8i64 {
        let phone = format!("+5198700{id:04}");
        c.execute(
            "INSERT INTO clientes (id, nombre, telefono, telefono_bi, consentimiento_marketing, canal_adquisicion, segmento, creado_en, actualizado_en)
             VALUES (?1, ?2, pii_seal(?3), pii_bi('telefono', ?3), ?4, 'whatsapp', 'recurrente', 1, 1)",
            rusqlite::params![id, format!("Cliente {id}"), phone, id != 8],
        )?;
    }
    let mut order = 0;
    for (customer, n, cancelled) in [(1, 3, 0), (2, 2, 1), (3, 4, 0), (4, 1, 0), (8, 5, 0)] {
        for k in 0..n + cancelled {
            order += 1;
            let status = if k < n { "entregado" } else { "cancelado" };
            c.execute(
                "INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en)
                 VALUES (?1, ?2, 'whatsapp', ?3, 7990, 7990, ?4, ?4)",
                rusqlite::params![order, customer, status, now - 10 * DAY],
            )?;
            c.execute(
                "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
                 VALUES (?1, 1, 'FAMILIAR', 'Combo familiar', 1, 7990, 7990)",
                [order],
            )?;
        }
    }
    for (customer, group) in [
        (1, "champions"),
        (2, "at_risk"),
        (3, "at_risk"),
        (4, "lost"),
        (5, "champions"),
        (8, "champions"),
    ] {
        c.execute(
            "INSERT INTO analitica_clientes (cliente_id, rfm_r, rfm_f, rfm_m, rfm_grupo, calculado_en)
             VALUES (?1, 3, 3, 3, ?2, 1)",
            rusqlite::params![customer, group],
        )?;
    }
    let past = now - DAY;
    for (customer, kind, points, expires) in [
        (1, "gana", 10, None),
        (2, "gana", 8, Some(past)),
        (2, "gana", 3, None),
        (3, "gana", 6, None),
        (3, "canje", -2, None),
        (5, "gana", 5, Some(now + 30 * DAY)),
        (8, "gana", 100, None),
    ] {
        c.execute(
            "INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, vence_en, creado_en)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![customer, kind, points, expires, now - 5 * DAY],
        )?;
    }
    Ok(())
}

fn ids(preview: &Value) -> Vec<String> {
    preview["muestra"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["cliente_id"].to_string())
        .collect()
}

#[tokio::test]
async fn api_counts_rfm_points_and_times_bought() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    {
        let conn = rusqlite::Connection::open(env.brand_db("gollos")).unwrap();
        autonomo::db::functions::register(&conn, "gollos").unwrap();
        seed(&conn).unwrap();
    }
    let token = env.token(Some("gollos"), "admin");
    let server = env.start();
    let api = server.api(Some(&token));
    let preview = |filter: Value| {
        let api = api.clone();
        async move {
            api.post("/api/marcas/gollos/campanas/audiencia", &filter)
                .await
                .ok(200)
        }
    };
    let cases = [
        (
            json!({"producto": "FAMILIAR", "producto_veces_min": 3}),
            vec!["1", "3"],
        ),
        (
            json!({"producto": "FAMILIAR", "producto_veces_min": 2}),
            vec!["1", "2", "3"],
        ),
        (json!({"producto": "FAMILIAR"}), vec!["1", "2", "3", "4"]),
        (json!({"grupos_rfm": ["champions"]}), vec!["1", "5"]),
        (
            json!({"grupos_rfm": ["champions", "at_risk"]}),
            vec!["1", "2", "3", "5"],
        ),
        (json!({"puntos_min": 4}), vec!["1", "3", "5"]),
        (
            json!({"puntos_min": 4, "grupos_rfm": ["at_risk"]}),
            vec!["3"],
        ),
        (
            json!({"producto": "FAMILIAR", "producto_veces_min": 3, "puntos_min": 5}),
            vec!["1"],
        ),
        (json!({"puntos_min": 1000}), vec![]),
    ];
    for (filter, expected) in cases {
        let p = preview(filter.clone()).await;
        assert_eq!(p["total"], expected.len(), "{filter}: {p}");
        assert_eq!(ids(&p), expected, "{filter}");
    }
    for bad in [
        json!({"grupos_rfm": ["vip"]}),
        json!({"producto_veces_min": 2}),
        json!({"puntos_min": 0}),
        json!({"producto": "FAMILIAR", "producto_veces_min": -1}),
    ] {
        let r = api
            .post("/api/marcas/gollos/campanas/audiencia", &bad)
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    // The OpenAPI document describes the new filters and the announce route.
    let doc = api.get("/api/openapi.json").await.ok(200);
    let props = &doc["components"]["schemas"]["Audience"]["properties"];
    for f in ["grupos_rfm", "puntos_min", "producto_veces_min"] {
        assert!(
            props[f].is_object(),
            "{f} missing from the Audience schema: {props}"
        );
    }
    assert!(
        doc["paths"]["/api/marcas/{id}/promociones/{pid}/anunciar"]["post"].is_object(),
        "announce route not documented"
    );
    // A campaign saved with the filters goes to exactly that audience.
    let k = api
        .post(
            "/api/marcas/gollos/campanas",
            &json!({"nombre": "Familiares fieles", "plantilla": "promo_familiar",
                    "audiencia": {"producto": "FAMILIAR", "producto_veces_min": 3}}),
        )
        .await
        .ok(201);
    assert_eq!(k["audiencia"]["producto_veces_min"], 3, "{k}");
    // The loyalty balance as a template variable: each recipient's own, when queued.
    let k = api
        .post(
            "/api/marcas/gollos/campanas",
            &json!({"nombre": "Tus puntos", "plantilla": "tus_puntos", "enviar_ahora": true,
                    "variables": ["nombre", "puntos"], "audiencia": {"puntos_min": 4}}),
        )
        .await
        .ok(201);
    assert_eq!(k["destinatarios"], 3, "{k}");
    let conn = rusqlite::Connection::open(env.brand_db("gollos")).unwrap();
    autonomo::db::functions::register(&conn, "gollos").unwrap();
    // The campaign sender queues the messages right after the launch.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while conn
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE clave LIKE 'campana:%'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        < 3
    {
        assert!(std::time::Instant::now() < deadline, "never queued");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut stmt = conn
        .prepare("SELECT cliente_id, pii_open(cuerpo) FROM outbox WHERE clave LIKE 'campana:%' ORDER BY cliente_id")
        .unwrap();
    let params: Vec<(i64, Value)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|row| {
            let (id, body) = row.unwrap();
            let body: Value = serde_json::from_str(&body).unwrap();
            (
                id,
                body["request"]["template"]["components"][0]["parameters"].clone(),
            )
        })
        .collect();
    let texts: Vec<(i64, Vec<String>)> = params
        .iter()
        .map(|(id, p)| {
            let p = p.as_array().unwrap();
            (
                id.to_owned(),
                p.iter()
                    .map(|x| x["text"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        texts,
        vec![
            (1, vec!["Cliente".to_owned(), "10".to_owned()]),
            (3, vec!["Cliente".to_owned(), "4".to_owned()]),
            (5, vec!["Cliente".to_owned(), "5".to_owned()]),
        ],
        "balance now, expired points left out"
    );
    api.post(
        "/api/marcas/gollos/campanas",
        &json!({"nombre": "x", "plantilla": "x", "variables": ["saldo"]}),
    )
    .await
    .problem(422, "validation");
}

#[tokio::test]
async fn builder_live_count_uses_the_new_filters() {
    let app = App::new().await;
    let t = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    t.db().write(|c| seed(c).map_err(Into::into)).await.unwrap();
    let manager = app.login("manager@x.pe").await;
    let page = app.get("/m/gollos/campanas", Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for field in [
        "name=\"grupo_rfm\"",
        "name=\"puntos_min\"",
        "name=\"producto_veces_min\"",
        "value=\"cant_lose_them\"",
    ] {
        assert!(page.body.contains(field), "{field}");
    }
    for (form, expected) in [
        (vec![("grupo_rfm", "at_risk")], 2),
        (vec![("puntos_min", "4")], 3),
        (
            vec![("producto", "FAMILIAR"), ("producto_veces_min", "3")],
            2,
        ),
        (
            vec![
                ("producto", "FAMILIAR"),
                ("producto_veces_min", "2"),
                ("grupo_rfm", "at_risk"),
                ("puntos_min", "4"),
            ],
            1,
        ),
    ] {
        let r = app
            .post("/m/gollos/campanas/audiencia", Some(&manager), &form, true)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            r.body.contains(&format!("data-audience-count>{expected}<")),
            "{form:?}: {}",
            r.body
        );
    }
    let bad = app
        .post(
            "/m/gollos/campanas/audiencia",
            Some(&manager),
            &[("producto_veces_min", "2")],
            true,
        )
        .await;
    assert!(bad.body.contains("class=\"error\""), "{}", bad.body);
}
