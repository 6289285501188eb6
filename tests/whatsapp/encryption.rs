//! Encryption at rest on the WhatsApp path: a message from a customer created through the API
//! (phone stored sealed) is matched to her through the phone's blind index, and neither the
//! message body, nor the raw webhook body, nor the inbox preview is readable in the files.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_message_finds_the_sealed_customer_and_its_body_is_not_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    let (status, person) = s
        .api(
            Method::POST,
            "/api/marcas/gollos/clientes",
            Some(json!({"nombre": "Rosa Cifrada", "telefono": "+51987650001",
                        "notas": "prefiere pecho"})),
        )
        .await;
    assert_eq!(status, 201, "{person}");
    let id = person["id"].as_str().unwrap().to_string();
    let marker = "zqcuerposellado4711";
    s.post_signed(&inbound(
        NUMBER,
        "51987650001",
        "Rosa",
        "wamid.cifrado.1",
        text(&format!("hola quiero {marker}")),
    ))
    .await;
    s.settle().await;
    // Found through the blind index: no second customer, the message is hers.
    assert_eq!(s.count("gollos", "SELECT COUNT(*) FROM clientes").await, 1);
    let (status, thread) = s
        .api(
            Method::GET,
            &format!("/api/clientes/{id}/interacciones"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        thread["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["cuerpo"].as_str().unwrap_or("").contains(marker)),
        "{thread}"
    );
    // The raw webhook body is stored sealed and was still processed (above).
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM wa_eventos WHERE CAST(cuerpo AS TEXT) LIKE 'enc1:%'"
        )
        .await,
        1
    );
    let db = dir.path().join("tenants").join("gollos.db");
    let mut seen_name = false;
    for suffix in ["", "-wal"] {
        let Ok(bytes) = std::fs::read(format!("{}{suffix}", db.display())) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        seen_name |= text.contains("Rosa Cifrada");
        for needle in [marker, "+51987650001", "prefiere pecho"] {
            assert!(!text.contains(needle), "{needle} readable in {suffix}");
        }
    }
    assert!(seen_name, "the search does see the (clear) name");
    s.stop().await;
}
