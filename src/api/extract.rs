//! `Json` and `Query` extractors that answer bad input with a clear problem document
//! (field, reason, both languages) instead of axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, msg};

/// A JSON body; malformed JSON, wrong types, unknown fields and oversize bodies are 4xx.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::BadRequest(msg(
            "Envía el cuerpo como JSON con `Content-Type: application/json`.",
            "Send the body as JSON with `Content-Type: application/json`.",
        )),
        JsonRejection::JsonSyntaxError(e) => AppError::BadRequest(msg(
            format!("JSON mal formado: {}", e.body_text()),
            format!("Malformed JSON: {}", e.body_text()),
        )),
        JsonRejection::JsonDataError(e) => AppError::validation(
            "body",
            "invalid_field",
            msg(
                format!("Datos con tipo o campo inválido: {}", e.body_text()),
                format!("A field has a wrong type or is unknown: {}", e.body_text()),
            ),
        ),
        other => AppError::BadRequest(msg(
            format!("Cuerpo ilegible: {}", other.body_text()),
            format!("Unreadable body: {}", other.body_text()),
        )),
    }
}

/// Query-string parameters; unknown or malformed parameters are a 400 naming them.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> AppError {
    AppError::BadRequest(msg(
        format!(
            "Parámetros de consulta inválidos: {}",
            rejection.body_text()
        ),
        format!("Invalid query parameters: {}", rejection.body_text()),
    ))
}
