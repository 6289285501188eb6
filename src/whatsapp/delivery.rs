//! The outbox's WhatsApp delivery: per-number throughput (token bucket, default 80 mps), the
//! one-message-per-6-seconds pair limit, the 24-hour window (free-form only inside it; outside,
//! the brand's template or a clear refusal), and retries of 130429 / 131056 / 5xx with the
//! leaf client's backoff. Each send carries `biz_opaque_callback_data = ob:{outbox id}` so a
//! status webhook can confirm a send whose response was lost.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::OptionalExtension;

use super::config;
use super::outbound::{OutboundMessage as WaMessage, SendResponse, Template};
use super::{ErrorClass, GraphClient, GraphConfig, GraphError, RetryScope};
use crate::conversations::window_open;
use crate::crypto::Keyring;
use crate::error::AppError;
use crate::outbox::{Claimed, Delivery, Outcome};
use crate::tenants::{Registry, Slug};
use crate::time::now_ms;

/// Meta's pair rate limit: one message per 6 s to the same user.
pub const PAIR_INTERVAL: Duration = Duration::from_secs(6);

#[derive(Default)]
struct Limits {
    numbers: HashMap<String, Bucket>,
    /// (phone_number_id, recipient) → earliest next send.
    pairs: HashMap<(String, String), Instant>,
}

/// A number's token bucket: `rate` sends per second, up to one second's worth at once.
struct Bucket {
    tokens: f64,
    refilled: Instant,
    /// Set after Meta throttles the number (130429): nothing is sent before it.
    held_until: Option<Instant>,
}

impl Bucket {
    fn full(rate: f64, now: Instant) -> Bucket {
        Bucket {
            tokens: rate,
            refilled: now,
            held_until: None,
        }
    }

    fn tokens_at(&self, now: Instant, rate: f64) -> f64 {
        (self.tokens + now.duration_since(self.refilled).as_secs_f64() * rate).min(rate)
    }

    fn held_for(&self, now: Instant) -> Option<Duration> {
        self.held_until.filter(|u| *u > now).map(|u| u - now)
    }
}

pub struct WhatsAppDelivery {
    registry: Arc<Registry>,
    keyring: Arc<Keyring>,
    graph: GraphClient,
    http: reqwest::Client,
    pair_interval: Duration,
    limits: Mutex<Limits>,
}

impl WhatsAppDelivery {
    pub fn new(
        registry: Arc<Registry>,
        keyring: Arc<Keyring>,
        graph: GraphConfig,
        pair_interval: Duration,
    ) -> Result<WhatsAppDelivery, AppError> {
        let http = reqwest::Client::builder()
            .timeout(graph.timeout)
            .connect_timeout(graph.connect_timeout)
            .build()
            .map_err(AppError::internal)?;
        Ok(WhatsAppDelivery {
            registry,
            keyring,
            graph: GraphClient::new(graph).map_err(|e| AppError::internal(e.to_string()))?,
            http,
            pair_interval,
            limits: Mutex::new(Limits::default()),
        })
    }

    /// The delivery the server uses, from the configuration.
    pub fn from_state(state: &crate::app::AppState) -> Result<WhatsAppDelivery, AppError> {
        let graph = GraphConfig {
            base_url: state.config.whatsapp_api_base.clone(),
            ..GraphConfig::default()
        };
        WhatsAppDelivery::new(
            state.registry.clone(),
            state.keyring.clone(),
            graph,
            Duration::from_millis(state.config.whatsapp_pair_interval_ms),
        )
    }

    /// Takes a send slot for (number, recipient) or says how long to wait.
    fn reserve(&self, number: &str, mps: u32, to: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut l = self.limits.lock().unwrap_or_else(|p| p.into_inner());
        let pair_key = (number.to_owned(), to.to_owned());
        if let Some(next) = l.pairs.get(&pair_key)
            && *next > now
        {
            return Err(*next - now);
        }
        let rate = f64::from(mps.max(1));
        let bucket = l
            .numbers
            .entry(number.to_owned())
            .or_insert_with(|| Bucket::full(rate, now));
        if let Some(wait) = bucket.held_for(now) {
            return Err(wait);
        }
        bucket.held_until = None;
        bucket.tokens = bucket.tokens_at(now, rate);
        bucket.refilled = now;
        if bucket.tokens < 1.0 {
            return Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate));
        }
        bucket.tokens -= 1.0;
        l.pairs.insert(pair_key, now + self.pair_interval);
        if l.pairs.len() > 100_000 {
            l.pairs.retain(|_, t| *t > now);
        }
        Ok(())
    }

    /// How many sends the number has free now (none while it is held), without taking any.
    fn available(&self, number: &str, mps: u32) -> u32 {
        let now = Instant::now();
        let rate = f64::from(mps.max(1));
        let l = self.limits.lock().unwrap_or_else(|p| p.into_inner());
        match l.numbers.get(number) {
            None => mps.max(1),
            Some(b) if b.held_for(now).is_some() => 0,
            Some(b) => b.tokens_at(now, rate).floor() as u32,
        }
    }

    /// After a throttling error: hold the whole number, or just the pair.
    fn hold(&self, number: &str, to: &str, scope: RetryScope, wait: Duration) {
        let until = Instant::now() + wait;
        let mut l = self.limits.lock().unwrap_or_else(|p| p.into_inner());
        match scope {
            RetryScope::Number => {
                if let Some(b) = l.numbers.get_mut(number) {
                    b.held_until = Some(until);
                }
            }
            RetryScope::Recipient => {
                l.pairs.insert((number.to_owned(), to.to_owned()), until);
            }
            RetryScope::Transient => {}
        }
    }

    async fn post(
        &self,
        number: &config::NumberConfig,
        body: &serde_json::Value,
    ) -> Result<SendResponse, GraphError> {
        let url = self.graph.messages_url(&number.phone_number_id)?;
        let response = self
            .http
            .post(url)
            .bearer_auth(&number.access_token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(body).unwrap_or_default())
            .send()
            .await
            .map_err(|e| {
                GraphError::local(
                    ErrorClass::Retryable(RetryScope::Transient),
                    format!("red: {e}"),
                )
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            GraphError::local(
                ErrorClass::Retryable(RetryScope::Transient),
                format!("red: {e}"),
            )
        })?;
        if !status.is_success() {
            return Err(GraphError::from_response(status.as_u16(), &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            GraphError::local(
                ErrorClass::Permanent(super::PermanentReason::UnexpectedResponse),
                format!("respuesta ilegible: {e}"),
            )
        })
    }

    async fn attempt(&self, tenant: &Slug, m: &Claimed) -> Result<Outcome, AppError> {
        let keyring = self.keyring.clone();
        let slug = tenant.clone();
        let Some(number) = self
            .registry
            .control()
            .read(move |c| config::by_brand(c, &keyring, &slug))
            .await?
        else {
            return Ok(Outcome::Failed {
                error: "WhatsApp no está configurado para esta marca / WhatsApp is not configured for this brand".into(),
            });
        };
        let mut request = m.payload.get("request").cloned().unwrap_or_default();
        if !request.is_object() {
            return Ok(Outcome::Failed {
                error: "mensaje sin cuerpo / message without body".into(),
            });
        }
        let free_form = m
            .payload
            .get("free_form")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if free_form {
            let db = self.registry.tenant(tenant).await?;
            let (customer, dest) = (m.customer_id, m.destination.clone());
            let (last, template): (Option<i64>, Option<(String, String)>) = db
                .db()
                .read(move |c| {
                    let last = c
                        .query_row(
                            "SELECT ultimo_entrante_en FROM wa_contactos WHERE cliente_id = ?1 OR wa_id_bi = pii_bi('wa_id', ?2) OR bsuid_bi = pii_bi('bsuid', ?2)
                             ORDER BY ultimo_entrante_en DESC LIMIT 1",
                            rusqlite::params![customer, dest],
                            |r| r.get::<_, Option<i64>>(0),
                        )
                        .optional()?
                        .flatten();
                    Ok((last, crate::whatsapp::bot::knowledge::template(c)?))
                })
                .await?;
            if !window_open(last, now_ms()) {
                let Some((name, lang)) = template else {
                    return Ok(Outcome::Failed {
                        error: "fuera de la ventana de 24 h: el cliente no escribe hace más de 24 horas y no hay plantilla configurada / outside the 24-hour window and no template configured".into(),
                    });
                };
                request = WaMessage::template(
                    super::queue::recipient(&m.destination),
                    Template::new(name, lang),
                )
                .to_json();
            }
        }
        // Marketing sends check consent again now: an opt-out after queuing still wins.
        if m.payload.get("marketing").and_then(|v| v.as_bool()) == Some(true)
            && let Some(customer) = m.customer_id
        {
            let db = self.registry.tenant(tenant).await?;
            let consents = db
                .db()
                .read(move |c| crate::campaigns::optout::consents(c, customer))
                .await?;
            if !consents {
                return Ok(Outcome::Failed {
                    error: "el cliente se dio de baja de las campañas / the customer opted out of marketing".into(),
                });
            }
        }
        if let Err(wait) = self.reserve(&number.phone_number_id, number.mps, &m.destination) {
            return Ok(Outcome::Defer {
                after: wait.max(Duration::from_millis(10)),
            });
        }
        request["biz_opaque_callback_data"] = format!("ob:{}", m.id).into();
        Ok(match self.post(&number, &request).await {
            Ok(r) => Outcome::Sent {
                external_id: r.message_id().map(str::to_owned),
            },
            Err(e) => {
                let attempt = u32::try_from(m.attempts.saturating_sub(1)).unwrap_or(0);
                match e.class {
                    ErrorClass::Retryable(scope) => {
                        let after = e.backoff(attempt).unwrap_or(Duration::from_secs(2));
                        self.hold(&number.phone_number_id, &m.destination, scope, after);
                        Outcome::Retry {
                            after,
                            error: e.to_string(),
                        }
                    }
                    _ => Outcome::Failed {
                        error: e.to_string(),
                    },
                }
            }
        })
    }
}

impl Delivery for WhatsAppDelivery {
    fn capacity<'a>(&'a self, tenant: &'a Slug) -> Pin<Box<dyn Future<Output = u32> + Send + 'a>> {
        Box::pin(async move {
            let slug = tenant.clone();
            match self
                .registry
                .control()
                .read(move |c| config::rate_of_brand(c, &slug))
                .await
            {
                Ok(Some((number, mps))) => self.available(&number, mps),
                // No number (or no answer): each message is claimed and told why it waits.
                _ => u32::MAX,
            }
        })
    }

    fn deliver<'a>(
        &'a self,
        tenant: &'a Slug,
        message: &'a Claimed,
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'a>> {
        Box::pin(async move {
            match self.attempt(tenant, message).await {
                Ok(o) => o,
                Err(e) => Outcome::Retry {
                    after: Duration::from_secs(5),
                    error: e.to_string(),
                },
            }
        })
    }
}
