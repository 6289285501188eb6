//! Announcing a purchase-history promotion ("Combo familiar 3 veces o más") through a campaign:
//! the API and the screen build the audience from the rule, it holds exactly the customers
//! worked out below, and sending the draft goes through the outbox to the fake Graph API.
//! The rule itself then discounts only customers with that history.
//!
//! | customer | FAMILIAR orders (not cancelled) | consent | in the audience |
//! |----------|---------------------------------|---------|-----------------|
//! | 1        | 3                               | yes     | yes             |
//! | 2        | 2 (+1 cancelled)                | yes     | no              |
//! | 3        | 4                               | yes     | yes             |
//! | 4        | 0 (3 PERSONAL)                  | yes     | no              |
//! | 5        | 0                               | yes     | no              |
//! | 6        | 3                               | no      | no              |

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;

use crate::fake_graph::{self, FakeGraph};
use crate::support::TestEnv;
use crate::ui_support::App;

fn wa(i: i64) -> String {
    format!("5198765{i:04}")
}

fn seed(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    let now = autonomo::time::now_ms();
    c.execute_batch(
        "INSERT INTO productos (id, sku, nombre, categoria, precio, creado_en, actualizado_en) VALUES
           (1, 'FAMILIAR', 'Combo familiar', 'Combos', 7990, 1, 1),
           (2, 'PERSONAL', 'Combo personal', 'Combos', 2490, 1, 1);",
    )?;
    for id in 1..=6i64 {
        let phone = format!("+{}", wa(id));
        c.execute(
            "INSERT INTO clientes (id, nombre, telefono, telefono_bi, wa_id, consentimiento_marketing, canal_adquisicion, segmento, creado_en, actualizado_en)
             VALUES (?1, ?2, pii_seal(?3), pii_bi('telefono', ?3), ?4, ?5, 'whatsapp', 'recurrente', 1, 1)",
            rusqlite::params![id, format!("Cliente{id}"), phone, wa(id), id != 6],
        )?;
        c.execute(
            "INSERT INTO wa_contactos (cliente_id, wa_id) VALUES (?1, ?2)",
            rusqlite::params![id, wa(id)],
        )?;
    }
    let mut order = 0;
    for (customer, sku, n, cancelled) in [
        (1, "FAMILIAR", 3, 0),
        (2, "FAMILIAR", 2, 1),
        (3, "FAMILIAR", 4, 0),
        (4, "PERSONAL", 3, 0),
        (6, "FAMILIAR", 3, 0),
    ] {
        for k in 0..n + cancelled {
            order += 1;
            let status = if k < n { "entregado" } else { "cancelado" };
            c.execute(
                "INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en)
                 VALUES (?1, ?2, 'whatsapp', ?3, 7990, 7990, ?4, ?4)",
                rusqlite::params![order, customer, status, now - 86_400_000],
            )?;
            c.execute(
                "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
                 VALUES (?1, ?2, ?3, 'Combo', 1, 7990, 7990)",
                rusqlite::params![order, if sku == "FAMILIAR" { 1 } else { 2 }, sku],
            )?;
        }
    }
    Ok(())
}

const RULE: &str = r#"{"nombre": "Familia fiel", "tipo": "porcentaje", "porcentaje": 20,
    "categoria": "Combos", "compro_sku": "FAMILIAR", "compro_veces": 3}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_history_promotion_is_announced_to_exactly_its_customers() {
    let fake = FakeGraph::start().await;
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    fake_graph::connect_whatsapp(&env, "gollos", &[]);
    {
        let conn = rusqlite::Connection::open(env.brand_db("gollos")).unwrap();
        autonomo::db::functions::register(&conn, "gollos").unwrap();
        seed(&conn).unwrap();
    }
    let token = env.token(Some("gollos"), "admin");
    let server = env.start_with(&[
        ("AUTONOMO_WHATSAPP_API_BASE", fake.base.as_str()),
        ("AUTONOMO_WHATSAPP_PAIR_INTERVAL_MS", "0"),
    ]);
    let api = server.api(Some(&token));
    let rule: serde_json::Value = serde_json::from_str(RULE).unwrap();
    let pid = api
        .post("/api/marcas/gollos/promociones", &rule)
        .await
        .ok(201)["id"]
        .as_i64()
        .unwrap();
    // A history without its SKU is refused.
    let r = api
        .post(
            "/api/marcas/gollos/promociones",
            &json!({"nombre": "x", "tipo": "2x1", "compro_veces": 2}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);

    let k = api
        .post(
            &format!("/api/marcas/gollos/promociones/{pid}/anunciar"),
            &json!({"plantilla": "promo_familiar", "variables": ["nombre"]}),
        )
        .await
        .ok(201);
    assert_eq!(k["estado"], "borrador", "{k}");
    assert_eq!(k["nombre"], "Promoción: Familia fiel");
    assert_eq!(k["audiencia"]["producto"], "FAMILIAR");
    assert_eq!(k["audiencia"]["producto_veces_min"], 3);
    let preview = api
        .post("/api/marcas/gollos/campanas/audiencia", &k["audiencia"])
        .await
        .ok(200);
    assert_eq!(preview["total"], 2, "{preview}");
    let id = k["id"].as_i64().unwrap();
    let sent = api
        .post(
            &format!("/api/marcas/gollos/campanas/{id}/enviar"),
            &json!({}),
        )
        .await
        .ok(202);
    assert_eq!(sent["destinatarios"], 2, "{sent}");
    // Through the outbox to the fake Graph API: one template each to customers 1 and 3.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut to: Vec<String> = loop {
        let to: Vec<String> = fake
            .sent()
            .into_iter()
            .filter(|s| s.body["type"] == "template")
            .map(|s| s.to)
            .collect();
        if to.len() >= 2 || Instant::now() > deadline {
            break to;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    to.sort();
    assert_eq!(to, vec![wa(1), wa(3)]);
    let template = fake
        .sent()
        .into_iter()
        .find(|s| s.to == wa(1))
        .unwrap()
        .body;
    assert_eq!(template["template"]["name"], "promo_familiar");
    assert_eq!(
        template["template"]["components"][0]["parameters"][0]["text"],
        "Cliente1"
    );

    // The rule discounts customer 1 (3 earlier FAMILIAR orders), not customer 2 (2).
    for (customer, off) in [(1, 1598), (2, 0)] {
        let o = api
            .post(
                "/api/pedidos",
                &json!({"cliente_id": format!("cli_gollos_{customer}"), "canal": "presencial",
                        "items": [{"producto_id": "pro_gollos_1", "cantidad": 1}]}),
            )
            .await
            .ok(201);
        assert_eq!(o["descuento"], off, "customer {customer}: {o}");
    }
}

#[tokio::test]
async fn announce_screen_shows_the_audience_and_creates_the_draft() {
    let app = App::new().await;
    let t = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    let pid = t
        .db()
        .write(|c| {
            seed(c)?;
            let rule = autonomo::promotions::store::insert_rule(
                c,
                &autonomo::promotions::Rule {
                    id: 0,
                    nombre: "Familia fiel".into(),
                    tipo: "porcentaje".into(),
                    porcentaje: 20,
                    producto_id: None,
                    categoria: Some("Combos".into()),
                    dias: vec![],
                    minuto_desde: 0,
                    minuto_hasta: 1440,
                    segmento: None,
                    zona_horaria: "America/Lima".into(),
                    activo: true,
                },
                1,
            )?;
            autonomo::promotions::store::set_history(
                c,
                rule.id,
                &autonomo::promotions::store::History {
                    sku: "FAMILIAR".into(),
                    veces: 3,
                },
            )?;
            Ok(rule.id)
        })
        .await
        .unwrap();
    let manager = app.login("manager@x.pe").await;
    let path = format!("/m/gollos/promociones/{pid}/anunciar");
    let page = app.get(&path, Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("data-audience-count>2<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Cliente1, Cliente3"), "{}", page.body);
    assert!(page.body.contains("FAMILIAR ≥ 3"), "{}", page.body);
    let created = app
        .post(
            &path,
            Some(&manager),
            &[
                ("nombre", "Familias"),
                ("plantilla", "promo_familiar"),
                ("idioma", "es"),
                ("var_nombre", "on"),
            ],
            true,
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert!(created.location().starts_with("/m/gollos/campanas/"));
    let show = app.get(created.location(), Some(&manager)).await;
    assert!(show.body.contains("Familias"), "{}", show.body);
    // Without the CSRF token nothing is created.
    let forged = app
        .post(&path, Some(&manager), &[("plantilla", "x")], false)
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    // Staff without write access (analyst) cannot announce.
    let analyst = app.login("analyst@x.pe").await;
    let denied = app
        .post(
            &path,
            Some(&analyst),
            &[("plantilla", "promo_familiar")],
            true,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
}
