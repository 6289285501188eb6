//! One error enum by meaning, rendered as `application/problem+json` (RFC 9457).
//!
//! Handlers return [`AppError`]; the response carries a [`Problem`] in its extensions and the
//! [`localize_problems`] middleware writes the body in the caller's language (Spanish unless
//! `Accept-Language` prefers English). Any other 4xx/5xx that escapes (an unknown route, a
//! wrong method) is turned into a problem too, so clients see one error shape everywhere.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A message in both languages the product speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub es: String,
    pub en: String,
}

/// Builds a bilingual message.
pub fn msg(es: impl Into<String>, en: impl Into<String>) -> Msg {
    Msg {
        es: es.into(),
        en: en.into(),
    }
}

/// One invalid field of a request body or query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: Msg) -> Self {
        FieldError {
            field: field.into(),
            code,
            message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("{}", describe_fields(.0))]
    Validation(Vec<FieldError>),
    #[error("{} / {}", .0.es, .0.en)]
    BadRequest(Msg),
    #[error("{} / {}", message.es, message.en)]
    Conflict {
        message: Msg,
        /// The id of the record that already holds the unique value, when there is one.
        existing_id: Option<String>,
        /// For state machines: the states that would have been accepted.
        allowed: Option<Vec<String>>,
    },
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("{} / {}", .0.es, .0.en)]
    Unavailable(Msg),
    #[error("storage full")]
    StorageFull,
    #[error("internal error: {0}")]
    Internal(String),
}

/// One line per invalid field, in both languages (for the CLI and logs).
fn describe_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {} / {}", e.field, e.message.es, e.message.en))
        .collect::<Vec<_>>()
        .join("; ")
}

impl AppError {
    pub fn validation(field: &str, code: &'static str, message: Msg) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(message: Msg) -> Self {
        AppError::Conflict {
            message,
            existing_id: None,
            allowed: None,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document, with both languages, for this error.
    pub fn problem(&self) -> Problem {
        let (kind, title, detail) = match self {
            AppError::NotFound(what) => (
                "not-found",
                msg("No encontrado", "Not found"),
                msg(
                    format!("No existe ese recurso ({what})."),
                    format!("That resource ({what}) does not exist."),
                ),
            ),
            AppError::Validation(_) => (
                "validation",
                msg("Datos inválidos", "Invalid data"),
                msg(
                    "Revisa los campos indicados.",
                    "Check the fields listed in `errors`.",
                ),
            ),
            AppError::BadRequest(m) => (
                "bad-request",
                msg("Solicitud inválida", "Bad request"),
                m.clone(),
            ),
            AppError::Conflict { message, .. } => {
                ("conflict", msg("Conflicto", "Conflict"), message.clone())
            }
            AppError::Unauthenticated => (
                "unauthenticated",
                msg("Autenticación requerida", "Authentication required"),
                msg(
                    "Envía `Authorization: Bearer TOKEN` o inicia sesión.",
                    "Send `Authorization: Bearer TOKEN` or log in.",
                ),
            ),
            AppError::Forbidden => (
                "forbidden",
                msg("Sin permiso", "Forbidden"),
                msg(
                    "Tus credenciales no permiten esta acción.",
                    "Your credentials do not allow this action.",
                ),
            ),
            AppError::PayloadTooLarge => (
                "payload-too-large",
                msg("Cuerpo demasiado grande", "Payload too large"),
                msg(
                    "El cuerpo de la solicitud supera el límite permitido.",
                    "The request body exceeds the allowed size.",
                ),
            ),
            AppError::RateLimited { retry_after_secs } => (
                "rate-limited",
                msg("Demasiadas solicitudes", "Too many requests"),
                msg(
                    format!("Espera {retry_after_secs} s y vuelve a intentarlo."),
                    format!("Wait {retry_after_secs} s and try again."),
                ),
            ),
            AppError::Unavailable(m) => (
                "unavailable",
                msg("No disponible", "Unavailable"),
                m.clone(),
            ),
            AppError::StorageFull => (
                "storage-full",
                msg("Disco lleno", "Storage full"),
                msg(
                    "No queda espacio en disco; no se guardó nada. Las lecturas siguen funcionando.",
                    "The disk is full; nothing was saved. Reads keep working.",
                ),
            ),
            AppError::Internal(_) => (
                "internal",
                msg("Error interno", "Internal error"),
                msg(
                    "Algo falló en el servidor; quedó registrado.",
                    "Something failed on the server; it has been logged.",
                ),
            ),
        };
        let mut problem = Problem::new(self.status(), kind, title, detail);
        match self {
            AppError::Validation(errors) => problem.errors = errors.clone(),
            AppError::Conflict {
                existing_id,
                allowed,
                ..
            } => {
                problem.existing_id = existing_id.clone();
                problem.allowed = allowed.clone();
            }
            AppError::RateLimited { retry_after_secs } => {
                problem.retry_after = Some(*retry_after_secs)
            }
            _ => {}
        }
        problem
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::SqliteFailure(ref f, _) = e {
            match f.code {
                ErrorCode::DiskFull => return AppError::StorageFull,
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    return AppError::Unavailable(msg(
                        "La base de datos está ocupada; reintenta.",
                        "The database is busy; retry.",
                    ));
                }
                _ => {}
            }
        }
        AppError::Internal(e.to_string())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("background task failed: {e}"))
    }
}

/// An RFC 9457 problem document in both languages; rendered in one by the middleware.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub kind: &'static str,
    pub title: Msg,
    pub detail: Msg,
    pub errors: Vec<FieldError>,
    pub existing_id: Option<String>,
    pub allowed: Option<Vec<String>>,
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, title: Msg, detail: Msg) -> Self {
        Problem {
            status,
            kind,
            title,
            detail,
            errors: Vec::new(),
            existing_id: None,
            allowed: None,
            retry_after: None,
        }
    }

    /// The JSON body in one language.
    pub fn to_json(&self, lang: Lang) -> serde_json::Value {
        #[derive(Serialize)]
        struct Field<'a> {
            field: &'a str,
            code: &'a str,
            message: &'a str,
        }
        let pick = |m: &Msg| -> String {
            match lang {
                Lang::Es => m.es.clone(),
                Lang::En => m.en.clone(),
            }
        };
        let mut body = serde_json::json!({
            "type": format!("/docs/errors#{}", self.kind),
            "title": pick(&self.title),
            "status": self.status.as_u16(),
            "detail": pick(&self.detail),
        });
        if !self.errors.is_empty() {
            let errors: Vec<Field> = self
                .errors
                .iter()
                .map(|e| Field {
                    field: &e.field,
                    code: e.code,
                    message: match lang {
                        Lang::Es => &e.message.es,
                        Lang::En => &e.message.en,
                    },
                })
                .collect();
            body["errors"] = serde_json::json!(errors);
        }
        if let Some(id) = &self.existing_id {
            body["existing_id"] = serde_json::json!(id);
        }
        if let Some(allowed) = &self.allowed {
            body["allowed"] = serde_json::json!(allowed);
        }
        if let Some(secs) = self.retry_after {
            body["retry_after"] = serde_json::json!(secs);
        }
        body
    }

    fn into_response_in(self, lang: Lang) -> Response {
        let body = self.to_json(lang).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.code()),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let problem = self.problem();
        // Rendered in Spanish here; the middleware re-renders it in the caller's language.
        let mut response = problem.clone().into_response_in(Lang::Es);
        response.extensions_mut().insert(problem);
        response
    }
}

/// The two languages of the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Es,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, Spanish otherwise.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        let Some(value) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::Es;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag.starts_with("es") {
                Lang::Es
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Es)
    }
}

/// Renders every error response as a problem document in the caller's language.
/// Marks an error-status response whose own body is the answer (e.g. `/healthz` at 503 with
/// the details of what is degraded): [`localize_problems`] leaves it alone.
#[derive(Debug, Clone, Copy)]
pub struct KeepBody;

pub async fn localize_problems(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let response = next.run(request).await;
    if response.extensions().get::<KeepBody>().is_some() {
        return response;
    }
    if let Some(problem) = response.extensions().get::<Problem>().cloned() {
        let (parts, _) = response.into_parts();
        let mut fresh = problem.into_response_in(lang);
        for (name, value) in parts.headers.iter() {
            if name != header::CONTENT_TYPE
                && name != header::CONTENT_LENGTH
                && name != header::CONTENT_LANGUAGE
            {
                fresh.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return fresh;
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if (status.is_client_error() || status.is_server_error()) && !is_problem && !is_html {
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Produced outside our handlers (an extractor's rejection, a layer inside this one), so
            // nothing logged it yet; its own body is the only account of what went wrong.
            let body = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap_or_default();
            tracing::error!(%method, path = uri.path(), body = %String::from_utf8_lossy(&body), "internal error outside a handler");
        }
        return generic_problem(status).into_response_in(lang);
    }
    response
}

/// A problem for a status produced outside our handlers (routing, layers).
fn generic_problem(status: StatusCode) -> Problem {
    let (kind, title, detail) = match status {
        StatusCode::NOT_FOUND => (
            "not-found",
            msg("No encontrado", "Not found"),
            msg("Esa ruta no existe.", "That route does not exist."),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            msg("Método no permitido", "Method not allowed"),
            msg(
                "Esa ruta no acepta este método HTTP.",
                "That route does not accept this HTTP method.",
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => return AppError::PayloadTooLarge.problem(),
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => (
            "unavailable",
            msg("No disponible", "Unavailable"),
            msg(
                "El servidor no pudo responder a tiempo; reintenta.",
                "The server could not answer in time; retry.",
            ),
        ),
        s if s.is_server_error() => return AppError::Internal(String::new()).problem(),
        _ => (
            "bad-request",
            msg("Solicitud inválida", "Bad request"),
            msg("La solicitud no es válida.", "The request is not valid."),
        ),
    };
    Problem::new(status, kind, title, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_highest_quality_supported() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_headers(&h), Lang::Es);
        h.insert(
            header::ACCEPT_LANGUAGE,
            "fr-FR, en-US;q=0.8, es;q=0.5".parse().unwrap(),
        );
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert(header::ACCEPT_LANGUAGE, "en;q=0.3, es-PE".parse().unwrap());
        assert_eq!(Lang::from_headers(&h), Lang::Es);
    }

    #[test]
    fn validation_problem_lists_fields_in_language() {
        let e = AppError::validation(
            "telefono",
            "invalid_phone",
            msg("Teléfono inválido", "Invalid phone"),
        );
        let en = e.problem().to_json(Lang::En);
        assert_eq!(en["status"], 422);
        assert_eq!(en["errors"][0]["field"], "telefono");
        assert_eq!(en["errors"][0]["message"], "Invalid phone");
        let es = e.problem().to_json(Lang::Es);
        assert_eq!(es["errors"][0]["message"], "Teléfono inválido");
        assert_eq!(es["type"], "/docs/errors#validation");
    }

    #[tokio::test]
    async fn a_500_from_outside_a_handler_becomes_a_problem_without_its_internals() {
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/x",
                axum::routing::get(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Missing request extension: secret",
                    )
                }),
            )
            .layer(axum::middleware::from_fn(localize_problems));
        let request = Request::builder()
            .uri("/x")
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("\"status\":500"), "{text}");
        assert!(!text.contains("secret"), "internals leaked: {text}");
    }
}
