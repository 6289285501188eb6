use rusqlite::Connection;

use super::*;
use crate::db::{Schema, functions, migrations};

fn db() -> Connection {
    let mut c = Connection::open_in_memory().unwrap();
    migrations::run(&mut c, Schema::Tenant).unwrap();
    c
}

fn add_customer(c: &Connection, name: &str) -> i64 {
    c.execute(
        "INSERT INTO clientes (nombre, telefono, canal_adquisicion, creado_en, actualizado_en)
         VALUES (?1, ?2, 'web', 1, 1)",
        rusqlite::params![name, format!("+5199{}", name.len())],
    )
    .unwrap();
    c.last_insert_rowid()
}

/// Lets a test play the attacker with a raw handle: drop the append-only guards.
fn unguard(c: &Connection) {
    c.execute_batch("DROP TRIGGER auditoria_sin_update; DROP TRIGGER auditoria_sin_delete;")
        .unwrap();
}

#[test]
fn changes_are_recorded_with_actor_and_masked_personal_fields() {
    let c = db();
    let id = functions::with_actor(Some("user:7"), || add_customer(&c, "Zoraida Quispe"));
    functions::with_actor(Some("token:3"), || {
        c.execute(
            "UPDATE clientes SET nombre = 'Zoraida Q', segmento = 'vip' WHERE id = ?1",
            [id],
        )
        .unwrap()
    });
    let rows = list(&c, &Filter::default(), 10).unwrap();
    assert_eq!(rows.len(), 2);
    let (upd, ins) = (&rows[0], &rows[1]);
    assert_eq!(
        (ins.actor.as_str(), ins.accion.as_str()),
        ("user:7", "insert")
    );
    assert_eq!(
        (upd.actor.as_str(), upd.accion.as_str()),
        ("token:3", "update")
    );
    assert_eq!(upd.fila_id, Some(id));
    let cambios: serde_json::Value = serde_json::from_str(&upd.cambios).unwrap();
    assert_eq!(
        cambios,
        serde_json::json!({"nombre": ["***", "***"], "segmento": ["sin_compras", "vip"]})
    );
    assert!(!ins.cambios.contains("Zoraida") && !ins.cambios.contains("+5199"));
    // An update that changes nothing is not noise in the trail.
    c.execute("UPDATE clientes SET segmento = 'vip' WHERE id = ?1", [id])
        .unwrap();
    assert_eq!(list(&c, &Filter::default(), 10).unwrap().len(), 2);
    let only_token = Filter {
        actor: Some("token:3".into()),
        ..Filter::default()
    };
    assert_eq!(list(&c, &only_token, 10).unwrap().len(), 1);
    assert_eq!(verify(&c).unwrap().broken, None);
}

#[test]
fn the_trail_is_append_only() {
    let c = db();
    add_customer(&c, "Ana");
    assert!(c.execute("UPDATE auditoria SET actor = 'x'", []).is_err());
    assert!(c.execute("DELETE FROM auditoria", []).is_err());
}

#[test]
fn a_change_whose_audit_row_fails_does_not_happen() {
    let c = db();
    // A handle without the audit functions cannot change audited tables at all.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    {
        let mut w = Connection::open(&path).unwrap();
        migrations::run(&mut w, Schema::Tenant).unwrap();
    }
    let raw = Connection::open(&path).unwrap();
    let err = raw.execute(
        "INSERT INTO clientes (nombre, canal_adquisicion, creado_en, actualizado_en)
         VALUES ('x', 'web', 1, 1)",
        [],
    );
    assert!(err.is_err());
    let n: i64 = raw
        .query_row("SELECT count(*) FROM clientes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    drop(c);
}

#[test]
fn verify_detects_edit_deletion_and_reordering() {
    let fresh = || {
        let c = db();
        for n in ["Ana", "Beto", "Carla", "Dario Z"] {
            add_customer(&c, n);
        }
        assert_eq!(verify(&c).unwrap().broken, None);
        assert_eq!(verify(&c).unwrap().rows, 4);
        unguard(&c);
        c
    };
    let c = fresh();
    c.execute("UPDATE auditoria SET actor = 'user:1' WHERE id = 2", [])
        .unwrap();
    assert_eq!(verify(&c).unwrap().broken.unwrap().0, 2);

    let c = fresh();
    c.execute("DELETE FROM auditoria WHERE id = 2", []).unwrap();
    assert_eq!(verify(&c).unwrap().broken.unwrap().0, 3);

    let c = fresh();
    // Swap rows 2 and 3 (contents, hashes and all): the links no longer line up.
    c.execute_batch(
        "CREATE TEMP TABLE t AS SELECT * FROM auditoria WHERE id IN (2, 3);
         DELETE FROM auditoria WHERE id IN (2, 3);
         INSERT INTO auditoria SELECT 5 - id, en, actor, marca, tabla, fila_id, accion, cambios, hash_prev, hash FROM t;",
    )
    .unwrap();
    assert_eq!(verify(&c).unwrap().broken.unwrap().0, 2);
}

#[test]
fn events_are_chained_too() {
    let c = db();
    add_customer(&c, "Ana");
    functions::with_actor(Some("user:9"), || {
        record(
            &c,
            "clientes",
            Some(1),
            "denegado",
            &serde_json::json!({"acceso": "admin"}),
        )
        .unwrap()
    });
    let v = verify(&c).unwrap();
    assert_eq!((v.rows, v.broken), (2, None));
    let last = &list(&c, &Filter::default(), 1).unwrap()[0];
    assert_eq!(
        (last.actor.as_str(), last.accion.as_str()),
        ("user:9", "denegado")
    );
}

/// A table that feeds the change feed is a business table: it must be audited too. A new
/// table fails here until a migration adds its triggers (see scripts/audit_triggers.py).
#[test]
fn every_table_in_the_change_feed_is_audited() {
    let c = db();
    let mut stmt = c
        .prepare(
            "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'
             AND sql LIKE '%INSERT INTO changes%'",
        )
        .unwrap();
    let fed: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(fed.len() >= 8, "{fed:?}");
    // Histories written by triggers of changes that are audited already (tenant V17).
    let repeated = ["segmento_cambios", "consentimientos", "movimientos_stock"];
    for table in fed.into_iter().filter(|t| !repeated.contains(&t.as_str())) {
        let audited: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1
                 AND sql LIKE '%INSERT INTO auditoria_nueva%'",
                [&table],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            audited >= 2,
            "{table} feeds `changes` but has no audit triggers: add them in a new tenant migration"
        );
    }
}

/// The inbox's bookkeeping (unread count, last message, the 24-hour window) moves with every
/// message, each already an audited interaction: it is not audited again (tenant V31). What
/// staff decide about a conversation, and a contact's ids, still are.
#[test]
fn inbox_bookkeeping_is_not_audited_again_but_staff_decisions_are() {
    let c = db();
    let id = add_customer(&c, "Rosa");
    c.execute(
        "INSERT INTO conversaciones (cliente_id, no_leidos, ultimo_mensaje_en, ultimo_resumen, actualizado_en)
         VALUES (?1, 1, 10, 'hola', 10)",
        [id],
    )
    .unwrap();
    c.execute(
        "INSERT INTO wa_contactos (cliente_id, wa_id, ultimo_entrante_en) VALUES (?1, 'x', 10)",
        [id],
    )
    .unwrap();
    let before = list(&c, &Filter::default(), 50).unwrap().len();
    assert_eq!(before, 3, "the inserts are audited");
    c.execute_batch(&format!(
        "UPDATE conversaciones SET no_leidos = no_leidos + 1, ultimo_mensaje_en = 20,
             ultimo_resumen = 'otra vez', actualizado_en = 20 WHERE cliente_id = {id};
         UPDATE conversaciones SET no_leidos = 0 WHERE cliente_id = {id};
         UPDATE wa_contactos SET ultimo_entrante_en = 20 WHERE cliente_id = {id};"
    ))
    .unwrap();
    assert_eq!(list(&c, &Filter::default(), 50).unwrap().len(), before);

    c.execute(
        "UPDATE conversaciones SET estado = 'cerrada', asignado_a = 'user:4', no_leidos = 3 WHERE cliente_id = ?1",
        [id],
    )
    .unwrap();
    c.execute(
        "UPDATE wa_contactos SET nombre_perfil = 'Rosita', ultimo_entrante_en = 30 WHERE cliente_id = ?1",
        [id],
    )
    .unwrap();
    let rows = list(&c, &Filter::default(), 50).unwrap();
    assert_eq!(rows.len(), before + 2);
    let cambios = |r: &Entry| serde_json::from_str::<serde_json::Value>(&r.cambios).unwrap();
    assert_eq!(
        (rows[1].tabla.as_str(), cambios(&rows[1])),
        (
            "conversaciones",
            serde_json::json!({"estado": ["abierta", "cerrada"], "asignado_a": [null, "user:4"]})
        )
    );
    assert_eq!(
        (rows[0].tabla.as_str(), cambios(&rows[0])),
        (
            "wa_contactos",
            serde_json::json!({"nombre_perfil": [null, "***"]})
        )
    );
    assert_eq!(verify(&c).unwrap().broken, None);
}
