//! Sending a finished report to its recipients, the same way for a brand's report and the
//! owners' combined one: one e-mail to every address (text part, HTML part with the charts
//! as inline `cid:` images, the CSV attached) and, to each Telegram chat, the summary
//! (sendMessage), the headline chart (sendPhoto) and the CSV (sendDocument), each call
//! waiting out 429 `retry_after`.

use super::{Channels, Recipient};
use crate::email::{Email, EmailAttachment, InlineImage};
use crate::telegram::retry::with_retries;
use crate::telegram::{TelegramClient, TelegramError, Upload, escape_html};

/// A chart of a report as PNG.
#[derive(Debug, Clone)]
pub struct Picture {
    /// Short ASCII name: the Content-ID's local part and the file name.
    pub name: String,
    pub title: String,
    pub png: Vec<u8>,
}

impl Picture {
    /// The Content-ID the HTML part refers to as `cid:…`.
    pub fn content_id(&self) -> String {
        format!("{}@autonomo", self.name)
    }
}

/// A rendered report, ready to go.
pub struct Outgoing {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The Telegram summary (HTML, split into messages when long).
    pub telegram: String,
    /// Inline in the mail; the first one is also sent to Telegram as a photo.
    pub pictures: Vec<Picture>,
    /// (file name, bytes): attached to the mail and sent to Telegram as a document.
    pub csv: Option<(String, Vec<u8>)>,
}

/// Sends `out` to every recipient. Returns how many were reached, and the failures (every
/// recipient is tried even when an earlier one failed).
pub async fn deliver(
    channels: &Channels,
    to_whom: &[Recipient],
    out: &Outgoing,
) -> (usize, Vec<String>) {
    let (mut sent, mut errors) = (0, Vec::new());
    let emails: Vec<String> = to_whom
        .iter()
        .filter(|x| x.canal == "email")
        .map(|x| x.destino.clone())
        .collect();
    if !emails.is_empty() {
        match &channels.mailer {
            None => errors.push("AUTONOMO_SMTP_URL no está configurado / is not set".to_owned()),
            Some(m) => {
                let email = Email {
                    to: emails.clone(),
                    subject: out.subject.clone(),
                    text: out.text.clone(),
                    html: out.html.clone(),
                    inline: out
                        .pictures
                        .iter()
                        .map(|p| InlineImage {
                            content_id: p.content_id(),
                            mime: "image/png".into(),
                            bytes: p.png.clone(),
                        })
                        .collect(),
                    attachments: out
                        .csv
                        .iter()
                        .map(|(name, bytes)| EmailAttachment {
                            filename: name.clone(),
                            mime: "text/csv".into(),
                            bytes: bytes.clone(),
                        })
                        .collect(),
                };
                match m.send(&email).await {
                    Ok(()) => sent += emails.len(),
                    Err(e) => errors.push(format!("e-mail: {e}")),
                }
            }
        }
    }
    for chat in to_whom.iter().filter(|x| x.canal == "telegram") {
        let Some(t) = &channels.telegram else {
            errors.push(
                "AUTONOMO_TELEGRAM_BOT_TOKEN_FILE no está configurado / is not set".to_owned(),
            );
            break;
        };
        match telegram(t, &chat.destino, out).await {
            Ok(()) => sent += 1,
            Err(e) => errors.push(format!("Telegram {}: {e}", chat.destino)),
        }
    }
    (sent, errors)
}

/// Summary, then the headline chart, then the CSV, to one chat; stops at the first failure.
async fn telegram(t: &TelegramClient, chat: &str, out: &Outgoing) -> Result<(), TelegramError> {
    for part in crate::telegram::split_text(&out.telegram) {
        with_retries(chat, || t.send_message(chat, &part)).await?;
    }
    if let Some(p) = out.pictures.first() {
        let caption = format!("<b>{}</b>", escape_html(&p.title));
        with_retries(chat, || {
            t.send_file(
                chat,
                "photo",
                &caption,
                Upload {
                    filename: format!("{}.png", p.name),
                    mime: "image/png".into(),
                    bytes: p.png.clone(),
                },
            )
        })
        .await?;
    }
    if let Some((name, bytes)) = &out.csv {
        let caption = escape_html(&out.subject);
        with_retries(chat, || {
            t.send_file(
                chat,
                "document",
                &caption,
                Upload {
                    filename: name.clone(),
                    mime: "text/csv".into(),
                    bytes: bytes.clone(),
                },
            )
        })
        .await?;
    }
    Ok(())
}
