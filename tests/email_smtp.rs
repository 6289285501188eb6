//! The mailer against a real SMTP server (Python's aiosmtpd) on 127.0.0.1: the report mail
//! arrives with its text part, HTML part, a chart as an inline image the HTML refers to by
//! Content-ID (multipart/related), and an attachment.

use std::process::{Child, Command};
use std::time::Duration;

use autonomo::email::{Email, EmailAttachment, InlineImage, Mailer, SmtpSettings};

struct Catcher(Child);

impl Drop for Catcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python_with_aiosmtpd() -> String {
    std::env::var("AUTONOMO_TEST_AIOSMTPD_PYTHON").unwrap_or_else(|_| {
        panic!(
            "AUTONOMO_TEST_AIOSMTPD_PYTHON is not set: run `bash scripts/test.sh` (it installs aiosmtpd into .tools/smtp) \
             or point it at a python that has `pip install aiosmtpd`"
        )
    })
}

#[tokio::test]
async fn report_mail_reaches_a_real_smtp_server() {
    let python = python_with_aiosmtpd();
    let maildir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _catcher = Catcher(
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
    let settings = SmtpSettings::parse(&format!("smtp://127.0.0.1:{port}?tls=none")).unwrap();
    let chart = autonomo::analytics::png::render(&autonomo::analytics::charts::bars(
        "Ingresos por canal",
        &[("whatsapp".into(), 4580.0), ("web".into(), 3280.0)],
        &|v| format!("{v:.0}"),
    ))
    .unwrap();
    let mailer = Mailer::new(&settings, "Autónomo <informes@autonomo.local>").unwrap();
    let email = Email {
        to: vec!["duena@gollos.pe".into()],
        subject: "Reporte diario — Gollos Chicken's".into(),
        text: "Pedidos: 42\nIngresos: S/ 1 234,50".into(),
        html: "<h1>Reporte diario</h1><p>Pedidos: <b>42</b></p><img src=\"cid:ingresos@autonomo\">"
            .into(),
        inline: vec![InlineImage {
            content_id: "ingresos@autonomo".into(),
            mime: "image/png".into(),
            bytes: chart.clone(),
        }],
        attachments: vec![EmailAttachment {
            filename: "pedidos.csv".into(),
            mime: "text/csv".into(),
            bytes: b"fecha;pedidos\n2026-11-24;42\n".to_vec(),
        }],
    };
    let mut last = None;
    for _ in 0..50 {
        match mailer.send(&email).await {
            Ok(()) => {
                last = None;
                break;
            }
            Err(e) => {
                last = Some(e.to_string());
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    assert!(last.is_none(), "could not send: {last:?}");
    let new_dir = maildir.path().join("box/new");
    let mut files = Vec::new();
    for _ in 0..50 {
        files = std::fs::read_dir(&new_dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(files.len(), 1, "exactly one mail delivered");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("To: duena@gollos.pe"), "{raw}");
    assert!(
        raw.contains("multipart/alternative")
            && raw.contains("text/plain")
            && raw.contains("text/html")
    );
    assert!(raw.contains("filename=\"pedidos.csv\""));
    // The structure, parsed by Python's e-mail package: the text alternative, then a
    // multipart/related holding the HTML and the image it shows by cid.
    let script = r#"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
for p in m.walk():
    print(p.get_content_type(), p.get('Content-ID', ''), p.get_content_disposition() or '', len(p.get_payload(decode=True) or b''))
    if p.get_content_type() == 'image/png':
        open(sys.argv[2], 'wb').write(p.get_payload(decode=True))
"#;
    let png_out = maildir.path().join("chart.png");
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&files[0])
        .arg(&png_out)
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&out.stdout).into_owned();
    let kinds: Vec<&str> = tree
        .lines()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png",
            "text/csv"
        ],
        "{tree}"
    );
    assert!(
        tree.contains("image/png <ingresos@autonomo> inline"),
        "{tree}"
    );
    assert_eq!(
        std::fs::read(&png_out).unwrap(),
        chart,
        "the image arrives intact"
    );
    assert!(
        raw.contains("Subject: Reporte diario =?utf-8?b?4oCU?= Gollos"),
        "the dash is RFC 2047-encoded: {raw}"
    );
    // A refused connection is transient, so the outbox would retry it.
    let closed = SmtpSettings::parse("smtp://127.0.0.1:9?tls=none").unwrap();
    let err = Mailer::new(&closed, "a@b.pe")
        .unwrap()
        .send(&email)
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
}
