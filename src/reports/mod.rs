//! Executive reports by e-mail and Telegram: per-brand recipients, the KPIs of a day or a
//! week ([`kpis`], swappable for the analytics dashboard), the dashboard's charts as PNG and
//! the products CSV ([`pictures`]), rendering, sending with retries (Telegram's 429
//! `retry_after` honoured, [`deliver`]), the owners' combined report of every brand
//! ([`combined`]) and the daily/weekly scheduler jobs.
//!
//! Reports are sent directly by the job rather than through the outbox: the outbox has no
//! e-mail or Telegram delivery yet, and a report that fails is simply reported as a failed
//! job run (and sent again by `autonomo report send`).

pub mod cli;
pub mod combined;
pub mod deliver;
pub mod kpis;
pub mod pictures;
pub mod render;

use std::time::Duration;

use rusqlite::{Connection, params};

use crate::config::NotifyConfig;
use crate::email::{Mailer, SmtpSettings};
use crate::error::AppError;
use crate::telegram::{TelegramClient, TelegramError};
use crate::tenants::Tenant;
use kpis::Period;

/// The channels reports go out through, built from `[email]` / `[telegram]` (see
/// `config::NotifyConfig`; env `AUTONOMO_SMTP_URL[_FILE]`, `AUTONOMO_SMTP_FROM`,
/// `AUTONOMO_TELEGRAM_BOT_TOKEN[_FILE]`, `AUTONOMO_TELEGRAM_API_BASE`).
#[derive(Default)]
pub struct Channels {
    pub mailer: Option<Mailer>,
    pub telegram: Option<TelegramClient>,
}

impl Channels {
    pub fn from_config(config: &NotifyConfig) -> Result<Channels, AppError> {
        let mailer = match &config.email {
            None => None,
            Some(e) => {
                let settings = SmtpSettings::parse(&e.smtp_url)
                    .map_err(|err| AppError::internal(format!("email.smtp_url: {err}")))?;
                Some(
                    Mailer::new(&settings, &e.from)
                        .map_err(|err| AppError::internal(format!("SMTP: {err}")))?,
                )
            }
        };
        let telegram = match &config.telegram {
            None => None,
            Some(t) => Some(
                TelegramClient::new(&t.api_base, &t.bot_token, Duration::from_secs(30))
                    .map_err(|e| AppError::internal(e.to_string()))?,
            ),
        };
        Ok(Channels { mailer, telegram })
    }
}

/// One recipient: `email` or `telegram`, and the address or chat id.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Recipient {
    pub canal: String,
    pub destino: String,
}

pub fn add_recipient(c: &Connection, canal: &str, destino: &str, now: i64) -> Result<(), AppError> {
    c.prepare_cached(
        "INSERT INTO reporte_destinatarios (canal, destino, creado_en) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![canal, destino, now])?;
    Ok(())
}

pub fn remove_recipient(c: &Connection, canal: &str, destino: &str) -> Result<bool, AppError> {
    Ok(
        c.prepare_cached("DELETE FROM reporte_destinatarios WHERE canal = ?1 AND destino = ?2")?
            .execute(params![canal, destino])?
            > 0,
    )
}

pub fn recipients(c: &Connection) -> Result<Vec<Recipient>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT canal, destino FROM reporte_destinatarios ORDER BY canal, destino",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Recipient {
            canal: r.get(0)?,
            destino: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sends a Telegram message, waiting out 429s (`retry_after`, at most 60 s each, 5 tries).
pub(crate) async fn telegram_send(
    client: &TelegramClient,
    chat: &str,
    html: &str,
) -> Result<(), TelegramError> {
    crate::telegram::retry::with_retries(chat, || client.send_message(chat, html))
        .await
        .map(|_| ())
}

/// Computes and sends the brand's report for `period` to every recipient; returns a summary.
/// Fails when any recipient could not be reached (after the others were tried).
pub async fn send(
    tenant: &Tenant,
    channels: &Channels,
    period: Period,
    now: i64,
) -> Result<String, AppError> {
    let brand = tenant.brand();
    let (from, to) = period.range(brand.tz(), now);
    let (k, to_whom) = tenant
        .db()
        .read(move |c| Ok((kpis::compute(c, from, to)?, recipients(c)?)))
        .await?;
    if to_whom.is_empty() {
        return Ok("sin destinatarios / no recipients".into());
    }
    // Charts are a bonus: if they cannot be drawn the figures still go out, without them.
    let (pictures, csv) = match pictures::build(tenant, &brand, period, now).await {
        Ok(extras) => (extras.pictures, Some(extras.csv)),
        Err(e) => {
            tracing::warn!(brand = %brand.slug, error = %e, "reporte sin gráficos / report without charts");
            (Vec::new(), None)
        }
    };
    let r = render::render(&brand, period, &k, &pictures);
    let out = deliver::Outgoing {
        subject: r.subject,
        text: r.text,
        html: r.html,
        telegram: r.telegram,
        pictures,
        csv,
    };
    let (sent, errors) = deliver::deliver(channels, &to_whom, &out).await;
    outcome(period, sent, errors)
}

/// The job's or command's result: a summary, or every failure.
pub(crate) fn outcome(
    period: Period,
    sent: usize,
    errors: Vec<String>,
) -> Result<String, AppError> {
    if errors.is_empty() {
        Ok(format!(
            "reporte {} enviado a {sent} / sent to {sent}",
            period.label()
        ))
    } else {
        Err(AppError::Unavailable(crate::error::msg(
            format!("Reporte enviado a {sent}; fallos: {}", errors.join("; ")),
            format!("Report sent to {sent}; failures: {}", errors.join("; ")),
        )))
    }
}

fn job(ctx: crate::scheduler::JobCtx, period: Period) -> crate::scheduler::JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        let channels = Channels::from_config(&ctx.notify)?;
        send(&tenant, &channels, period, crate::time::now_ms()).await
    })
}

pub fn daily_job(ctx: crate::scheduler::JobCtx) -> crate::scheduler::JobFuture {
    job(ctx, Period::Daily)
}

pub fn weekly_job(ctx: crate::scheduler::JobCtx) -> crate::scheduler::JobFuture {
    job(ctx, Period::Weekly)
}
