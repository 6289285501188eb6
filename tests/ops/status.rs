//! `autonomo status` as an operator runs it: against a stopped and a running service.

use serde_json::Value;

use crate::support::TestEnv;

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

#[test]
fn status_fails_when_the_service_is_not_running_and_still_lists_brands() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");
    let addr = free_addr();
    let out = env.cli_with_env(&["status"], &[("AUTONOMO_LISTEN", &addr)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "stdout: {stdout}");
    assert!(
        stdout.contains(&format!("NO responde en http://{addr}")),
        "{stdout}"
    );
    assert!(stdout.contains("Marcas / brands: 1"), "{stdout}");
    assert!(stdout.contains("gollos"), "{stdout}");
    assert!(stdout.contains("Disco / disk:"), "{stdout}");
}

#[tokio::test]
async fn status_is_green_with_a_running_service_and_reports_brands_and_disk() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");
    env.create_brand("goio", "Goio", "PE", "America/Lima", "PEN");
    let server = env.start();
    // A limit any test machine's disk meets, so the result does not depend on the host.
    let out = env.cli_with_env(
        &["status", "--json"],
        &[
            ("AUTONOMO_LISTEN", &server.addr),
            ("AUTONOMO_ALERTS_DISK_MIN_FREE_MB", "1"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["service"]["running"], true);
    assert_eq!(report["service"]["health"]["status"], "ok");
    assert_eq!(report["service"]["health"]["mirror"]["status"], "disabled");
    let brands = report["brands"].as_array().unwrap();
    assert_eq!(brands.len(), 2);
    assert!(
        brands.iter().all(|b| b["size_bytes"].as_u64().unwrap() > 0),
        "{report}"
    );
    assert!(report["disk"]["free_bytes"].as_u64().unwrap() > 0);
    assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report}");
}

#[tokio::test]
async fn status_fails_on_failed_outbound_messages() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");
    let server = env.start();
    {
        let db = rusqlite::Connection::open(env.brand_db("gollos")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        // The outbox is audited: its triggers need the audit SQL functions.
        autonomo::db::functions::register(&db, "gollos").unwrap();
        db.execute(
            "INSERT INTO outbox (servicio, destino, cuerpo, estado, proximo_intento_en, creado_en) \
             VALUES ('whatsapp', '51999888777', '{}', 'fallido', 0, 0)",
            [],
        )
        .unwrap();
    }
    let out = env.cli_with_env(&["status"], &[("AUTONOMO_LISTEN", &server.addr)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "stdout: {stdout}");
    assert!(stdout.contains("gollos: 1 envíos fallidos"), "{stdout}");
    assert!(stdout.contains("0 pendientes, 1 fallidos"), "{stdout}");
}

#[test]
fn status_does_not_create_an_installation_where_there_is_none() {
    let env = TestEnv::new();
    let out = env.cli(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no installation in"));
    assert!(!env.data.join("control.db").exists());
}

#[tokio::test]
async fn status_reports_low_disk_at_the_alerts_limit() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");
    // No disk has a petabyte free: the configured alert limit is what `status` checks.
    let out = env.cli_with_env(
        &["status", "--json"],
        &[("AUTONOMO_ALERTS_DISK_MIN_FREE_MB", "1000000000")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap().contains("poco disco libre / low disk")),
        "{report}"
    );
}
