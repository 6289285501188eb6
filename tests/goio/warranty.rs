//! Warranties end to end: delivering an order of a product with `garantia_meses` writes a
//! warranty with its expiry; the reminder fires once, inside the 30 days before expiry and not
//! earlier; a support ticket links the order and the warranty; the stock ledger records the sale.

use crate::common;

use chrono::{TimeZone, Utc};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const SLUG: &str = "goio-store";
const DIANA: &str = "51922000001";

fn rfc(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).unwrap().to_rfc3339()
}

async fn remind(s: &Server, at_ms: i64) -> Value {
    let (status, body) = s
        .api(
            Method::POST,
            &format!("/api/marcas/{SLUG}/garantias/recordatorios"),
            Some(json!({ "ahora": rfc(at_ms) })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warranty_reminder_fires_once_thirty_days_before_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let graph = FakeGraph::start().await;
    let s = Server::start(
        dir.path(),
        Options {
            api_base: graph.base(),
            ..Options::default()
        },
    )
    .await;
    s.brand(SLUG, NUMBER, "USD").await;
    s.exec(
        SLUG,
        "INSERT INTO wa_ajustes (clave, valor) VALUES ('plantilla', 'garantia_por_vencer'), ('plantilla_idioma', 'es')",
    )
    .await;
    let (status, p) = s
        .api(
            Method::POST,
            &format!("/api/marcas/{SLUG}/productos"),
            Some(
                json!({"sku": "GOIO-X1", "nombre": "Smartwatch Goio X1", "categoria": "Relojes",
                "precio": 19990, "stock": 4, "atributos": {"garantia_meses": 12}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    let product = p["id"].as_str().unwrap().to_owned();
    s.post_signed(&inbound(
        NUMBER,
        DIANA,
        "Diana",
        "wamid.diana.1",
        text("hola"),
    ))
    .await;
    s.settle().await;
    let diana = s
        .count(
            SLUG,
            &format!(
                "SELECT cliente_id FROM wa_contactos WHERE wa_id_bi = pii_bi('wa_id', '{DIANA}')"
            ),
        )
        .await;
    let customer = format!("cli_{SLUG}_{diana}");
    let (status, order) = s
        .api(
            Method::POST,
            "/api/pedidos",
            Some(
                json!({"cliente_id": customer, "canal": "presencial", "confirmar": true,
                "items": [{"sku": "GOIO-X1", "cantidad": 1}]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    let order_id = order["id"].as_str().unwrap().to_owned();
    // No warranty before delivery.
    assert_eq!(s.count(SLUG, "SELECT COUNT(*) FROM garantias").await, 0);
    for next in ["en_preparacion", "listo", "entregado"] {
        let (status, body) = s
            .api(
                Method::PUT,
                &format!("/api/pedidos/{order_id}"),
                Some(json!({ "estado": next })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, list) = s
        .api(
            Method::GET,
            &format!("/api/clientes/{customer}/garantias"),
            None,
        )
        .await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["meses"], 12);
    assert_eq!(list[0]["pedido_id"], order_id.as_str());
    let start = s.count(SLUG, "SELECT inicio_en FROM garantias").await;
    let expires = s.count(SLUG, "SELECT vence_en FROM garantias").await;
    let expected = Utc
        .timestamp_millis_opt(start)
        .unwrap()
        .checked_add_months(chrono::Months::new(12))
        .unwrap()
        .timestamp_millis();
    assert_eq!(expires, expected, "twelve calendar months after delivery");

    let day = 24 * 3600 * 1000;
    // Too early (31 days before), then on time (29 days before), then never again.
    assert_eq!(remind(&s, expires - 31 * day).await["enviados"], 0);
    assert_eq!(remind(&s, expires - 29 * day).await["enviados"], 1);
    assert_eq!(remind(&s, expires - 28 * day).await["enviados"], 0);
    let reminders = || {
        graph
            .requests()
            .into_iter()
            .map(|r| r.body)
            .filter(|b| {
                b["to"] == DIANA
                    && b["text"]["body"]
                        .as_str()
                        .is_some_and(|t| t.contains("La garantía de tu Smartwatch Goio X1 vence"))
            })
            .count()
    };
    for _ in 0..200 {
        if reminders() >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(reminders(), 1, "{:?}", graph.requests());
    // The real job (today) has nothing due: the warranty was just sold.
    let (status, body) = s
        .api(
            Method::POST,
            &format!("/api/jobs/garantias_por_vencer/run?marca={SLUG}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["resultado"], "ok", "{body}");
    assert!(
        body[0]["detalle"].as_str().unwrap().starts_with("0 "),
        "{body}"
    );

    // A support ticket about the order and its warranty.
    let warranty = list[0]["id"].as_i64().unwrap();
    let (status, t) = s
        .api(
            Method::POST,
            &format!("/api/clientes/{customer}/tickets"),
            Some(
                json!({"asunto": "La pantalla parpadea", "prioridad": "alta",
                "pedido_id": order_id, "garantia_id": warranty}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["estado"], "abierto");
    let (status, t2) = s
        .api(
            Method::PUT,
            &format!("/api/clientes/{customer}/tickets/{}", t["id"]),
            Some(json!({"estado": "resuelto"})),
        )
        .await;
    assert_eq!(status, 200, "{t2}");
    let (_, tickets) = s
        .api(
            Method::GET,
            &format!("/api/clientes/{customer}/tickets"),
            None,
        )
        .await;
    assert_eq!(tickets[0]["estado"], "resuelto");
    assert_eq!(tickets[0]["garantia_id"], warranty);
    let (status, _) = s
        .api(
            Method::POST,
            &format!("/api/clientes/{customer}/tickets"),
            Some(json!({"asunto": "x", "prioridad": "urgentisima"})),
        )
        .await;
    assert_eq!(status, 422);

    // The sale is in the stock ledger.
    let (_, moves) = s
        .api(
            Method::GET,
            &format!("/api/productos/{product}/movimientos"),
            None,
        )
        .await;
    assert_eq!(moves[0]["tipo"], "venta", "{moves}");
    assert_eq!(moves[0]["delta"], -1);
    assert_eq!(moves[0]["stock_resultante"], 3);
    s.stop().await;
}
