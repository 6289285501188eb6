//! What one inbound message writes to the audit trail, end to end through a signed webhook:
//! one record per row the message creates, none for the inbox's bookkeeping (tenant V31), and
//! the new customer's WhatsApp id stored with the customer row, not by an update after it.

use crate::common;

use common::*;
use serde_json::json;

/// The trail's (table, action) pairs the processor wrote, oldest first.
async fn processor_trail(s: &Server) -> Vec<serde_json::Value> {
    s.column(
        "gollos",
        "SELECT json_array(tabla, accion) FROM auditoria
         WHERE actor = 'system:whatsapp-webhook' ORDER BY id",
    )
    .await
}

/// Rosa writes "Hola"; returns the whole trail the processor has written so far.
async fn rosa_says_hola(s: &Server, wamid: &str) -> Vec<serde_json::Value> {
    s.post_signed(&inbound(NUMBER, "51911222333", "Rosa", wamid, text("Hola")))
        .await;
    s.settle().await;
    processor_trail(s).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_is_audited_once_per_record_it_creates() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    seed_gollos(&s, "gollos").await;

    let first = rosa_says_hola(&s, "wamid.a1").await;
    assert_eq!(
        first,
        vec![
            json!(["clientes", "insert"]),
            json!(["wa_contactos", "insert"]),
            json!(["interacciones", "insert"]),
            json!(["conversaciones", "insert"]),
            json!(["outbox", "insert"]),
            json!(["interacciones", "insert"]),
        ],
        "a new sender: customer, contact, message, thread, reply and its interaction"
    );
    // The WhatsApp id came with the insert (masked in the trail, present in the row).
    assert_eq!(
        s.column(
            "gollos",
            "SELECT json_extract(cambios, '$.wa_id') FROM auditoria WHERE tabla = 'clientes'"
        )
        .await,
        vec![json!("***")]
    );
    assert_eq!(
        s.count(
            "gollos",
            "SELECT COUNT(*) FROM clientes WHERE wa_id_bi = pii_bi('wa_id', '51911222333')
             AND pii_open(wa_id) = '51911222333'"
        )
        .await,
        1
    );

    // The same sender again: the window, the unread count and the summary move, unaudited.
    let second = rosa_says_hola(&s, "wamid.a2").await;
    assert_eq!(
        second[first.len()..].to_vec(),
        vec![
            json!(["interacciones", "insert"]),
            json!(["outbox", "insert"]),
            json!(["interacciones", "insert"]),
        ]
    );
    assert_eq!(
        s.count(
            "gollos",
            "SELECT no_leidos * 1000 + (ultimo_entrante_en > 0) FROM conversaciones
             JOIN wa_contactos USING (cliente_id)"
        )
        .await,
        2001,
        "the bookkeeping itself still moved"
    );
    s.stop().await;
}
