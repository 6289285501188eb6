//! Reports through the real binary: `autonomo report recipients` and `report send` (and the
//! weekly job via `jobs run`) deliver to a real SMTP server (aiosmtpd) — text part, HTML part
//! showing the dashboard's charts as inline PNGs by `cid:`, the products CSV — and to a fake
//! Telegram Bot API (sendMessage, then sendPhoto with the revenue chart and sendDocument with
//! the CSV as multipart uploads) that first answers 429 with `retry_after` to the message and
//! to the photo.

use chrono::Datelike;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::TestEnv;

pub(crate) struct Catcher(Child);

impl Drop for Catcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn python() -> String {
    std::env::var("AUTONOMO_TEST_AIOSMTPD_PYTHON").unwrap_or_else(|_| {
        panic!("AUTONOMO_TEST_AIOSMTPD_PYTHON is not set: point it at a python with aiosmtpd (scripts/test.sh installs one)")
    })
}

/// One Bot API call: when, path, JSON body or form fields (files as `{file_name, mime}`, a
/// numeric `chat_id` as a number), and the uploaded file's bytes.
type Call = (Instant, String, Value, Option<Vec<u8>>);

#[derive(Clone, Default)]
struct FakeTelegram {
    calls: Arc<Mutex<Vec<Call>>>,
}

/// The request's fields, whether JSON (sendMessage) or multipart/form-data (uploads).
async fn fields(req: Request) -> (Value, Option<Vec<u8>>) {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .unwrap();
        return (serde_json::from_slice(&bytes).unwrap(), None);
    }
    let mut form = Multipart::from_request(req, &()).await.unwrap();
    let (mut fields, mut file) = (serde_json::Map::new(), None);
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap_or("").to_owned();
        if let Some(file_name) = field.file_name().map(str::to_owned) {
            let mime = field.content_type().unwrap_or("").to_owned();
            file = Some(field.bytes().await.unwrap().to_vec());
            fields.insert(name, json!({"file_name": file_name, "mime": mime}));
        } else {
            let text = field.text().await.unwrap();
            let value = match (name.as_str(), text.parse::<i64>()) {
                ("chat_id", Ok(n)) => Value::from(n),
                _ => Value::from(text),
            };
            fields.insert(name, value);
        }
    }
    (Value::Object(fields), file)
}

/// Answers like Telegram; the owner's chat (123456) first gets a 429 with `retry_after: 1`
/// on sendMessage and again on sendPhoto.
async fn telegram(
    State(fake): State<FakeTelegram>,
    req: Request,
) -> (StatusCode, axum::Json<Value>) {
    let path = req.uri().path().to_owned();
    let (body, file) = fields(req).await;
    let mut calls = fake.calls.lock().unwrap();
    calls.push((Instant::now(), path.clone(), body.clone(), file));
    let first_to_owner = body["chat_id"] == 123456
        && !path.ends_with("/sendDocument")
        && calls
            .iter()
            .filter(|c| c.2["chat_id"] == 123456 && c.1 == path)
            .count()
            == 1;
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
pub(crate) fn parts(python: &str, file: &std::path::Path) -> (String, String, String) {
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

/// The mail's image parts: (Content-ID, disposition, PNG bytes).
pub(crate) fn images(python: &str, file: &std::path::Path) -> Vec<(String, String, Vec<u8>)> {
    let script = r#"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
for p in m.walk():
    if p.get_content_maintype() == 'image':
        print(p.get('Content-ID', ''), p.get_content_disposition(), p.get_payload(decode=True).hex())
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut f = l.split(' ');
            let (cid, disposition, hex) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (cid.to_owned(), disposition.to_owned(), bytes)
        })
        .collect()
}

/// (width, height, share of pixels that are not white) of a PNG, decoded with the `png` crate.
pub(crate) fn decode_png(bytes: &[u8]) -> (u32, u32, f64) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("one frame");
    let step = info.color_type.samples();
    let px = &buf[..info.buffer_size()];
    let ink = px
        .chunks(step)
        .filter(|p| p.iter().take(3).any(|c| *c < 250))
        .count();
    (
        info.width,
        info.height,
        ink as f64 / (px.len() / step) as f64,
    )
}

/// A real SMTP server (aiosmtpd) on a free port, storing mails in `dir/box`.
pub(crate) fn smtp_catcher(python: &str, dir: &std::path::Path) -> (Catcher, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(dir.join("box"))
        .spawn()
        .expect("start aiosmtpd");
    (Catcher(child), port)
}

pub(crate) fn seed(env: &TestEnv) {
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

pub(crate) async fn mails(dir: &std::path::Path, want: usize) -> Vec<std::path::PathBuf> {
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
    let (_smtp, port) = smtp_catcher(&python, maildir.path());
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
    assert!(raw.contains("multipart/related"));
    let attachment = raw
        .split("Content-Disposition: attachment")
        .nth(1)
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    assert!(attachment.contains("gollos-productos-"), "{attachment}");
    // The dashboard's charts, inline: every image decodes, is not blank, and the HTML shows
    // each one by its Content-ID.
    let pictures = images(&python, &files[0]);
    let cids: Vec<&str> = pictures.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        cids,
        [
            "<ingresos@autonomo>",
            "<canales@autonomo>",
            "<productos@autonomo>",
            "<segmentos@autonomo>"
        ]
    );
    for (cid, disposition, png) in &pictures {
        assert_eq!(disposition, "inline");
        let (w, h, ink) = decode_png(png);
        assert!(w >= 400 && h >= 40 && ink > 0.005, "{cid}: {w}×{h}, {ink}");
        let bare = cid.trim_matches(['<', '>']);
        assert!(html.contains(&format!("src=\"cid:{bare}\"")), "{html}");
    }
    assert_eq!(decode_png(&pictures[0].2).0, 1280, "revenue chart at 2×");

    let calls = fake.calls.lock().unwrap().clone();
    let owner: Vec<_> = calls.iter().filter(|c| c.2["chat_id"] == 123456).collect();
    let methods: Vec<&str> = owner
        .iter()
        .map(|c| c.1.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "sendMessage",
            "sendMessage",
            "sendPhoto",
            "sendPhoto",
            "sendDocument"
        ],
        "each 429 then its retry, then the CSV"
    );
    assert!(
        owner[1].0 - owner[0].0 >= Duration::from_millis(950),
        "retry_after honoured"
    );
    assert!(
        owner[3].0 - owner[2].0 >= Duration::from_millis(950),
        "retry_after honoured for sendPhoto too"
    );
    let photo = &owner[3];
    assert_eq!(photo.2["photo"]["mime"], "image/png");
    assert!(
        photo.2["caption"]
            .as_str()
            .unwrap()
            .contains("Ingresos por día")
    );
    let (w, h, ink) = decode_png(photo.3.as_deref().unwrap());
    assert!((w, h) == (1280, 480) && ink > 0.005, "{w}×{h} {ink}");
    let document = &owner[4];
    assert_eq!(document.2["document"]["mime"], "text/csv");
    let csv = String::from_utf8(document.3.clone().unwrap()).unwrap();
    assert!(
        csv.trim_start_matches('\u{feff}').starts_with("sku,") && csv.contains("BROASTER"),
        "products CSV: {csv}"
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
        3,
        "message, photo, document"
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

    // `jobs list` shows that run: last time and next Monday 07:00 in the brand's zone.
    let out = run(vec!["jobs", "list"], vars.clone()).await.unwrap();
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let weekly = listing
        .split("\nreporte_semanal\t")
        .nth(1)
        .unwrap_or_else(|| panic!("{listing}"));
    let line = weekly
        .lines()
        .find(|l| l.starts_with("  gollos\t"))
        .unwrap_or_else(|| panic!("{listing}"));
    let cols: Vec<&str> = line.trim_start().split('\t').collect();
    assert_eq!(cols[2], "ok", "{line}");
    assert!(cols[1].ends_with("-05:00"), "last run in Lima time: {line}");
    assert!(
        cols[3].contains("T07:00:00.000-05:00"),
        "next run Monday 07:00 Lima: {line}"
    );
    let next = chrono::DateTime::parse_from_rfc3339(cols[3]).unwrap();
    assert_eq!(next.weekday(), chrono::Weekday::Mon, "{line}");
    // A job never run still lists the brand with its next time.
    let optimize = listing.split("\noptimizar_bd\t").nth(1).unwrap();
    let line = optimize
        .lines()
        .find(|l| l.starts_with("  gollos\t"))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(
        line.contains("\t-\t-\t") && line.contains("T04:30:00.000-05:00"),
        "{line}"
    );
}
