//! Cross-sell suggestions through the API on a fixed order history, against numbers computed
//! by hand: 10 live orders (2 more are cancelled and must not count).
//!
//!  #  basket      A = Celular, B = Funda, C = Cargador, D = Cable
//!  1  A B         N = 10; A in 6 orders, B in 6, C in 4, D in 3
//!  2  A B C       A&B together 4 -> support 0.4, P(B|A) = 4/6, lift = 0.4 / (0.6·0.6) = 10/9
//!  3  A C         A&C together 2 -> support 0.2, P(C|A) = 2/6, lift = 0.2 / (0.6·0.4) = 5/6
//!  4  A B         A&D together 1 -> below the minimum of 2 (3 if cancelled orders counted)
//!  5  B C
//!  6  A
//!  7  C D
//!  8  A B D
//!  9  D
//! 10  B

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::json;

const SLUG: &str = "goio-store";

fn close(a: &serde_json::Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_sell_numbers_equal_hand_computed_support_confidence_and_lift() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand(SLUG, NUMBER, "USD").await;
    s.exec(
        SLUG,
        "INSERT INTO clientes (nombre, canal_adquisicion, creado_en, actualizado_en) VALUES ('Eva', 'web', 0, 0)",
    )
    .await;
    let mut ids = Vec::new();
    for (sku, name) in [
        ("A", "Celular Goio S"),
        ("B", "Funda"),
        ("C", "Cargador"),
        ("D", "Cable USB-C"),
    ] {
        let (status, p) = s
            .api(
                Method::POST,
                &format!("/api/marcas/{SLUG}/productos"),
                Some(json!({"sku": sku, "nombre": name, "precio": 1000})),
            )
            .await;
        assert_eq!(status, 201, "{p}");
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    let baskets: [&[&str]; 12] = [
        &["A", "B"],
        &["A", "B", "C"],
        &["A", "C"],
        &["A", "B"],
        &["B", "C"],
        &["A"],
        &["C", "D"],
        &["A", "B", "D"],
        &["D"],
        &["B"],
        &["A", "D"],
        &["A", "D"],
    ];
    for (n, basket) in baskets.iter().enumerate() {
        let items: Vec<_> = basket
            .iter()
            .map(|sku| json!({"sku": sku, "cantidad": 1}))
            .collect();
        let (status, order) = s
            .api(
                Method::POST,
                "/api/pedidos",
                Some(json!({"cliente_id": format!("cli_{SLUG}_1"), "canal": "presencial", "items": items})),
            )
            .await;
        assert_eq!(status, 201, "{order}");
        if n >= 10 {
            let (status, body) = s
                .api(
                    Method::PUT,
                    &format!("/api/pedidos/{}", order["id"].as_str().unwrap()),
                    Some(json!({"estado": "cancelado"})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let (status, got) = s
        .api(
            Method::GET,
            &format!("/api/productos/{}/sugerencias", ids[0]),
            None,
        )
        .await;
    assert_eq!(status, 200, "{got}");
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["producto_id"], ids[1].as_str());
    assert_eq!(got[0]["nombre"], "Funda");
    assert_eq!(got[0]["pedidos_juntos"], 4);
    assert!(close(&got[0]["soporte"], 0.4), "{got:?}");
    assert!(close(&got[0]["confianza"], 4.0 / 6.0), "{got:?}");
    assert!(close(&got[0]["lift"], 10.0 / 9.0), "{got:?}");
    assert_eq!(got[1]["producto_id"], ids[2].as_str());
    assert_eq!(got[1]["pedidos_juntos"], 2);
    assert!(close(&got[1]["soporte"], 0.2), "{got:?}");
    assert!(close(&got[1]["confianza"], 2.0 / 6.0), "{got:?}");
    assert!(close(&got[1]["lift"], 5.0 / 6.0), "{got:?}");
    // With a minimum of one order together, the cable shows up: 1 order, P(D|A) = 1/6.
    let (_, all) = s
        .api(
            Method::GET,
            &format!("/api/productos/{}/sugerencias?minimo=1&limite=10", ids[0]),
            None,
        )
        .await;
    let cable = all
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["producto_id"] == ids[3].as_str())
        .cloned()
        .unwrap();
    assert_eq!(cable["pedidos_juntos"], 1);
    assert!(close(&cable["confianza"], 1.0 / 6.0), "{cable}");
    assert!(close(&cable["lift"], 0.1 / (0.6 * 0.3)), "{cable}");
    let (status, _) = s
        .api(
            Method::GET,
            &format!("/api/productos/pro_{SLUG}_999/sugerencias"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    s.stop().await;
}
