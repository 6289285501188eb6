//! E-mail over SMTP (leaf): one configured transport, HTML with a plain-text part, inline
//! images the HTML shows by `cid:` and attachments. No domain knowledge.
//!
//! The TLS mode is explicit in the URL, never guessed from the port: `smtps://` is implicit
//! TLS (465), `smtp://` is STARTTLS that must succeed (587), and `smtp://…?tls=none` is plain
//! text for a local relay or a test catcher.

use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    Implicit,
    StartTls,
    None,
}

/// Parsed `AUTONOMO_SMTP_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
    /// `?ca=/path/ca.pem`: a PEM root trusted besides the system's (a company relay with its
    /// own CA); the server's name is still checked.
    pub ca_file: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("URL SMTP inválida / invalid SMTP URL: {0}")]
    BadUrl(String),
    #[error("dirección inválida / invalid address `{0}`")]
    BadAddress(String),
    #[error("el servidor SMTP rechazó el envío / the SMTP server refused: {0}")]
    Permanent(String),
    #[error("no se pudo entregar por ahora / could not deliver for now: {0}")]
    Transient(String),
}

impl EmailError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, EmailError::Transient(_))
    }
}

impl SmtpSettings {
    /// Parses `smtp[s]://[user:pass@]host[:port][?tls=none]`.
    pub fn parse(url: &str) -> Result<SmtpSettings, EmailError> {
        let bad = |why: &str| EmailError::BadUrl(why.to_string());
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("falta el esquema smtp:// o smtps://"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                Some(p.parse::<u16>().map_err(|_| bad("puerto inválido"))?),
            ),
            None => (hostport.trim_end_matches('/'), None),
        };
        let host = host.trim_end_matches('/');
        if host.is_empty() {
            return Err(bad("falta el host"));
        }
        let plain = query.split('&').any(|kv| kv == "tls=none");
        let (tls, default_port) = match (scheme, plain) {
            ("smtps", false) => (TlsMode::Implicit, 465),
            ("smtp", false) => (TlsMode::StartTls, 587),
            ("smtp", true) => (TlsMode::None, 25),
            _ => {
                return Err(bad(
                    "esquema: smtp:// o smtps:// (tls=none solo con smtp://)",
                ));
            }
        };
        let (user, password) = match auth.map(|a| a.split_once(':').unwrap_or((a, ""))) {
            Some((u, p)) => (Some(percent_decode(u)), Some(percent_decode(p))),
            None => (None, None),
        };
        let ca_file = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("ca="))
            .map(percent_decode)
            .filter(|p| !p.is_empty());
        if ca_file.is_some() && tls == TlsMode::None {
            return Err(bad("ca= solo con TLS (smtps:// o smtp:// sin tls=none)"));
        }
        Ok(SmtpSettings {
            host: host.to_string(),
            port: port.unwrap_or(default_port),
            tls,
            user,
            password,
            ca_file,
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A file attached to a mail.
#[derive(Debug, Clone)]
pub struct EmailAttachment {
    pub filename: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// An image the HTML part shows with `<img src="cid:{content_id}">` (charts in reports).
#[derive(Debug, Clone)]
pub struct InlineImage {
    /// Without angle brackets, e.g. `ingresos@autonomo`.
    pub content_id: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// A mail to send.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Images for the HTML part; empty for a plain alternative.
    pub inline: Vec<InlineImage>,
    pub attachments: Vec<EmailAttachment>,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &SmtpSettings, from: &str) -> Result<Mailer, EmailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| EmailError::BadAddress(from.to_string()))?;
        let builder = match settings.tls {
            TlsMode::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host),
            TlsMode::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
            }
            TlsMode::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &settings.host,
            )),
        }
        .map_err(|e| EmailError::BadUrl(e.to_string()))?;
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(std::time::Duration::from_secs(30)));
        if let Some(path) = &settings.ca_file {
            use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
            let pem =
                std::fs::read(path).map_err(|e| EmailError::BadUrl(format!("ca={path}: {e}")))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| EmailError::BadUrl(format!("ca={path}: {e}")))?;
            let params = TlsParameters::builder(settings.host.clone())
                .add_root_certificate(cert)
                .build_rustls()
                .map_err(|e| EmailError::BadUrl(format!("ca={path}: {e}")))?;
            builder = builder.tls(match settings.tls {
                TlsMode::Implicit => Tls::Wrapper(params),
                _ => Tls::Required(params),
            });
        }
        if let (Some(user), Some(password)) = (&settings.user, &settings.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// Builds the MIME message: mixed [ alternative [ text, related [ HTML, inline images ] ],
    /// attachments… ]. The images sit in a multipart/related beside the HTML only, so a
    /// client showing the text part shows no stray images (RFC 2387).
    pub fn compose(&self, email: &Email) -> Result<Message, EmailError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(email.subject.clone());
        if email.to.is_empty() {
            return Err(EmailError::BadAddress(String::new()));
        }
        for to in &email.to {
            let mailbox: Mailbox = to.parse().map_err(|_| EmailError::BadAddress(to.clone()))?;
            builder = builder.to(mailbox);
        }
        let plain = SinglePart::plain(email.text.clone());
        let html = SinglePart::html(email.html.clone());
        let body = if email.inline.is_empty() {
            MultiPart::alternative().singlepart(plain).singlepart(html)
        } else {
            let mut related = MultiPart::related().singlepart(html);
            for image in &email.inline {
                let content_type = ContentType::parse(&image.mime)
                    .map_err(|_| EmailError::Permanent(format!("MIME `{}`", image.mime)))?;
                related = related.singlepart(
                    Attachment::new_inline(image.content_id.clone())
                        .body(image.bytes.clone(), content_type),
                );
            }
            MultiPart::alternative()
                .singlepart(plain)
                .multipart(related)
        };
        let mut mixed = MultiPart::mixed().multipart(body);
        for a in &email.attachments {
            let content_type = ContentType::parse(&a.mime).unwrap_or(ContentType::TEXT_PLAIN);
            mixed = mixed.singlepart(
                Attachment::new(a.filename.clone()).body(a.bytes.clone(), content_type),
            );
        }
        builder
            .multipart(mixed)
            .map_err(|e| EmailError::Permanent(e.to_string()))
    }

    pub async fn send(&self, email: &Email) -> Result<(), EmailError> {
        let message = self.compose(email)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                EmailError::Permanent(e.to_string())
            } else {
                EmailError::Transient(e.to_string())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_make_the_tls_mode_explicit() {
        let s =
            SmtpSettings::parse("smtps://informes%40gollos.pe:s%3Acreto@mail.example.com").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls.clone()),
            ("mail.example.com", 465, TlsMode::Implicit)
        );
        assert_eq!(s.user.as_deref(), Some("informes@gollos.pe"));
        assert_eq!(s.password.as_deref(), Some("s:creto"));
        let s = SmtpSettings::parse("smtp://mail.example.com").unwrap();
        assert_eq!((s.port, s.tls), (587, TlsMode::StartTls));
        let s = SmtpSettings::parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!((s.port, s.tls), (2525, TlsMode::None));
        for bad in [
            "mail.example.com",
            "http://x",
            "smtps://x?tls=none",
            "smtp://:25",
            "smtp://h:port",
        ] {
            assert!(SmtpSettings::parse(bad).is_err(), "{bad}");
        }
        assert!(
            !format!("{:?}", SmtpSettings::parse("smtp://u:secret@h").unwrap()).contains("secret")
        );
    }
}
