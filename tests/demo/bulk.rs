//! The demo's bulk path (src/demo/bulk.rs) sets the per-row insert triggers aside and redoes
//! their work set-based. These tests check that what it leaves is what the triggers would
//! have left: the same triggers afterwards, full-text indexes that match their tables,
//! rollups equal to an independent recomputation, a change feed with every loaded row, an
//! audit chain that verifies — and that a load killed half-way leaves a brand a plain
//! re-run fills.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_autonomo");
const END: &str = "2026-02-10T12:00:00-05:00";
const TABLES: [&str; 7] = [
    "productos",
    "clientes",
    "pedidos",
    "pedido_items",
    "pedido_estados",
    "interacciones",
    "fidelidad_movimientos",
];

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("cannot run the autonomo binary")
}

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn open(data: &Path, slug: &str) -> Connection {
    let c = Connection::open(data.join("tenants").join(format!("{slug}.db"))).unwrap();
    autonomo::db::functions::register(&c, slug).unwrap();
    c
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every trigger and index of a brand file, name and SQL.
fn triggers(c: &Connection) -> Vec<(String, Option<String>)> {
    let mut st = c
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'index') ORDER BY name",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn demo(data: &Path, customers: &str, orders: &str) -> String {
    ok(run(
        data,
        &[
            "demo",
            "--tenant",
            "gollos",
            "--customers",
            customers,
            "--orders",
            orders,
            "--seed",
            "3",
            "--end",
            END,
        ],
    ))
}

#[test]
fn the_bulk_load_leaves_what_the_triggers_would_have() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo(&data, "200", "2000");
    // A brand created the ordinary way: the reference schema.
    ok(run(
        &data,
        &["tenant", "create", "fresca", "--name", "Fresca"],
    ));
    let c = open(&data, "gollos");
    let fresh = open(&data, "fresca");
    assert_eq!(
        triggers(&c),
        triggers(&fresh),
        "every trigger and index is back, word for word"
    );

    // Change feed: exactly one insert per loaded row, with the row's id.
    for t in TABLES {
        let rows = count(&c, &format!("SELECT count(*) FROM {t}"));
        assert!(rows > 0, "{t}");
        let feed = format!("SELECT fila_id FROM changes WHERE tabla = '{t}' AND op = 'insert'");
        assert_eq!(
            count(&c, &format!("SELECT count(*) FROM ({feed})")),
            rows,
            "{t}"
        );
        assert_eq!(
            count(
                &c,
                &format!("SELECT count(*) FROM {t} WHERE id NOT IN ({feed})")
            ),
            0,
            "{t}: a row the mirror would never see"
        );
    }

    // The inbox the demo derives (keyed by customer) is fed and counted in the one audit
    // record, not audited row by row.
    assert!(count(&c, "SELECT count(*) FROM conversaciones") > 0);
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM conversaciones WHERE cliente_id NOT IN
               (SELECT fila_id FROM changes WHERE tabla = 'conversaciones' AND op = 'insert')"
        ),
        0
    );
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM auditoria WHERE tabla IN ('conversaciones', 'wa_contactos')"
        ),
        0
    );

    // Full-text indexes match their tables (FTS5's own check fails otherwise) and find a
    // customer by name.
    c.execute(
        "INSERT INTO clientes_fts (clientes_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .unwrap_or_else(|e| panic!("clientes_fts: {e}"));
    let (id, name): (i64, String) = c
        .query_row("SELECT id, nombre FROM clientes WHERE id = 57", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let found = count(
        &c,
        &format!(
            "SELECT count(*) FROM clientes_fts WHERE clientes_fts MATCH '{}' AND rowid = {id}",
            name.split(' ')
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    );
    assert_eq!(found, 1, "{name}");

    // Rollups: built for the brand's zone and equal to the independent recomputation.
    let stored = autonomo::analytics::rollups::stored(&c).unwrap();
    let recomputed = autonomo::analytics::rollups::recompute(&c, chrono_tz::America::Lima).unwrap();
    assert!(!stored.days.is_empty() && !stored.products.is_empty());
    assert_eq!(stored, recomputed);
    assert_eq!(
        count(&c, "SELECT sum(ingresos) FROM analitica_dia"),
        count(
            &c,
            "SELECT sum(total) FROM pedidos WHERE estado <> 'cancelado'"
        )
    );

    // Audit: one record for the load, naming each table's rows; the chain verifies.
    let detail: String = c
        .query_row(
            "SELECT cambios FROM auditoria WHERE accion = 'carga_demo'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    for t in TABLES.iter().chain(&["wa_contactos", "conversaciones"]) {
        assert_eq!(
            detail[t]["filas"].as_i64(),
            Some(count(&c, &format!("SELECT count(*) FROM {t}"))),
            "{t}"
        );
    }
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM auditoria WHERE tabla = 'pedidos' AND accion = 'insert'"
        ),
        0
    );
    let verified = ok(run(&data, &["audit", "verify", "--tenant", "gollos"]));
    assert!(verified.contains("gollos: ok"), "{verified}");
    // The consent log, whose trigger keeps firing, has every customer.
    assert_eq!(
        count(&c, "SELECT count(DISTINCT cliente_id) FROM consentimientos"),
        count(&c, "SELECT count(*) FROM clientes")
    );

    // The restored triggers work: a later write is fed, audited, indexed and rolled up.
    let tx = c.unchecked_transaction().unwrap();
    let audits = count(&tx, "SELECT count(*) FROM auditoria");
    tx.execute(
        "INSERT INTO clientes (nombre, telefono, canal_adquisicion, creado_en, actualizado_en)
         VALUES ('Zacarías Quispehuamán', '+51987000111', 'web', 1770000000000, 1770000000000)",
        [],
    )
    .unwrap();
    let new_id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, creado_en, actualizado_en)
         VALUES (?1, 'web', 'recibido', 1000, 0, 1000, 1770000000000, 1770000000000)",
        [new_id],
    )
    .unwrap();
    assert_eq!(
        count(
            &tx,
            &format!(
                "SELECT count(*) FROM changes WHERE tabla = 'clientes' AND fila_id = {new_id}"
            )
        ),
        1
    );
    assert_eq!(count(&tx, "SELECT count(*) FROM auditoria"), audits + 2);
    assert_eq!(
        count(
            &tx,
            "SELECT count(*) FROM clientes_fts WHERE clientes_fts MATCH 'Quispehuaman'"
        ),
        1
    );
    assert_eq!(
        count(
            &tx,
            &format!("SELECT count(*) FROM analitica_cliente_dia WHERE cliente_id = {new_id}")
        ),
        1
    );
    tx.rollback().unwrap();
}

#[test]
fn a_load_killed_half_way_leaves_a_brand_a_plain_rerun_fills() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args([
            "demo",
            "--tenant",
            "gollos",
            "--customers",
            "1000",
            "--orders",
            "20000",
        ])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed once the orders are going in: triggers dropped, rows written, nothing committed.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let loading = line.contains("% ·") && line.contains("pedidos");
        seen.push(line);
        if loading {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        seen.iter().any(|l| l.contains("% ·")),
        "the load never started: {seen:?}"
    );

    ok(run(
        &data,
        &["tenant", "create", "fresca", "--name", "Fresca"],
    ));
    let c = open(&data, "gollos");
    assert_eq!(
        triggers(&c),
        triggers(&open(&data, "fresca")),
        "no trigger lost"
    );
    for t in TABLES {
        assert_eq!(count(&c, &format!("SELECT count(*) FROM {t}")), 0, "{t}");
    }
    drop(c);
    // The brand is empty, so no --reset is needed.
    demo(&data, "100", "500");
    let c = open(&data, "gollos");
    assert_eq!(count(&c, "SELECT count(*) FROM pedidos"), 500);
    let verified = ok(run(&data, &["audit", "verify", "--tenant", "gollos"]));
    assert!(verified.contains("gollos: ok"), "{verified}");
}

/// After `demo` the brand is fully analysed, so a server started on it has no backlog:
/// the segment updater's cursor is at the end of the change feed, every customer who
/// bought has a segment and RFM/CLV row, and a full recompute changes nothing.
#[test]
fn a_fresh_demo_leaves_nothing_for_the_segment_updater() {
    use autonomo::analytics::refresh;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo(&data, "300", "4000");
    let c = open(&data, "gollos");

    let (cursor, last) = refresh::feed_position(&c).unwrap();
    assert!(last > 0);
    assert_eq!(cursor, count(&c, "SELECT max(seq) FROM changes"));
    assert_eq!(cursor, last);
    assert!(!refresh::pending(&c).unwrap());

    let buyers = "SELECT DISTINCT cliente_id FROM pedidos WHERE estado <> 'cancelado'";
    assert!(count(&c, &format!("SELECT count(*) FROM ({buyers})")) > 100);
    assert_eq!(
        count(
            &c,
            &format!(
                "SELECT count(*) FROM clientes WHERE id IN ({buyers}) AND segmento = 'sin_compras'"
            )
        ),
        0,
        "a customer who bought is classified"
    );
    assert_eq!(
        count(
            &c,
            &format!(
                "SELECT count(*) FROM clientes WHERE id NOT IN ({buyers}) AND segmento <> 'sin_compras'"
            )
        ),
        0
    );
    assert_eq!(
        count(
            &c,
            &format!(
                "SELECT count(*) FROM ({buyers}) b
                 WHERE NOT EXISTS (SELECT 1 FROM analitica_clientes a WHERE a.cliente_id = b.cliente_id)"
            )
        ),
        0,
        "every customer who bought has RFM and CLV"
    );
    assert!(
        count(
            &c,
            "SELECT count(*) FROM analitica_clientes WHERE clv IS NOT NULL"
        ) > 0
    );
    assert!(count(&c, "SELECT count(DISTINCT segmento) FROM clientes") >= 4);
    // The VIP cut the updater needs is stored, and the rollups are in the brand's zone.
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM analitica_estado WHERE clave = 'corte_vip'"
        ),
        1
    );
    assert_eq!(
        autonomo::analytics::zone::stored_zone(&c)
            .unwrap()
            .as_deref(),
        Some("America/Lima")
    );
    // A full recompute as of the demo's end finds every stored segment right.
    let end = chrono::DateTime::parse_from_rfc3339(END)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let plan = refresh::compute(&c, chrono_tz::America::Lima, || end).unwrap();
    let stored: std::collections::HashMap<i64, String> = c
        .prepare("SELECT id, segmento FROM clientes")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(plan.segments.len(), stored.len());
    for (id, segment) in &plan.segments {
        assert_eq!(
            stored.get(id).map(String::as_str),
            Some(segment.key()),
            "customer {id}"
        );
    }
    assert_eq!(count(&c, "SELECT count(*) FROM segmento_cambios"), 0);
}
