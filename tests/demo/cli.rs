//! `autonomo demo` as a command: same seed gives the same data, a brand with data is refused
//! without `--reset`, `--reset` regenerates only the demo brands, `--tenant` picks one.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rusqlite::{Connection, OpenFlags};

const BIN: &str = env!("CARGO_BIN_EXE_autonomo");
const END: &str = "2026-01-15T20:30:00-05:00";

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
    let conn = Connection::open_with_flags(
        data.join("tenants").join(format!("{slug}.db")),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open brand db");
    // `pii_open`: each data dir has its own master key, so sealed values are compared opened.
    autonomo::db::functions::register(&conn, slug).expect("register SQL functions");
    conn
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every business row of a brand as text, in id order (the change feed's wall-clock `en`
/// column is left out: it records when the rows were written).
fn dump(data: &Path, slug: &str) -> Vec<String> {
    let c = open(data, slug);
    let mut out = Vec::new();
    for table in [
        "productos",
        "clientes",
        "pedidos",
        "pedido_items",
        "pedido_estados",
        "interacciones",
    ] {
        let sql = format!("SELECT * FROM {table} ORDER BY id");
        let mut stmt = c.prepare(&sql).unwrap();
        let n = stmt.column_count();
        // Blind indexes are keyed per installation: equal data, different index values.
        let skip: Vec<bool> = (0..n)
            .map(|i| stmt.column_name(i).unwrap().ends_with("_bi"))
            .collect();
        let rows = stmt
            .query_map([], |r| {
                let mut line = String::from(table);
                for i in (0..n).filter(|i| !skip[*i]) {
                    let v: rusqlite::types::Value = match r.get(i)? {
                        rusqlite::types::Value::Text(t) if t.starts_with("enc1:") => c
                            .query_row("SELECT pii_open(?1)", [&t], |o| o.get(0))
                            .unwrap(),
                        v => v,
                    };
                    line.push_str(&format!("|{v:?}"));
                }
                Ok(line)
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    let feed: Vec<String> = c
        .prepare("SELECT seq, tabla, fila_id, op FROM changes ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    out.extend(feed);
    out
}

#[test]
fn the_same_seed_gives_the_same_data_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let args = |seed: &'static str| {
        [
            "demo",
            "--customers",
            "120",
            "--orders",
            "900",
            "--seed",
            seed,
            "--end",
            END,
        ]
    };
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    ok(run(&a, &args("42")));
    ok(run(&b, &args("42")));
    ok(run(&c, &args("43")));
    for slug in ["gollos", "goio", "eco-eterno"] {
        let (da, db, dc) = (dump(&a, slug), dump(&b, slug), dump(&c, slug));
        assert!(da.len() > 3_000, "{slug}: {} rows", da.len());
        assert!(da == db, "{slug}: same seed, different data");
        assert!(da != dc, "{slug}: another seed gave the same data");
    }
    // A single brand run gives that brand exactly what the full run gave it.
    let d = dir.path().join("d");
    ok(run(
        &d,
        &[
            "demo",
            "--tenant",
            "goio",
            "--customers",
            "120",
            "--orders",
            "900",
            "--seed",
            "42",
            "--end",
            END,
        ],
    ));
    assert!(dump(&d, "goio") == dump(&a, "goio"));
    assert!(
        !d.join("tenants").join("gollos.db").exists(),
        "--tenant goio touched gollos"
    );
}

#[test]
fn refuses_a_brand_with_data_unless_reset_and_reset_regenerates_only_demo_brands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A brand of the user's own must survive a demo reset.
    ok(run(
        &data,
        &["tenant", "create", "mi-bodega", "--name", "Mi Bodega"],
    ));
    ok(run(
        &data,
        &[
            "demo",
            "--customers",
            "50",
            "--orders",
            "400",
            "--seed",
            "1",
            "--end",
            END,
        ],
    ));
    let before = dump(&data, "eco-eterno");

    let refused = run(
        &data,
        &["demo", "--customers", "60", "--orders", "500", "--end", END],
    );
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("--reset") && err.contains("gollos") && err.contains("400 pedidos"),
        "{err}"
    );
    assert!(
        dump(&data, "eco-eterno") == before,
        "a refused demo changed data"
    );

    let stdout = ok(run(
        &data,
        &[
            "demo",
            "--reset",
            "--customers",
            "60",
            "--orders",
            "500",
            "--seed",
            "2",
            "--end",
            END,
        ],
    ));
    assert!(stdout.lines().any(|l| l.starts_with("atk_")), "{stdout}");
    for slug in ["gollos", "goio", "eco-eterno"] {
        let c = open(&data, slug);
        assert_eq!(count(&c, "SELECT COUNT(*) FROM clientes"), 60, "{slug}");
        assert_eq!(count(&c, "SELECT COUNT(*) FROM pedidos"), 500, "{slug}");
        assert_eq!(
            count(
                &c,
                "SELECT COUNT(*) FROM pedido_items WHERE pedido_id NOT IN (SELECT id FROM pedidos)"
            ),
            0
        );
        // The old rows left through the change feed, like API deletes.
        assert_eq!(
            count(
                &c,
                "SELECT COUNT(*) FROM changes WHERE tabla = 'pedidos' AND op = 'delete'"
            ),
            400,
            "{slug}"
        );
        assert_eq!(
            count(
                &c,
                "SELECT COUNT(*) FROM changes WHERE tabla = 'clientes' AND op = 'delete'"
            ),
            50,
            "{slug}"
        );
        // The reset is one audit record with the counts, not one per row.
        assert_eq!(
            count(
                &c,
                "SELECT COUNT(*) FROM auditoria WHERE accion = 'reinicio_demo'
                  AND json_extract(cambios, '$.pedidos') = 400"
            ),
            1,
            "{slug}"
        );
        assert_eq!(
            count(
                &c,
                "SELECT COUNT(*) FROM auditoria WHERE tabla = 'pedidos' AND accion = 'delete'"
            ),
            0,
            "{slug}"
        );
        // Every trigger set aside during the reset is back, word for word.
        assert_eq!(triggers(&c), triggers(&open(&data, "mi-bodega")), "{slug}");
        // FTS5's check needs a writable handle once deletes have been recorded.
        let rw = Connection::open(data.join("tenants").join(format!("{slug}.db"))).unwrap();
        let ok: String = rw
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "{slug}");
        rw.execute_batch("INSERT INTO clientes_fts (clientes_fts) VALUES ('integrity-check')")
            .expect("FTS index matches the customers");
    }
    ok(run(&data, &["audit", "verify"]));
    let control = Connection::open(data.join("control.db")).unwrap();
    assert_eq!(count(&control, "SELECT COUNT(*) FROM marcas"), 4);
    assert!(data.join("tenants").join("mi-bodega.db").exists());
    // Each run printed its own admin token.
    assert_eq!(
        count(
            &control,
            "SELECT COUNT(*) FROM api_tokens WHERE marca IS NULL AND alcance = 'admin'"
        ),
        2
    );
}

fn triggers(c: &Connection) -> Vec<(String, String)> {
    c.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn bad_arguments_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (args, needle) in [
        (&["demo", "--tenant", "otra"][..], "otra"),
        (&["demo", "--months", "0"][..], "months"),
        (
            &["demo", "--customers", "0", "--orders", "10"][..],
            "--customers",
        ),
        (&["demo", "--end", "ayer"][..], "--end"),
    ] {
        let out = run(&data, args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(
        !data.join("tenants").join("gollos.db").exists(),
        "a refused demo created a brand"
    );
}
