//! The owners' combined report through the real binary: owner-level recipients
//! (`report recipients --all`), `report send --all` and the install-wide weekly job deliver
//! one mail with every brand's figures side by side, money totalled per currency only (two
//! PEN brands add up, the USD brand stands apart), with a chart per currency inline.

use std::process::Command;
use std::time::Duration;

use super::reports::{decode_png, images, mails, parts, python, seed, smtp_catcher};
use crate::support::TestEnv;

/// One order of `total` minor units yesterday (in `tz`) by a customer created then.
fn one_order(env: &TestEnv, slug: &str, tz: &str, total: i64) {
    let tz: chrono_tz::Tz = tz.parse().unwrap();
    let (from, _) = autonomo::reports::kpis::Period::Daily.range(tz, autonomo::time::now_ms());
    let at = from + 3600 * 1000;
    let conn = rusqlite::Connection::open(env.brand_db(slug)).unwrap();
    autonomo::db::functions::register(&conn, slug).unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO clientes (id, nombre, canal_adquisicion, creado_en, actualizado_en) VALUES (1, 'Zoe', 'web', {at}, {at});
         INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en)
           VALUES (1, 1, 'web', 'entregado', {total}, {total}, {at}, {at});"
    ))
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_get_one_report_with_every_brand() {
    let python = python();
    let maildir = tempfile::tempdir().unwrap();
    let (_smtp, port) = smtp_catcher(&python, maildir.path());

    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    env.create_brand("norte", "Pollos del Norte", "PE", "America/Lima", "PEN");
    env.create_brand("eco", "Eco Andino", "EC", "America/Guayaquil", "USD");
    seed(&env); // gollos: 3 orders, S/ 88.50, 2 new customers, 1 cancelled
    one_order(&env, "norte", "America/Lima", 1200);
    one_order(&env, "eco", "America/Guayaquil", 2500);

    let out = env.cli_ok(&[
        "report",
        "recipients",
        "--all",
        "--email",
        "duenos@grupo.pe",
        "--email",
        "socio@grupo.pe",
    ]);
    assert!(
        out.contains("email\tduenos@grupo.pe") && out.contains("email\tsocio@grupo.pe"),
        "{out}"
    );
    let out = env.cli_ok(&[
        "report",
        "recipients",
        "--all",
        "--remove",
        "--email",
        "socio@grupo.pe",
    ]);
    assert_eq!(out.trim(), "email\tduenos@grupo.pe");
    // Owner-level recipients are not a brand's: gollos has none of its own.
    assert_eq!(
        env.cli_ok(&["report", "recipients", "--tenant", "gollos"])
            .trim(),
        ""
    );
    let both = env.cli(&["report", "send", "--all", "--tenant", "gollos"]);
    assert!(
        !both.status.success(),
        "--all and --tenant exclude each other"
    );

    let vars = [
        (
            "AUTONOMO_SMTP_URL".to_owned(),
            format!("smtp://127.0.0.1:{port}?tls=none"),
        ),
        (
            "AUTONOMO_SMTP_FROM".to_owned(),
            "Autónomo <informes@autonomo.local>".to_owned(),
        ),
    ];
    let run = |args: &'static [&'static str]| {
        let data = env.data.clone();
        let vars = vars.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(crate::support::BIN);
            for (k, _) in std::env::vars() {
                if k.starts_with("AUTONOMO_") {
                    cmd.env_remove(k);
                }
            }
            cmd.arg("--data-dir").arg(&data).args(args).envs(vars);
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(std::time::Instant::now() < deadline, "aiosmtpd not up");
                std::thread::sleep(Duration::from_millis(100));
            }
            cmd.output().unwrap()
        })
    };
    let out = run(&["report", "send", "--all", "--period", "daily"])
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = mails(maildir.path(), 1).await;
    let (subject, text, html) = parts(&python, &files[0]);
    assert!(
        subject.starts_with("Reporte diario — todas las marcas"),
        "{subject}"
    );
    for line in [
        "Gollos Chicken's (PEN): pedidos 3 · ingresos S/ 88.50",
        "Pollos del Norte (PEN): pedidos 1 · ingresos S/ 12.00",
        "Eco Andino (USD): pedidos 1 · ingresos ",
        "PEN (2 marcas): pedidos 4 · ingresos S/ 100.50",
        "USD (1 marca): pedidos 1 · ingresos ",
        "Todas las marcas: pedidos 5 · clientes nuevos 4 · cancelados 1",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(text.contains("25.00"), "{text}");
    assert!(
        !text.contains("125.50") && !html.contains("125.50"),
        "PEN and USD never added: {text}"
    );
    assert!(html.contains("Eco Andino") && html.contains("Pollos del Norte"));
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("To: duenos@grupo.pe") && !raw.contains("socio@grupo.pe"));
    assert!(raw.contains("filename=\"marcas-diario.csv\""));
    let pictures = images(&python, &files[0]);
    let cids: Vec<&str> = pictures.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(cids, ["<ingresos-pen@autonomo>", "<ingresos-usd@autonomo>"]);
    for (cid, _, png) in &pictures {
        let (w, _, ink) = decode_png(png);
        assert!(w == 960 && ink > 0.005, "{cid}");
        assert!(html.contains(&format!("cid:{}", cid.trim_matches(['<', '>']))));
    }

    // The install-wide weekly job sends the weekly one the same way.
    let out = run(&["jobs", "run", "reporte_duenos_semanal"])
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = mails(maildir.path(), 2).await;
    let (subject, text, _) = parts(&python, &files[1]);
    assert!(
        subject.starts_with("Reporte semanal — todas las marcas"),
        "{subject}"
    );
    assert!(
        text.contains("PEN (2 marcas): pedidos 4 · ingresos S/ 100.50"),
        "the week holds yesterday: {text}"
    );
}
