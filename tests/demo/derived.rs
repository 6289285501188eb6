//! The inbox (`wa_contactos`, `conversaciones`) and Gollos' loyalty stamps are decided while
//! the demo's rows are generated, not selected back from the loaded rows. These tests run the
//! selections the demo used to run (the definition of what those rows must be) against the
//! loaded brand and compare, values opened.

use std::path::Path;
use std::process::{Command, Stdio};

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_autonomo");
const END: &str = "2026-02-10T12:00:00-05:00";
const DAY: i64 = 86_400_000;

fn demo(data: &Path, slug: &str) {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args([
            "demo",
            "--tenant",
            slug,
            "--customers",
            "400",
            "--orders",
            "5000",
            "--seed",
            "5",
            "--end",
            END,
        ])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("cannot run the autonomo binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn open(data: &Path, slug: &str) -> Connection {
    let c = Connection::open(data.join("tenants").join(format!("{slug}.db"))).unwrap();
    autonomo::db::functions::register(&c, slug).unwrap();
    c
}

type Rows = Vec<Vec<rusqlite::types::Value>>;

fn rows(c: &Connection, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Rows {
    let mut st = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let n = st.column_count();
    st.query_map(params, |r| (0..n).map(|i| r.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn now(c: &Connection) -> i64 {
    // The demo's end: conversations are stamped with it.
    c.query_row("SELECT max(actualizado_en) FROM conversaciones", [], |r| {
        r.get(0)
    })
    .unwrap()
}

fn check_inbox(c: &Connection) {
    let expected_contacts = rows(
        c,
        "SELECT c.id, substr(pii_open(c.telefono), 2), pii_bi('wa_id', substr(pii_open(c.telefono), 2)),
                c.nombre, MAX(CASE WHEN i.direccion = 'entrante' THEN i.creado_en END)
         FROM clientes c JOIN interacciones i ON i.cliente_id = c.id AND i.canal = 'whatsapp'
         WHERE c.telefono IS NOT NULL GROUP BY c.id ORDER BY c.id",
        &[],
    );
    let stored_contacts = rows(
        c,
        "SELECT cliente_id, pii_open(wa_id), wa_id_bi, pii_open(nombre_perfil), ultimo_entrante_en
         FROM wa_contactos ORDER BY cliente_id",
        &[],
    );
    assert!(expected_contacts.len() > 10, "too few contacts to compare");
    assert_eq!(stored_contacts, expected_contacts, "wa_contactos");
    let now = now(c);
    let expected_threads = rows(
        c,
        "SELECT w.cliente_id,
                CASE WHEN last.creado_en > ?1 - ?2 THEN 'abierta' ELSE 'cerrada' END,
                CASE WHEN last.direccion = 'entrante' AND last.creado_en > ?1 - ?3 THEN 1 ELSE 0 END,
                CASE WHEN last.direccion = 'entrante' AND last.creado_en > ?1 - ?3
                     AND w.cliente_id % 3 = 0 THEN 'El cliente pidió hablar con una persona' END,
                last.creado_en, substr(pii_open(last.cuerpo), 1, 200), ?1
         FROM wa_contactos w
         JOIN interacciones last ON last.id = (
             SELECT id FROM interacciones j WHERE j.cliente_id = w.cliente_id AND j.canal = 'whatsapp'
             ORDER BY j.creado_en DESC, j.id DESC LIMIT 1)
         ORDER BY w.cliente_id",
        &[&now, &(3 * DAY), &(2 * DAY)],
    );
    let stored_threads = rows(
        c,
        "SELECT cliente_id, estado, no_leidos, pii_open(motivo_humano), ultimo_mensaje_en,
                pii_open(ultimo_resumen), actualizado_en
         FROM conversaciones ORDER BY cliente_id",
        &[],
    );
    assert_eq!(stored_threads, expected_threads, "conversaciones");
    let flagged: i64 = c
        .query_row(
            "SELECT count(*) FROM conversaciones WHERE necesita_humano = 1 AND motivo_humano IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(flagged, 0, "a handoff without its reason");
}

#[test]
fn the_inbox_and_the_stamps_are_what_the_loaded_rows_say() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo(&data, "gollos");
    // Eco Eterno's education series adds WhatsApp messages after the orders: they count.
    demo(&data, "eco-eterno");
    let eco = open(&data, "eco-eterno");
    check_inbox(&eco);
    let series: i64 = eco
        .query_row(
            "SELECT count(*) FROM conversaciones k JOIN interacciones i
               ON i.cliente_id = k.cliente_id AND i.creado_en = k.ultimo_mensaje_en
             WHERE i.external_id LIKE 'wamid.demo-serie-%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        series > 0,
        "no thread ends with an education-series message"
    );

    let c = open(&data, "gollos");
    check_inbox(&c);
    let now = now(&c);
    let expected = rows(
        &c,
        "SELECT cliente_id, 'gana', 1, id, 'Pedido ' || id, creado_en + ?2, creado_en
         FROM pedidos
         WHERE estado <> 'cancelado' AND total >= 2000 AND creado_en >= ?1
         ORDER BY creado_en, id",
        &[&(now - 365 * DAY), &(365 * DAY)],
    );
    let stored = rows(
        &c,
        "SELECT cliente_id, tipo, puntos, pedido_id, pii_open(nota), vence_en, creado_en
         FROM fidelidad_movimientos WHERE tipo = 'gana' ORDER BY id",
        &[],
    );
    assert!(expected.len() > 100, "too few stamps to compare");
    assert_eq!(
        stored, expected,
        "stamps, in the order the orders were placed"
    );
    let redeemed: i64 = c
        .query_row(
            "SELECT count(*) FROM fidelidad_movimientos WHERE tipo = 'canje' AND id > (SELECT max(id) FROM fidelidad_movimientos WHERE tipo = 'gana')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(redeemed > 0, "the redemptions come after the stamps");
}
