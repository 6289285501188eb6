//! Unit tests of the registry: what opening a brand writes, and what it refuses.

use super::*;

fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

fn data_version(watch: &rusqlite::Connection) -> i64 {
    watch
        .query_row("PRAGMA data_version", [], |r| r.get(0))
        .unwrap()
}

fn input(slug: &str) -> BrandInput {
    BrandInput {
        slug: slug.into(),
        nombre: slug.into(),
        moneda: "PEN".into(),
        zona_horaria: "America/Lima".into(),
        pais: "PE".into(),
        idioma: "es".into(),
    }
}

/// The start checks one brand file against the key file; every other brand is checked
/// when it opens, before it is migrated: one sealed with another key is refused and left
/// byte for byte as it was, reported by `state`, while the other brands open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_brand_sealed_with_another_key_is_refused_at_its_open_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path(), 2).unwrap();
    registry.create(input("a")).await.unwrap();
    registry.create(input("b")).await.unwrap();
    registry.close().await;
    drop(registry);
    let b = dir.path().join("tenants/b.db");
    {
        let c = rusqlite::Connection::open(&b).unwrap();
        c.execute("UPDATE cifrado SET control_indice = 'otra-clave'", [])
            .unwrap();
        // One migration behind, so opening it would migrate (and write) first.
        c.execute(
            "DELETE FROM refinery_schema_history WHERE version = (SELECT MAX(version) FROM refinery_schema_history)",
            [],
        )
        .unwrap();
    }
    let before = std::fs::read(&b).unwrap();

    let registry = Registry::open(dir.path(), 2).unwrap();
    registry.tenant(&Slug::parse("a").unwrap()).await.unwrap();
    let slug = Slug::parse("b").unwrap();
    let err = registry.tenant(&slug).await.err().unwrap().to_string();
    assert!(err.contains("does not belong"), "{err}");
    assert!(matches!(registry.state(&slug), BrandState::Failed(e) if e == err));
    registry.close().await;
    drop(registry);
    assert_eq!(std::fs::read(&b).unwrap(), before, "b left as it was");
}

/// Opening a brand that is already migrated and sealed must not write: no commit on its
/// writer, nothing appended to its WAL, nothing another connection sees change. Every
/// open used to run the key check as a write job (a write transaction per brand, and on
/// a cold start with 100 brands that was 100 of them); a regression fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_prepared_brand_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let slug = Slug::parse("prueba").unwrap();
    let registry = Registry::open(dir.path(), 2).unwrap();
    registry
        .create(BrandInput {
            slug: "prueba".into(),
            nombre: "Prueba".into(),
            moneda: "PEN".into(),
            zona_horaria: "America/Lima".into(),
            pais: "PE".into(),
            idioma: "es".into(),
        })
        .await
        .unwrap();
    registry.close().await;
    drop(registry);

    let path = dir.path().join("tenants/prueba.db");
    let watch = rusqlite::Connection::open(&path).unwrap();
    let (version, wal) = (data_version(&watch), wal_len(&path));

    let registry = Registry::open(dir.path(), 2).unwrap();
    let tenant = registry.tenant(&slug).await.unwrap();
    let ok: i64 = tenant
        .db()
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM cifrado", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(ok, 1, "the brand answers");
    assert_eq!(
        tenant.db().writer_stats().batches,
        0,
        "no write job on open"
    );
    assert_eq!(wal_len(&path), wal, "nothing appended to the WAL");
    assert_eq!(data_version(&watch), version, "no commit seen by others");

    // The probes do see a write, so the assertions above can fail.
    tenant
        .db()
        .write(|c| Ok(c.execute("UPDATE cifrado SET sellado_en = sellado_en + 1", [])?))
        .await
        .unwrap();
    assert_eq!(tenant.db().writer_stats().batches, 1);
    assert!(wal_len(&path) > wal, "a write grows the WAL");
    assert_ne!(data_version(&watch), version, "a write moves data_version");
    registry.close().await;
}
