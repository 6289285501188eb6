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

/// A throwaway CA and a certificate for 127.0.0.1 signed by it (openssl), in `dir`.
fn certificates(dir: &std::path::Path) -> (String, String, String) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Autonomo test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    (p("ca.pem"), p("srv.pem"), p("srv.key"))
}

/// aiosmtpd with TLS (`starttls`: STARTTLS required before AUTH; `smtps`: implicit TLS) and
/// AUTH PLAIN/LOGIN accepting only `informes@gollos.pe` / `s:creto`.
const TLS_SERVER: &str = r#"
import ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword
mode, port, cert, key, box = sys.argv[1:6]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
def auth(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b'informes@gollos.pe' and data.password == b's:creto'
    return AuthResult(success=ok)
if mode == 'starttls':
    c = Controller(Mailbox(box), hostname='127.0.0.1', port=int(port), tls_context=ctx,
                   require_starttls=True, authenticator=auth, auth_required=True, auth_require_tls=True,
                   auth_exclude_mechanism=['LOGIN'],
                   ready_timeout=30)
else:
    c = Controller(Mailbox(box), hostname='127.0.0.1', port=int(port), ssl_context=ctx,
                   authenticator=auth, auth_required=True, auth_require_tls=False, ready_timeout=30,
                   auth_exclude_mechanism=['LOGIN'])
c.start()
print('ready', flush=True)
while True:
    time.sleep(3600)
"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_listening(port: u16) {
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the SMTP server did not listen on {port}");
}

fn delivered(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir.join("new"))
        .map(|d| {
            d.flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// STARTTLS and implicit TLS, each with AUTH, against a real server whose certificate is
/// signed by a CA given with `?ca=`: the mail arrives with the credentials of the URL (the
/// server accepts only those); without the CA the server is not trusted and nothing is sent.
#[tokio::test]
async fn report_mail_goes_over_starttls_and_tls_with_auth() {
    let python = python_with_aiosmtpd();
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let email = Email {
        to: vec!["duena@gollos.pe".into()],
        subject: "Reporte diario".into(),
        text: "Pedidos: 42".into(),
        html: "<p>Pedidos: <b>42</b></p>".into(),
        inline: vec![],
        attachments: vec![],
    };
    for (mode, scheme) in [("starttls", "smtp"), ("smtps", "smtps")] {
        let port = free_port();
        let mailbox = dir.path().join(format!("box-{mode}"));
        let _server = Catcher(
            Command::new(&python)
                .arg("-c")
                .arg(TLS_SERVER)
                .args([mode, &port.to_string(), &cert, &key])
                .arg(&mailbox)
                .spawn()
                .expect("start aiosmtpd"),
        );
        wait_listening(port).await;
        let ca_q = ca.replace('/', "%2F");
        let url = format!("{scheme}://informes%40gollos.pe:s%3Acreto@127.0.0.1:{port}?ca={ca_q}");
        let settings = SmtpSettings::parse(&url).unwrap();
        assert_eq!(settings.ca_file.as_deref(), Some(ca.as_str()));
        let mailer = Mailer::new(&settings, "Autónomo <informes@gollos.pe>").unwrap();
        tokio::time::timeout(Duration::from_secs(90), mailer.send(&email))
            .await
            .unwrap_or_else(|_| panic!("{mode}: the send did not finish in 90 s"))
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let mut got = Vec::new();
        for _ in 0..50 {
            got = delivered(&mailbox);
            if !got.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(got.len(), 1, "{mode}: one mail");
        assert!(
            got[0].contains("To: duena@gollos.pe") && got[0].contains("text/plain"),
            "{mode}: {}",
            got[0]
        );

        let untrusted = url.split('?').next().unwrap().to_owned();
        let untrusted =
            Mailer::new(&SmtpSettings::parse(&untrusted).unwrap(), "a@gollos.pe").unwrap();
        let err = tokio::time::timeout(Duration::from_secs(90), untrusted.send(&email))
            .await
            .unwrap_or_else(|_| panic!("{mode}: the refusal did not come in 90 s"))
            .unwrap_err();
        assert!(
            err.to_string().to_lowercase().contains("certif")
                || err.to_string().to_lowercase().contains("tls"),
            "{mode}: an unknown CA is refused: {err}"
        );
        assert_eq!(delivered(&mailbox).len(), 1, "{mode}: nothing else arrived");
    }
    // `ca=` needs TLS.
    assert!(SmtpSettings::parse("smtp://127.0.0.1:25?tls=none&ca=/x.pem").is_err());
}
