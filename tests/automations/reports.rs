//! Reports through the real binary: `autonomo report recipients` and `report send` (and the
//! weekly job via `jobs run`) deliver to a real SMTP server (aiosmtpd) and to a fake Telegram
//! Bot API that first answers 429 with `retry_after`.

use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use serde_json::{Value, json};

use crate::support::TestEnv;

struct Catcher(Child);

impl Drop for Catcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> String {
    std::env::var("AUTONOMO_TEST_AIOSMTPD_PYTHON").unwrap_or_else(|_| {
        panic!("AUTONOMO_TEST_AIOSMTPD_PYTHON is not set: point it at a python with aiosmtpd (scripts/test.sh installs one)")
    })
}

#[derive(Clone, Default)]
struct FakeTelegram {
    calls: Arc<Mutex<Vec<(Instant, String, Value)>>>,
}

async fn telegram(
    State(fake): State<FakeTelegram>,
    uri: Uri,
    axum::Json(body): axum::Json<Value>,
) -> (StatusCode, axum::Json<Value>) {
    let mut calls = fake.calls.lock().unwrap();
    calls.push((Instant::now(), uri.path().to_owned(), body.clone()));
    let first_to_owner =
        body["chat_id"] == 123456 && calls.iter().filter(|c| c.2["chat_id"] == 123456).count() == 1;
    if first_to_owner {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"ok": false, "error_code": 429,
                "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}})),
        );
    }
    (
        StatusCode::OK,
        axum::Json(
            json!({"ok": true, "result": {"message_id": calls.len(), "chat": {"id": body["chat_id"]}}}),
        ),
    )
}

/// The decoded parts of a stored mail: (subject, text part, html part).
fn parts(python: &str, file: &std::path::Path) -> (String, String, String) {
    let script = r#"
import email, sys
from email.header import decode_header, make_header
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
print(str(make_header(decode_header(m['Subject']))))
for p in m.walk():
    if p.get_content_type() in ('text/plain', 'text/html'):
        print('=====' + p.get_content_type())
        print(p.get_payload(decode=True).decode(p.get_content_charset() or 'utf-8'))
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    let subject = s.lines().next().unwrap_or("").to_owned();
    let text = s
        .split("=====text/plain")
        .nth(1)
        .unwrap_or("")
        .split("=====")
        .next()
        .unwrap_or("")
        .to_owned();
    let html = s.split("=====text/html").nth(1).unwrap_or("").to_owned();
    (subject, text, html)
}

fn seed(env: &TestEnv) {
    let lima: chrono_tz::Tz = "America/Lima".parse().unwrap();
    let (from, _) = autonomo::reports::kpis::Period::Daily.range(lima, autonomo::time::now_ms());
    let at = from + 3600 * 1000;
    let conn = rusqlite::Connection::open(env.brand_db("gollos")).unwrap();
    // Seeding writes audited tables: the audit triggers need their SQL functions.
    autonomo::db::functions::register(&conn, "gollos").unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO productos (id, sku, nombre, categoria, precio, creado_en, actualizado_en) VALUES (1, 'BROASTER', 'Pollo broaster', 'Pollos', 2290, 1, 1), (2, 'INCA', 'Inca Kola 1.5L', 'Bebidas', 990, 1, 1);
         INSERT INTO clientes (id, nombre, canal_adquisicion, creado_en, actualizado_en) VALUES (1, 'Ana', 'whatsapp', {at}, {at}), (2, 'Beto', 'web', {at}, {at}), (3, 'Vieja', 'web', 1, 1);
         INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en) VALUES
           (1, 1, 'whatsapp', 'entregado', 4580, 4580, {at}, {at}),
           (2, 2, 'web', 'entregado', 3280, 3280, {at}, {at}),
           (3, 3, 'web', 'recibido', 990, 990, {at}, {at}),
           (4, 3, 'web', 'cancelado', 9999, 9999, {at}, {at}),
           (5, 3, 'web', 'entregado', 5000, 5000, 1000, 1000);
         INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total) VALUES
           (1, 1, 'BROASTER', 'Pollo broaster', 2, 2290, 4580),
           (2, 1, 'BROASTER', 'Pollo broaster', 1, 2290, 2290),
           (2, 2, 'INCA', 'Inca Kola 1.5L', 1, 990, 990),
           (3, 2, 'INCA', 'Inca Kola 1.5L', 1, 990, 990);
         INSERT INTO campanas (id, nombre, plantilla, estado, lanzada_en, destinatarios, creado_en, actualizado_en)
           VALUES (1, 'Martes 2x1', 'martes_2x1', 'enviando', {at}, 0, {at}, {at});"
    ))
    .unwrap();
}

async fn mails(dir: &std::path::Path, want: usize) -> Vec<std::path::PathBuf> {
    for _ in 0..100 {
        let mut files: Vec<_> = std::fs::read_dir(dir.join("box/new"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if files.len() >= want {
            files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
            return files;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {want} mails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_and_weekly_reports_arrive_by_email_and_telegram() {
    let python = python();
    let maildir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _smtp = Catcher(
        Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("box"))
            .spawn()
            .expect("start aiosmtpd"),
    );
    let fake = FakeTelegram::default();
    let app = axum::Router::new()
        .fallback(axum::routing::post(telegram))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tg_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    seed(&env);
    let out = env.cli_ok(&[
        "report",
        "recipients",
        "--tenant",
        "gollos",
        "--email",
        "duena@gollos.pe",
        "--telegram-chat",
        "123456",
        "--telegram-chat",
        "-1002003004",
    ]);
    assert!(
        out.contains("email\tduena@gollos.pe") && out.contains("telegram\t-1002003004"),
        "{out}"
    );
    let bad = env.cli(&[
        "report",
        "recipients",
        "--tenant",
        "gollos",
        "--email",
        "no-es-correo",
    ]);
    assert!(!bad.status.success());

    let token_file = env.data.parent().unwrap().join("tg-token");
    std::fs::write(&token_file, "123:ABC\n").unwrap();
    let smtp_url = format!("smtp://127.0.0.1:{port}?tls=none");
    let vars: Vec<(String, String)> = vec![
        ("AUTONOMO_SMTP_URL".into(), smtp_url),
        (
            "AUTONOMO_SMTP_FROM".into(),
            "Autónomo <informes@autonomo.local>".into(),
        ),
        (
            "AUTONOMO_TELEGRAM_BOT_TOKEN_FILE".into(),
            token_file.to_str().unwrap().into(),
        ),
        ("AUTONOMO_TELEGRAM_API_BASE".into(), tg_base),
    ];
    let run = |args: Vec<&'static str>, vars: Vec<(String, String)>| {
        let data = env.data.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(crate::support::BIN);
            for (k, _) in std::env::vars() {
                if k.starts_with("AUTONOMO_") {
                    cmd.env_remove(k);
                }
            }
            cmd.arg("--data-dir").arg(&data).args(&args).envs(vars);
            // aiosmtpd may still be starting: wait until it accepts connections rather than
            // re-running the command (a re-run would send the Telegram messages twice).
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "aiosmtpd did not listen on {port} in 30 s"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            cmd.output().unwrap()
        })
    };
    let out = run(
        vec!["report", "send", "--tenant", "gollos", "--period", "daily"],
        vars.clone(),
    )
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
        subject.starts_with("Reporte diario — Gollos Chicken's"),
        "{subject}"
    );
    assert!(text.contains("Pedidos: 3"), "{text}");
    assert!(
        text.contains("Clientes nuevos: 2") && text.contains("Cancelados: 1"),
        "{text}"
    );
    assert!(
        text.contains("1. 3 × Pollo broaster"),
        "top product first: {text}"
    );
    assert!(
        html.contains("<h1>") && html.contains("Pollo broaster"),
        "{html}"
    );
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("To: duena@gollos.pe") && raw.contains("multipart/alternative"));

    let calls = fake.calls.lock().unwrap().clone();
    let owner: Vec<_> = calls.iter().filter(|c| c.2["chat_id"] == 123456).collect();
    assert_eq!(owner.len(), 2, "429 then the retry: {calls:?}");
    assert!(
        owner[1].0 - owner[0].0 >= Duration::from_millis(950),
        "retry_after honoured"
    );
    assert_eq!(owner[1].1, "/bot123:ABC/sendMessage");
    assert_eq!(owner[1].2["parse_mode"], "HTML");
    let tg_text = owner[1].2["text"].as_str().unwrap();
    assert!(tg_text.contains("Pedidos: <b>3</b>"), "{tg_text}");
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.2["chat_id"] == -1002003004i64)
            .count(),
        1
    );

    // The weekly job, run now, sends the weekly report the same way.
    // This time the SMTP URL comes from a file (it may hold a password).
    let url_file = env.data.parent().unwrap().join("smtp-url");
    std::fs::write(&url_file, format!("{}\n", vars[0].1)).unwrap();
    let mut from_file = vars.clone();
    from_file[0] = (
        "AUTONOMO_SMTP_URL_FILE".into(),
        url_file.to_str().unwrap().into(),
    );
    let out = run(
        vec!["jobs", "run", "reporte_semanal", "--tenant", "gollos"],
        from_file,
    )
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
        subject.starts_with("Reporte semanal — Gollos Chicken's"),
        "{subject}"
    );
    assert!(
        text.contains("Pedidos: 3"),
        "the week holds yesterday: {text}"
    );
}
