//! Outbox behaviour against a real brand database and a scripted delivery.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::worker::{Deliveries, tick, wake_check};
use super::*;
use crate::tenants::{BrandInput, Registry, Slug};

/// A delivery that answers from a script and records what it was asked to send.
struct Scripted {
    answers: Mutex<Vec<Outcome>>,
    seen: Mutex<Vec<String>>,
    /// What `capacity` answers (free sends now).
    free: AtomicU32,
}

impl Delivery for Scripted {
    fn capacity<'a>(
        &'a self,
        _tenant: &'a Slug,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = u32> + Send + 'a>> {
        Box::pin(std::future::ready(self.free.load(Ordering::SeqCst)))
    }

    fn deliver<'a>(
        &'a self,
        _tenant: &'a Slug,
        message: &'a Claimed,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>> {
        Box::pin(async move {
            self.seen.lock().unwrap().push(message.destination.clone());
            let mut answers = self.answers.lock().unwrap();
            if answers.is_empty() {
                Outcome::Sent {
                    external_id: Some("wamid.X".into()),
                }
            } else {
                answers.remove(0)
            }
        })
    }
}

/// A brand in Lima, in soles.
fn brand(slug: &str, name: &str) -> BrandInput {
    BrandInput {
        slug: slug.into(),
        nombre: name.into(),
        moneda: "PEN".into(),
        zona_horaria: "America/Lima".into(),
        pais: "PE".into(),
        idioma: "es".into(),
    }
}

async fn setup(
    answers: Vec<Outcome>,
) -> (tempfile::TempDir, Arc<Registry>, Arc<Scripted>, Deliveries) {
    let dir = tempfile::tempdir().unwrap();
    let registry = Arc::new(Registry::open(dir.path(), 2).unwrap());
    registry.create(brand("gollos", "Gollos")).await.unwrap();
    let scripted = Arc::new(Scripted {
        answers: Mutex::new(answers),
        seen: Mutex::default(),
        free: AtomicU32::new(u32::MAX),
    });
    let deliveries = Deliveries::default().with(Service::Whatsapp, scripted.clone());
    (dir, registry, scripted, deliveries)
}

fn message(key: &str) -> OutboundMessage {
    OutboundMessage {
        service: Service::Whatsapp,
        destination: "51987654321".into(),
        payload: serde_json::json!({"type": "text", "text": {"body": "hola"}}),
        key: Some(key.into()),
        customer_id: None,
        not_before: None,
    }
}

/// Reads gollos's database.
async fn read<T: Send + 'static>(
    registry: &Registry,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
) -> T {
    let t = registry
        .tenant(&Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    t.db().read(move |c| Ok(f(c)?)).await.unwrap()
}

async fn row(registry: &Registry, id: i64) -> (String, i64, Option<String>) {
    read(registry, move |c| {
        c.query_row(
            "SELECT estado, intentos, external_id FROM outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    })
    .await
}

async fn enqueue_one(registry: &Registry, m: OutboundMessage) -> i64 {
    let t = registry
        .tenant(&Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    t.db()
        .write(move |c| enqueue(c, &m, crate::time::now_ms()))
        .await
        .unwrap()
}

#[tokio::test]
async fn same_key_enqueues_once_and_is_sent_once() {
    let (_dir, registry, scripted, deliveries) = setup(vec![]).await;
    let a = enqueue_one(&registry, message("estado:1:en_camino")).await;
    let b = enqueue_one(&registry, message("estado:1:en_camino")).await;
    assert_eq!(a, b);
    assert_eq!(
        tick(&registry, &deliveries, &wake_check()).await.unwrap(),
        1
    );
    assert_eq!(
        tick(&registry, &deliveries, &wake_check()).await.unwrap(),
        0,
        "nothing left to send"
    );
    assert_eq!(
        row(&registry, a).await,
        ("enviado".into(), 1, Some("wamid.X".into()))
    );
    assert_eq!(scripted.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn retryable_errors_back_off_and_permanent_ones_fail() {
    let (_dir, registry, _s, deliveries) = setup(vec![
        Outcome::Retry {
            after: Duration::from_millis(1),
            error: "130429".into(),
        },
        Outcome::Failed {
            error: "132001".into(),
        },
    ])
    .await;
    let a = enqueue_one(&registry, message("a")).await;
    tick(&registry, &deliveries, &wake_check()).await.unwrap();
    let (state, attempts, _) = row(&registry, a).await;
    assert_eq!((state.as_str(), attempts), ("pendiente", 1));
    // The backoff (2 s for the first attempt) keeps it out of the next tick.
    assert_eq!(
        tick(&registry, &deliveries, &wake_check()).await.unwrap(),
        0
    );
    let b = enqueue_one(&registry, message("b")).await;
    tick(&registry, &deliveries, &wake_check()).await.unwrap();
    assert_eq!(row(&registry, b).await.0, "fallido");
}

#[tokio::test]
async fn deferral_does_not_count_as_an_attempt() {
    let (_dir, registry, _s, deliveries) = setup(vec![Outcome::Defer {
        after: Duration::from_millis(0),
    }])
    .await;
    let a = enqueue_one(&registry, message("a")).await;
    tick(&registry, &deliveries, &wake_check()).await.unwrap();
    assert_eq!(row(&registry, a).await, ("pendiente".into(), 0, None));
    tick(&registry, &deliveries, &wake_check()).await.unwrap();
    assert_eq!(row(&registry, a).await.0, "enviado");
}

/// Outbox writes recorded in the change feed for message `id` (its insert included).
async fn feed_rows(registry: &Registry, id: i64) -> i64 {
    read(registry, move |c| {
        c.query_row(
            "SELECT COUNT(*) FROM changes WHERE tabla = 'outbox' AND fila_id = ?1",
            [id],
            |r| r.get(0),
        )
    })
    .await
}

/// A service at its rate limit is not claimed past what it can send: the rest wait untouched
/// (no attempt, no lease, no write), while other services' messages still go.
#[tokio::test]
async fn only_what_a_service_can_send_now_is_claimed() {
    let (_dir, registry, scripted, deliveries) = setup(vec![]).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(enqueue_one(&registry, message(&format!("m{i}"))).await);
    }
    let mut alert = message("alerta");
    alert.service = Service::Telegram;
    let alert = enqueue_one(&registry, alert).await;

    scripted.free.store(2, Ordering::SeqCst);
    let wake = wake_check();
    // Two WhatsApp messages, and the Telegram one (no delivery configured: claimed to record why).
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 3);
    assert_eq!(scripted.seen.lock().unwrap().len(), 2);
    let (state, attempts, _) = row(&registry, alert).await;
    assert_eq!((state.as_str(), attempts), ("pendiente", 1));
    for &id in &ids[2..] {
        assert_eq!(row(&registry, id).await, ("pendiente".into(), 0, None));
        assert_eq!(feed_rows(&registry, id).await, 1, "only its insert");
    }

    scripted.free.store(0, Ordering::SeqCst);
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 0);
    assert_eq!(feed_rows(&registry, ids[4]).await, 1, "still untouched");

    scripted.free.store(u32::MAX, Ordering::SeqCst);
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 3);
    for &id in &ids {
        assert_eq!(row(&registry, id).await.0, "enviado");
    }
    assert_eq!(scripted.seen.lock().unwrap().len(), 5, "each sent once");
}

#[tokio::test]
async fn a_claim_whose_outcome_is_unknown_waits_for_its_lease() {
    let (_dir, registry, _s, deliveries) = setup(vec![]).await;
    let a = enqueue_one(&registry, message("a")).await;
    // Claim as the worker would, then "crash" before recording any outcome.
    let t = registry
        .tenant(&Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    let claimed = t
        .db()
        .write(|c| store::claim_due(c, crate::time::now_ms(), 60_000, &[(Service::Whatsapp, 10)]))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        tick(&registry, &deliveries, &wake_check()).await.unwrap(),
        0,
        "leased: not sent again"
    );
    // The provider's confirmation arrives (WhatsApp status webhook): marked sent, never resent.
    t.db()
        .write(move |c| store::mark_sent(c, a, Some("wamid.Y"), 1))
        .await
        .unwrap();
    assert_eq!(row(&registry, a).await.0, "enviado");
}

/// The worker does not open a closed brand with nothing queued (its file is asked once, and
/// not again while the file stays as it was); a message queued by another process (a CLI
/// command) while the brand is closed is still sent, and so is one that becomes due later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_brands_are_opened_only_when_a_message_is_due() {
    let (dir, registry, scripted, deliveries) = setup(vec![]).await;
    let gollos = Slug::parse("gollos").unwrap();
    let wake = wake_check();
    assert_eq!(registry.close_idle(Duration::ZERO).await, 1);
    for _ in 0..3 {
        assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 0);
    }
    assert!(
        registry.if_open(&gollos).is_none(),
        "nothing due: not opened"
    );
    assert_eq!(wake.probes(), 1, "an unchanged file is asked once");

    // Another process (as `autonomo` CLI commands do) queues one now and one for later.
    let later = crate::time::now_ms() + 1_500;
    {
        let cli = Registry::open(dir.path(), 1).unwrap();
        let t = cli.tenant(&gollos).await.unwrap();
        t.db()
            .write(move |c| {
                enqueue(c, &message("ahora"), crate::time::now_ms())?;
                let mut m = message("luego");
                m.not_before = Some(later);
                enqueue(c, &m, crate::time::now_ms())
            })
            .await
            .unwrap();
        cli.close().await;
    }
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 1);
    assert_eq!(scripted.seen.lock().unwrap().len(), 1);

    // Closed again with the later one pending: not opened before it is due, opened after.
    assert_eq!(registry.close_idle(Duration::ZERO).await, 1);
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 0);
    assert!(
        registry.if_open(&gollos).is_none(),
        "not due yet: stays closed"
    );
    while crate::time::now_ms() <= later {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 1);
    assert_eq!(
        scripted.seen.lock().unwrap().len(),
        2,
        "both sent, once each"
    );
    registry.close().await;
}

/// Queues one message in `slug` as a CLI command does: through another registry's
/// connections to the same data directory, then closed.
async fn enqueue_as_the_cli(dir: &std::path::Path, slug: &Slug) {
    let cli = Registry::open(dir, 1).unwrap();
    cli.tenant(slug)
        .await
        .unwrap()
        .db()
        .write(move |c| enqueue(c, &message("cli"), crate::time::now_ms()))
        .await
        .unwrap();
    cli.close().await;
}

/// The list of brands is not read again on every tick while the control database is
/// unchanged (an idle server then runs no reads there, see `Database::read_unchanged`); a
/// brand another process creates meanwhile (the CLI) is served on the next tick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_brand_list_is_read_again_only_after_a_change() {
    let (dir, registry, scripted, deliveries) = setup(vec![]).await;
    let wake = wake_check();
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 0);
    let control_reads = registry.control().reads();
    for _ in 0..5 {
        assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 0);
    }
    assert_eq!(
        registry.control().reads(),
        control_reads,
        "nothing changed: the list of brands is not read"
    );

    let cli = Registry::open(dir.path(), 1).unwrap();
    let created = cli.create(brand("goio", "Goio")).await.unwrap();
    cli.close().await;
    enqueue_as_the_cli(dir.path(), &created.slug).await;
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 1);
    assert_eq!(scripted.seen.lock().unwrap().len(), 1);
    registry.close().await;
}

/// An open brand with nothing due is read once, not on every tick, and neither is the list of
/// brands (an idle server then runs no reads at all, see `Database::read_unchanged`); a
/// message another process queues meanwhile (a CLI command) still goes on the next tick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_open_brand_is_not_read_on_every_tick() {
    let (dir, registry, scripted, deliveries) = setup(vec![]).await;
    let gollos = Slug::parse("gollos").unwrap();
    let t = registry.tenant(&gollos).await.unwrap();
    let wake = wake_check();
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 0);
    let (reads, control_reads) = (t.db().reads(), registry.control().reads());
    for _ in 0..5 {
        assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 0);
    }
    assert_eq!(
        t.db().reads(),
        reads,
        "nothing changed: the brand is not read"
    );
    assert_eq!(
        registry.control().reads(),
        control_reads,
        "nor the list of brands"
    );

    enqueue_as_the_cli(dir.path(), &gollos).await;
    assert_eq!(tick(&registry, &deliveries, &wake).await.unwrap(), 1);
    assert_eq!(scripted.seen.lock().unwrap().len(), 1);
    registry.close().await;
}
