//! Turns the conditions seen at each check into messages: raised, repeated, resolved.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use tokio::sync::watch;

use super::Alert;
use crate::app::AppState;
use crate::email::Email;
use crate::reports::{Channels, recipients};
use crate::telegram::escape_html;
use crate::time::now_ms;

/// What the watcher remembers of an active alert.
struct Active {
    alert: Alert,
    last_sent_ms: i64,
}

pub struct Watcher {
    state: AppState,
    channels: Channels,
    active: HashMap<String, Active>,
    signatures_seen: u64,
}

/// Which message a transition produces.
enum Kind {
    Raised,
    Repeated,
    Resolved,
}

impl Watcher {
    pub fn new(state: AppState) -> Result<Watcher, crate::error::AppError> {
        let channels = Channels::from_config(&state.config.notify)?;
        Ok(Watcher {
            state,
            channels,
            active: HashMap::new(),
            signatures_seen: super::signature_failures(),
        })
    }

    /// Checks every `interval_secs` until `stop` turns true.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let every = Duration::from_secs(self.state.config.alerts.interval_secs.max(1));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
            self.check_once().await;
        }
    }

    /// One check: compares what is wrong now with what was, and sends the differences.
    pub async fn check_once(&mut self) {
        let total = super::signature_failures();
        let since = total.saturating_sub(self.signatures_seen);
        self.signatures_seen = total;
        let now_alerts = super::current(&self.state, since).await;
        let now = now_ms();
        let repeat_ms = i64::try_from(self.state.config.alerts.repeat_hours)
            .unwrap_or(24)
            .saturating_mul(3_600_000);
        let mut outgoing = Vec::new();
        let present: BTreeSet<String> = now_alerts.iter().map(|a| a.key.clone()).collect();
        for alert in now_alerts {
            match self.active.get_mut(&alert.key) {
                None => {
                    outgoing.push((Kind::Raised, alert.clone()));
                    self.active.insert(
                        alert.key.clone(),
                        Active {
                            alert,
                            last_sent_ms: now,
                        },
                    );
                }
                Some(a) if now - a.last_sent_ms >= repeat_ms => {
                    a.last_sent_ms = now;
                    a.alert = alert.clone();
                    outgoing.push((Kind::Repeated, alert));
                }
                Some(a) => a.alert = alert,
            }
        }
        let gone: Vec<String> = self
            .active
            .keys()
            .filter(|k| !present.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(a) = self.active.remove(&key) {
                outgoing.push((Kind::Resolved, a.alert));
            }
        }
        for (kind, alert) in outgoing {
            tracing::warn!(alert = %alert.key, "{}", alert.text());
            self.send(kind, &alert).await;
        }
    }

    /// Sends to the brand's recipients, or every active brand's for installation alerts.
    async fn send(&self, kind: Kind, alert: &Alert) {
        let (emails, chats) = self.recipients_for(alert).await;
        let (prefix_es, prefix_en, icon) = match kind {
            Kind::Raised => ("Alerta", "Alert", "⚠️"),
            Kind::Repeated => ("Sigue activa", "Still active", "⚠️"),
            Kind::Resolved => ("Resuelto", "Resolved", "✅"),
        };
        let subject = format!("{icon} Autónomo — {prefix_es} / {prefix_en}");
        if let (Some(mailer), false) = (&self.channels.mailer, emails.is_empty()) {
            let text = format!("{prefix_es}: {}\n\n{prefix_en}: {}\n", alert.es, alert.en);
            let html = format!(
                "<p><b>{prefix_es}:</b> {}</p><p><b>{prefix_en}:</b> {}</p>",
                escape_html(&alert.es),
                escape_html(&alert.en)
            );
            let email = Email {
                to: emails.into_iter().collect(),
                subject: subject.clone(),
                text,
                html,
                inline: vec![],
                attachments: vec![],
            };
            if let Err(e) = mailer.send(&email).await {
                tracing::warn!(error = %e, "alerta por e-mail no enviada / alert e-mail not sent");
            }
        }
        if let Some(telegram) = &self.channels.telegram {
            let html = format!(
                "{icon} <b>{prefix_es} / {prefix_en}</b>\n{}\n<i>{}</i>",
                escape_html(&alert.es),
                escape_html(&alert.en)
            );
            for chat in chats {
                if let Err(e) = crate::reports::telegram_send(telegram, &chat, &html).await {
                    tracing::warn!(chat, error = %e, "alerta por Telegram no enviada / alert not sent");
                }
            }
        }
    }

    async fn recipients_for(&self, alert: &Alert) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut emails = BTreeSet::new();
        let mut chats = BTreeSet::new();
        let Ok(brands) = self.state.registry.list(false).await else {
            return (emails, chats);
        };
        for brand in brands {
            if alert
                .brand
                .as_deref()
                .is_some_and(|b| b != brand.slug.as_str())
            {
                continue;
            }
            let Ok(tenant) = self.state.registry.tenant_quiet(&brand.slug).await else {
                continue;
            };
            let Ok(list) = tenant.db().read(recipients).await else {
                continue;
            };
            for r in list {
                match r.canal.as_str() {
                    "email" => emails.insert(r.destino),
                    _ => chats.insert(r.destino),
                };
            }
        }
        (emails, chats)
    }
}
