//! Upgrading a brand whose newer tables were written before they fed the change feed.

use crate::domains::{settings, sync};
use crate::support::*;

use autonomo::mirror;
use autonomo::tenants::Registry;

mod tenant_schema {
    refinery::embed_migrations!("migrations/tenant");
}

/// A brand whose loyalty, subscription, campaign and ticket rows were written before tenant
/// V17 gave those tables change-feed triggers, mirrored up to then (the new tables empty, as an
/// older binary left them): upgrading puts the old rows in the feed once, so the next
/// incremental sync copies them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_before_the_feed_triggers_reach_a_mirror_already_following() {
    let pg = Pg::start().await;
    let dir = tempfile::tempdir().unwrap();
    registry(dir.path()).await.close().await;
    let file = dir.path().join("tenants").join("gollos.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let head_before: i64 = {
        let mut conn = rusqlite::Connection::open(&file).unwrap();
        autonomo::db::functions::register(&conn, "gollos").unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        tenant_schema::migrations::runner()
            .set_target(refinery::Target::Version(16))
            .run(&mut conn)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO clientes (id, nombre, telefono, etiquetas, consentimiento_marketing, canal_adquisicion,
                 segmento, pedidos_count, total_gastado, creado_en, actualizado_en)
             VALUES (1, 'Ana', '+51911111111', '[]', 1, 'whatsapp', 'nuevo', 0, 0, 1700000000000, 1700000000000);
             INSERT INTO campanas (id, nombre, plantilla, creado_en, actualizado_en)
             VALUES (1, 'Vieja', 'promo', 1700000000000, 1700000000000);
             INSERT INTO campana_destinatarios (campana_id, cliente_id, creado_en) VALUES (1, 1, 1700000000000);
             INSERT INTO automatizaciones (clave, activa, actualizado_en) VALUES ('auto_nuevo', 1, 1700000000000);
             INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, nota, creado_en)
             VALUES (1, 'ajuste', 10, 'bienvenida', 1700000000000);
             INSERT INTO suscripcion_planes (id, nombre, items, precio, periodo, creado_en)
             VALUES (1, 'Caja', '[]', 2500, 'mensual', 1700000000000);
             INSERT INTO suscripciones (id, plan_id, cliente_id, estado, inicio, creado_en, actualizado_en)
             VALUES (1, 1, 1, 'activa', 1700000000000, 1700000000000, 1700000000000);
             INSERT INTO suscripcion_periodos (suscripcion_id, periodo, fecha, saltado) VALUES (1, 0, 1700000000000, 1);
             INSERT INTO tickets_soporte (cliente_id, asunto, creado_en, actualizado_en)
             VALUES (1, 'No llegó', 1700000000000, 1700000000000);",
        )
        .unwrap();
        conn.query_row("SELECT max(seq) FROM changes", [], |r| r.get(0))
            .unwrap()
    };
    // Reopening migrates the brand to the latest schema (V17 and later).
    let registry = Registry::open(dir.path(), 2).unwrap();
    let s = settings(dir.path(), &pg, "lima", true);
    sync(&registry, &s).await;
    // The mirror as a binary without the new tables left it: cursor at the old head, none of
    // the new tables' rows.
    let client = pg.client().await;
    let wipe: Vec<String> = mirror::tables::TABLES[6..]
        .iter()
        .map(|t| format!("DELETE FROM autonomo.{} WHERE marca = 'gollos';", t.name))
        .collect();
    client
        .batch_execute(&format!("BEGIN; {} COMMIT;", wipe.join(" ")))
        .await
        .unwrap();
    client
        .execute(
            "UPDATE autonomo.sincronizacion SET seq = $1 WHERE marca = 'gollos'",
            &[&head_before],
        )
        .await
        .unwrap();
    let steps = sync(&registry, &s).await;
    assert!(steps.iter().all(|r| !r.full_copy), "{steps:?}");
    let conn = open_brand(dir.path(), "gollos");
    assert_mirrored(&client, &conn, "lima", "gollos", 2, None).await;
    let copied: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM autonomo.campana_destinatarios)
                  + (SELECT count(*) FROM autonomo.automatizaciones)
                  + (SELECT count(*) FROM autonomo.suscripcion_periodos)
                  + (SELECT count(*) FROM autonomo.tickets_soporte)
                  + (SELECT count(*) FROM autonomo.fidelidad_movimientos)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(copied, 5);
    registry.close().await;
}
