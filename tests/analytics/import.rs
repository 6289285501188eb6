//! `autonomo import pedidos` on the real binary: per-row report, idempotency on
//! external_id, customers created, orders keeping their own date (Lima day boundary), and
//! the imported history feeding the dashboard and the CLV fit over HTTP.

use std::fmt::Write as _;

use super::support::TestEnv;

const CSV: &str = "\
external_id,telefono,email,nombre,fecha,total,canal,estado,items
h-1,987654321,,Ana,2024-01-05,25.50,whatsapp,,POLLO x2
h-2,987 654 321,,Ana,2024-01-20T20:30:00-05:00,10,web,,
h-3,,beto@ejemplo.pe,Beto,2024-02-29 23:30,30.00,,cancelado,
h-4,,,Nadie,2024-03-01,5,,,
h-5,987654321,,Ana,fecha-mala,5,,,
h-6,999111222,,X,2024-03-01,abc,,,
h-7,987654322,,Caro,2024-03-01T04:30:00Z,12,telefono,,
";

#[tokio::test]
async fn import_is_idempotent_reports_rows_and_feeds_analytics() {
    let env = TestEnv::new();
    env.create_brand("hist", "Historia", "PE", "America/Lima", "PEN");
    let file = env.data.join("pedidos.csv");
    std::fs::write(&file, CSV).expect("write csv");
    let path = file.to_string_lossy().to_string();
    let first = env.cli(&["import", "pedidos", "--tenant", "hist", &path]);
    let out = String::from_utf8_lossy(&first.stdout).to_string();
    let err = String::from_utf8_lossy(&first.stderr).to_string();
    assert_eq!(
        first.status.code(),
        Some(1),
        "rows with errors fail the command: {out}{err}"
    );
    for (ext, state) in [
        ("h-1", "creado"),
        ("h-2", "creado"),
        ("h-3", "creado"),
        ("h-4", "error"),
        ("h-5", "error"),
        ("h-6", "error"),
        ("h-7", "creado"),
    ] {
        assert!(
            out.contains(&format!("[{ext}] {state}")),
            "{ext} {state}: {out}"
        );
    }
    assert!(out.contains("POLLO"), "unknown product noted: {out}");
    assert!(err.contains("7/7"), "progress: {err}");
    assert!(err.contains("creados / created: 4"), "{err}");

    // Again: nothing new.
    let again = env.cli(&["import", "pedidos", "--tenant", "hist", &path]);
    let out = String::from_utf8_lossy(&again.stdout).to_string();
    assert_eq!(out.matches("duplicado").count(), 4, "{out}");
    assert!(!out.contains("creado\n"), "{out}");

    let db = rusqlite::Connection::open(env.brand_db("hist")).expect("db");
    // `pii_bi`: the phone is sealed at rest and looked up by its blind index.
    autonomo::db::functions::register(&db, "hist").expect("functions");
    let orders: i64 = db
        .query_row("SELECT COUNT(*) FROM pedidos", [], |r| r.get(0))
        .expect("count");
    assert_eq!(orders, 4);
    let customers: i64 = db
        .query_row("SELECT COUNT(*) FROM clientes", [], |r| r.get(0))
        .expect("count");
    assert_eq!(customers, 3, "Ana once (phone normalised), Beto, Caro");
    let at: i64 = db
        .query_row(
            "SELECT creado_en FROM pedidos WHERE external_id = 'h-2'",
            [],
            |r| r.get(0),
        )
        .expect("h-2");
    assert_eq!(at, 1_705_800_600_000, "2024-01-21T01:30:00Z");
    let ana: (i64, i64) = db
        .query_row(
            "SELECT pedidos_count, total_gastado FROM clientes
             WHERE telefono_bi = pii_bi('telefono', '+51987654321')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("ana");
    assert_eq!(ana, (2, 3550));
    drop(db);

    // A bigger history for the CLV fit: 80 customers, 1-8 orders each over 2023.
    let mut csv = String::from("external_id;telefono;fecha;total;canal\n");
    let mut seed = 12345u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for c in 0..80 {
        let orders = 1 + next(8);
        for k in 0..orders {
            let day = 1 + next(360);
            let date = chrono::NaiveDate::from_yo_opt(2023, day as u32).expect("day");
            let _ = writeln!(
                csv,
                "c{c}-{k};9{:08};{date};{}.{:02};web",
                c + 10_000_000,
                10 + next(90),
                next(100)
            );
        }
    }
    std::fs::write(&file, csv).expect("write");
    let big = env.cli(&["import", "pedidos", "--tenant", "hist", &path]);
    assert_eq!(
        big.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&big.stderr)
    );

    let token = env.token(Some("hist"), "read");
    let server = env.start();
    let api = server.api(Some(&token));
    let d = api
        .get("/api/marcas/hist/metricas/dashboard?desde=2024-01-01&hasta=2024-03-31")
        .await
        .ok(200);
    assert_eq!(d["totales"]["pedidos"], 3, "{}", d["totales"]);
    assert_eq!(d["totales"]["ingresos"], 4750);
    assert_eq!(d["totales"]["cancelados"], 1);
    assert_eq!(
        d["totales"]["clientes_nuevos"], 2,
        "Ana and Caro; Beto's only order was cancelled"
    );
    // h-7 at 04:30 UTC on 1 March is 29 February in Lima.
    let feb29 = d["serie"]
        .as_array()
        .and_then(|s| s.iter().find(|r| r["dia"] == "2024-02-29"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(feb29["ingresos"], 1200, "{feb29}");
    assert_eq!(
        feb29["cancelados"], 1,
        "Beto's 23:30 local order, cancelled: {feb29}"
    );

    let clv = api
        .get("/api/marcas/hist/metricas/clv?as_of=2023-12-31&limite=5&pagina=1")
        .await
        .ok(200);
    for k in ["r", "alpha", "a", "b"] {
        assert!(clv["bgnbd"][k].as_f64().unwrap_or(-1.0) > 0.0, "{k}: {clv}");
    }
    for k in ["p", "q", "gamma"] {
        assert!(
            clv["gamma_gamma"][k].as_f64().unwrap_or(-1.0) > 0.0,
            "{k}: {clv}"
        );
    }
    assert_eq!(clv["unidad_tiempo"], "semanas");
    assert_eq!(clv["clientes"].as_array().map(Vec::len), Some(5));
    assert_eq!(clv["total"], 80);
    let first = clv["clientes"][0]["clv"].as_i64().unwrap_or(-1);
    let second = clv["clientes"][1]["clv"].as_i64().unwrap_or(-1);
    assert!(first >= second && second >= 0, "{clv}");
}
