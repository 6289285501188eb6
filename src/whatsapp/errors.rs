//! Graph API errors and what to do about them: retry (with a suggested backoff and its scope),
//! fix the credentials, or give up. Meta's HTTP status is unreliable (throttling comes as 400), so
//! the error `code` decides first.

use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// What the outbox worker should do with a failed send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later; see [`ErrorClass::backoff`] and the [`RetryScope`].
    Retryable(RetryScope),
    /// The access token is invalid or expired (190, 0, HTTP 401): alert the operator, pause the brand's
    /// sends; retrying with the same token is pointless.
    Auth,
    /// Retrying the same request will fail again.
    Permanent(PermanentReason),
}

/// What a retryable error is about, so the worker slows down the right thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryScope {
    /// The business number's throughput (130429, 4, 80007): slow down every send of this number.
    Number,
    /// The pair rate limit (131056): slow down only this recipient; others are unaffected.
    Recipient,
    /// Meta or the network failed (5xx, 131000, 131016, 133004, 131057, timeouts, refused connections).
    /// A timeout may hide an accepted send, so at-least-once delivery is the price of retrying.
    Transient,
}

/// Why a failure is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermanentReason {
    /// Bad parameter, length limit, recipient == sender (100, 131008, 131009, 131021): a bug.
    InvalidRequest,
    /// Template missing, paused, disabled or with wrong parameters (132000–132016).
    Template,
    /// More than 24 h since the customer's last message (131047): send an approved template instead.
    OutsideWindow,
    /// Not a WhatsApp user, or app too old (131026).
    Undeliverable,
    /// The user stopped marketing messages (131050): suppress marketing for them.
    OptedOut,
    /// Meta's per-user marketing cap (131049): do not retry within 24 h.
    MarketingLimit,
    /// Spam rate limit on quality (131048): stop campaigns.
    QualityLimit,
    /// Missing app permission (3, 10, 200–299).
    Permission,
    /// Account locked, policy block, country restriction or billing (131031, 368, 130497, 131042).
    AccountBlocked,
    /// Test number's allowed list (131030); with MX/AR numbers try the dialable variant in development.
    RecipientNotAllowed,
    /// Authentication template to a BSUID (131062): use the phone number.
    BsuidNotAllowed,
    /// The user is in a Meta experiment (130472).
    Experiment,
    /// HTTP 2xx with a body we could not read: the message may have been accepted, so no retry.
    UnexpectedResponse,
    Other,
}

impl ErrorClass {
    /// Classifies a Meta error `code` (sync or from a failed status) with the HTTP status when known.
    pub fn from_code(code: Option<i64>, http_status: Option<u16>) -> ErrorClass {
        use PermanentReason as P;
        match code {
            Some(0 | 190) => ErrorClass::Auth,
            Some(130429 | 4 | 80007) => ErrorClass::Retryable(RetryScope::Number),
            Some(131056) => ErrorClass::Retryable(RetryScope::Recipient),
            Some(131000 | 131016 | 133004 | 2 | 131057) => {
                ErrorClass::Retryable(RetryScope::Transient)
            }
            Some(100 | 131008 | 131009 | 131021) => ErrorClass::Permanent(P::InvalidRequest),
            Some(132000..=132016) => ErrorClass::Permanent(P::Template),
            Some(131047) => ErrorClass::Permanent(P::OutsideWindow),
            Some(131026) => ErrorClass::Permanent(P::Undeliverable),
            Some(131050) => ErrorClass::Permanent(P::OptedOut),
            Some(131049) => ErrorClass::Permanent(P::MarketingLimit),
            Some(131048) => ErrorClass::Permanent(P::QualityLimit),
            Some(3 | 10 | 200..=299) => ErrorClass::Permanent(P::Permission),
            Some(131031 | 368 | 130497 | 131042) => ErrorClass::Permanent(P::AccountBlocked),
            Some(131030) => ErrorClass::Permanent(P::RecipientNotAllowed),
            Some(131062) => ErrorClass::Permanent(P::BsuidNotAllowed),
            Some(130472) => ErrorClass::Permanent(P::Experiment),
            _ => match http_status {
                Some(401) => ErrorClass::Auth,
                Some(408 | 429) => ErrorClass::Retryable(RetryScope::Number),
                Some(s) if s >= 500 => ErrorClass::Retryable(RetryScope::Transient),
                _ => ErrorClass::Permanent(P::Other),
            },
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, ErrorClass::Retryable(_))
    }

    /// Suggested wait before retry number `attempt` (0 for the first retry); `None` when not retryable.
    /// Pair limit: 4^attempt s as Meta documents (1, 4, 16 … ≤ 1 h). Throughput: 1, 2, 4 … ≤ 60 s.
    /// Transient: 2, 4, 8 … ≤ 10 min. Deterministic; add jitter in the worker if many queue at once.
    pub fn backoff(&self, attempt: u32) -> Option<Duration> {
        let exp = |base: u64, factor: u64, cap: u64| {
            let mult = factor.checked_pow(attempt).unwrap_or(u64::MAX);
            Duration::from_secs(base.saturating_mul(mult).min(cap))
        };
        match self {
            ErrorClass::Retryable(RetryScope::Recipient) => Some(exp(1, 4, 3600)),
            ErrorClass::Retryable(RetryScope::Number) => Some(exp(1, 2, 60)),
            ErrorClass::Retryable(RetryScope::Transient) => Some(exp(2, 2, 600)),
            ErrorClass::Auth | ErrorClass::Permanent(_) => None,
        }
    }
}

/// A failed Graph API call, with everything needed to log, classify and show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub class: ErrorClass,
    /// HTTP status, `None` for transport failures.
    pub http_status: Option<u16>,
    /// Meta's `error.code`.
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    /// Meta's `error.message` or a Spanish transport description.
    pub message: String,
    /// `error.error_data.details`: names the offending field for 100/131009.
    pub details: Option<String>,
    /// Log it: Meta support asks for it.
    pub fbtrace_id: Option<String>,
}

impl GraphError {
    pub(crate) fn local(class: ErrorClass, message: impl Into<String>) -> Self {
        GraphError {
            class,
            http_status: None,
            code: None,
            subcode: None,
            message: message.into(),
            details: None,
            fbtrace_id: None,
        }
    }

    /// Builds the error from a non-2xx answer (`{"error":{…}}` or anything else).
    pub fn from_response(http_status: u16, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            code: Option<i64>,
            #[serde(default)]
            error_subcode: Option<i64>,
            #[serde(default)]
            error_data: Option<Data>,
            #[serde(default)]
            fbtrace_id: Option<String>,
        }
        #[derive(Deserialize)]
        struct Data {
            #[serde(default)]
            details: Option<String>,
        }
        match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope { error }) => GraphError {
                class: ErrorClass::from_code(error.code, Some(http_status)),
                http_status: Some(http_status),
                code: error.code,
                subcode: error.error_subcode,
                message: error.message.unwrap_or_default(),
                details: error.error_data.and_then(|d| d.details),
                fbtrace_id: error.fbtrace_id,
            },
            Err(_) => GraphError {
                class: ErrorClass::from_code(None, Some(http_status)),
                http_status: Some(http_status),
                message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                ..GraphError::local(ErrorClass::Permanent(PermanentReason::Other), "")
            },
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.class.is_retryable()
    }

    /// Suggested wait before retry `attempt` (see [`ErrorClass::backoff`]).
    pub fn backoff(&self, attempt: u32) -> Option<Duration> {
        self.class.backoff(attempt)
    }
}

impl fmt::Display for GraphError {
    /// A Spanish sentence for the UI and logs, e.g. "WhatsApp limita los mensajes seguidos a este
    /// cliente; se reintentará (código 131056)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PermanentReason as P;
        let what = match self.class {
            ErrorClass::Retryable(RetryScope::Number) => {
                "WhatsApp limitó la velocidad de envío de este número; se reintentará"
            }
            ErrorClass::Retryable(RetryScope::Recipient) => {
                "WhatsApp limita los mensajes seguidos a este cliente; se reintentará"
            }
            ErrorClass::Retryable(RetryScope::Transient) => {
                "WhatsApp no respondió o falló temporalmente; se reintentará"
            }
            ErrorClass::Auth => "el token de acceso de WhatsApp no es válido o caducó",
            ErrorClass::Permanent(P::InvalidRequest) => {
                "WhatsApp rechazó el mensaje por un parámetro inválido"
            }
            ErrorClass::Permanent(P::Template) => {
                "la plantilla no existe, no está aprobada o sus parámetros no coinciden"
            }
            ErrorClass::Permanent(P::OutsideWindow) => {
                "pasaron más de 24 horas desde el último mensaje del cliente: hay que usar una plantilla"
            }
            ErrorClass::Permanent(P::Undeliverable) => {
                "el número no usa WhatsApp o no puede recibir el mensaje"
            }
            ErrorClass::Permanent(P::OptedOut) => {
                "el cliente pidió no recibir mensajes de marketing"
            }
            ErrorClass::Permanent(P::MarketingLimit) => {
                "WhatsApp no entregó el marketing por el límite por usuario; esperar 24 horas"
            }
            ErrorClass::Permanent(P::QualityLimit) => {
                "WhatsApp frenó los envíos por calidad (spam)"
            }
            ErrorClass::Permanent(P::Permission) => {
                "a la aplicación de WhatsApp le faltan permisos"
            }
            ErrorClass::Permanent(P::AccountBlocked) => {
                "la cuenta de WhatsApp está bloqueada o restringida"
            }
            ErrorClass::Permanent(P::RecipientNotAllowed) => {
                "el número de prueba no tiene a este destinatario en su lista permitida"
            }
            ErrorClass::Permanent(P::BsuidNotAllowed) => {
                "las plantillas de autenticación no se pueden enviar a un usuario sin teléfono"
            }
            ErrorClass::Permanent(P::Experiment) => {
                "WhatsApp no entregó el mensaje (experimento de Meta)"
            }
            ErrorClass::Permanent(P::UnexpectedResponse) => {
                "WhatsApp respondió algo ilegible; el mensaje pudo haberse aceptado"
            }
            ErrorClass::Permanent(P::Other) => "WhatsApp rechazó la petición",
        };
        write!(f, "{what}")?;
        match (self.code, self.http_status) {
            (Some(code), _) => write!(f, " (código {code})")?,
            (None, Some(status)) => write!(f, " (HTTP {status})")?,
            (None, None) if !self.message.is_empty() => write!(f, ": {}", self.message)?,
            _ => {}
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}
