//! The sender across brands, on a real registry: a closed brand with a due campaign is opened
//! and queued (as after a CLI launch or a restart), one scheduled for later stays closed.

use std::time::Duration;

use super::super::{batch, store, test_seed};
use super::tick;
use crate::tenants::{BrandInput, Registry, Slug, WakeCheck};

const NOW: i64 = 1_700_000_000_000;

async fn brand_with_campaign(registry: &Registry, slug: &str, at: Option<i64>) {
    registry
        .create(BrandInput {
            slug: slug.into(),
            nombre: slug.into(),
            moneda: "PEN".into(),
            zona_horaria: "America/Lima".into(),
            pais: "PE".into(),
            idioma: "es".into(),
        })
        .await
        .unwrap();
    let t = registry.tenant(&Slug::parse(slug).unwrap()).await.unwrap();
    t.db()
        .write(move |c| {
            test_seed::consenting_vips(c, 3)?;
            let id = test_seed::manual_campaign(c, &[], at, NOW)?;
            store::launch(c, id, chrono_tz::America::Lima, NOW)
        })
        .await
        .unwrap();
}

async fn queued(registry: &Registry, slug: &str) -> i64 {
    let t = registry.tenant(&Slug::parse(slug).unwrap()).await.unwrap();
    t.db()
        .read(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM campana_cola WHERE estado = 'encolado'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_brands_are_opened_when_a_campaign_is_due_and_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path(), 2).unwrap();
    brand_with_campaign(&registry, "ahora", None).await;
    let later = crate::time::now_ms() + 3_600_000;
    brand_with_campaign(&registry, "luego", Some(later)).await;
    assert_eq!(registry.close_idle(Duration::ZERO).await, 2);

    let wake = WakeCheck::new(batch::NEXT_DUE);
    assert_eq!(tick(&registry, &wake).await.unwrap(), 3);
    assert!(
        registry.if_open(&Slug::parse("luego").unwrap()).is_none(),
        "a campaign due in an hour does not open its brand"
    );
    assert_eq!(tick(&registry, &wake).await.unwrap(), 0, "nothing left");
    assert_eq!(queued(&registry, "ahora").await, 3);
    assert_eq!(queued(&registry, "luego").await, 0);
    registry.close().await;
}
