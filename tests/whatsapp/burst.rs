//! A burst of webhooks several processor batches long, every body delivered twice and all of
//! them concurrently (so acks and processor jobs share the writer's group commits and its
//! fsyncs): each message is still processed exactly once, and in the order it was stored.

use crate::common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_burst_with_replays_is_processed_once_per_message() {
    const N: usize = 80; // five processor batches of 16
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), Options::default()).await;
    s.brand("gollos", NUMBER, "PEN").await;
    seed_gollos(&s, "gollos").await;
    let bodies: Vec<Vec<u8>> = (0..N)
        .map(|i| {
            inbound(
                NUMBER,
                &format!("5199{:07}", i % 20),
                "Ráfaga",
                &format!("wamid.burst.{i}"),
                text("2 pollos broaster y una inca kola"),
            )
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies.iter().chain(bodies.iter()).cloned() {
        let http = s.http.clone();
        let url = format!("{}/api/webhooks/whatsapp", s.base);
        tasks.spawn(async move {
            http.post(url)
                .header(
                    "x-hub-signature-256",
                    autonomo::whatsapp::sign(SECRET.as_bytes(), &body),
                )
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    s.settle().await;
    let count = |sql: &'static str| s.count("gollos", sql);
    assert_eq!(count("SELECT COUNT(*) FROM wa_eventos").await, 2 * N as i64);
    assert_eq!(
        count("SELECT COUNT(*) FROM wa_eventos WHERE procesado_en IS NULL OR error IS NOT NULL")
            .await,
        0
    );
    assert_eq!(count("SELECT COUNT(*) FROM wa_entrantes").await, N as i64);
    assert_eq!(
        count("SELECT COUNT(*) FROM interacciones WHERE direccion = 'entrante'").await,
        N as i64
    );
    assert_eq!(count("SELECT COUNT(*) FROM clientes").await, 20);
    // Bodies are handled in the order they were stored, also when the processor's job yields
    // the writer to queued acks half-way through a batch (a customer's messages stay in order).
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM wa_eventos a JOIN wa_eventos b ON b.id > a.id
             WHERE b.procesado_en < a.procesado_en"
        )
        .await,
        0,
        "a later body was handled before an earlier one"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox").await,
        N as i64,
        "one auto-reply per message, none for a replay"
    );
    s.stop().await;
}
