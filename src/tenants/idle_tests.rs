//! The idle close: which brands close, and that a closed brand comes back transparently.

use std::time::Duration;

use super::super::{BrandInput, Registry, Slug};

async fn registry_with(slugs: &[&str]) -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path(), 2).unwrap();
    for slug in slugs {
        registry
            .create(BrandInput {
                slug: (*slug).into(),
                nombre: (*slug).into(),
                moneda: "PEN".into(),
                zona_horaria: "America/Lima".into(),
                pais: "PE".into(),
                idioma: "es".into(),
            })
            .await
            .unwrap();
    }
    (dir, registry)
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

/// A brand nobody asked for during the delay is closed; its next request reopens it with
/// everything it had, and writes work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_brand_is_closed_and_reopens_transparently() {
    let (_dir, registry) = registry_with(&["a", "b"]).await;
    let a = registry.tenant(&slug("a")).await.unwrap();
    a.db()
        .write(|c| Ok(c.execute("UPDATE cifrado SET sellado_en = 42", [])?))
        .await
        .unwrap();
    drop(a);
    assert_eq!(
        registry.close_idle(Duration::from_secs(60)).await,
        0,
        "used a moment ago: stays open"
    );
    assert!(registry.if_open(&slug("a")).is_some());

    assert_eq!(registry.close_idle(Duration::ZERO).await, 2);
    assert!(registry.if_open(&slug("a")).is_none());
    assert!(registry.if_open(&slug("b")).is_none());
    assert!(registry.open_tenants().is_empty());

    let a = registry.tenant(&slug("a")).await.unwrap();
    let sealed: i64 = a
        .db()
        .read(|c| Ok(c.query_row("SELECT sellado_en FROM cifrado", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(sealed, 42, "the committed write survived the close");
    a.db()
        .write(|c| Ok(c.execute("UPDATE cifrado SET sellado_en = 43", [])?))
        .await
        .unwrap();
    registry.close().await;
}

/// A brand someone holds (a request, a job, a write in flight) is never closed under it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_brand_in_use_is_not_closed() {
    let (_dir, registry) = registry_with(&["a"]).await;
    let held = registry.tenant(&slug("a")).await.unwrap();
    assert_eq!(registry.close_idle(Duration::ZERO).await, 0);
    // Its writer still works: it was not closed behind the holder's back.
    held.db()
        .write(|c| Ok(c.execute("UPDATE cifrado SET sellado_en = 7", [])?))
        .await
        .unwrap();
    drop(held);
    assert_eq!(registry.close_idle(Duration::ZERO).await, 1);
    registry.close().await;
}

/// Background work (`tenant_quiet`: jobs, the outbox, the start's warm-up) does not keep a
/// brand open; a request does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_requests_keep_a_brand_open() {
    let (_dir, registry) = registry_with(&["a", "b"]).await;
    assert_eq!(registry.close_idle(Duration::ZERO).await, 2);
    drop(registry.tenant_quiet(&slug("a")).await.unwrap());
    drop(registry.tenant(&slug("b")).await.unwrap());
    assert_eq!(registry.close_idle(Duration::from_secs(60)).await, 1);
    assert!(
        registry.if_open(&slug("a")).is_none(),
        "opened by a job: closed"
    );
    assert!(
        registry.if_open(&slug("b")).is_some(),
        "asked for by a request: open"
    );
    registry.close().await;
}
