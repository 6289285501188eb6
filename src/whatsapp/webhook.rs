//! The webhook endpoint `/api/webhooks/whatsapp`: the GET handshake and the signed POST.
//!
//! The POST only verifies and stores: the raw bytes are checked against the app secret of each
//! brand named in the payload, written to that brand's `wa_eventos` in one group-commit write,
//! and answered 200; [`super::ingest`] does the rest asynchronously so Meta never waits.

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::config::{self, NumberConfig};
use super::{HandshakeQuery, SIGNATURE_HEADER, verify_signature};
use crate::app::AppState;
use crate::error::AppError;
use crate::time::now_ms;

/// Meta sends up to 3 MB per webhook; the API default (1 MiB) would refuse big batches.
pub const MAX_WEBHOOK_BYTES: usize = 3 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/webhooks/whatsapp",
        get(handshake)
            .post(receive)
            .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES)),
    )
}

fn plain(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.to_owned(),
    )
        .into_response()
}

async fn handshake(State(state): State<AppState>, Query(q): Query<HandshakeQuery>) -> Response {
    let token = q.verify_token.clone().unwrap_or_default();
    let keyring = state.keyring.clone();
    let found = state
        .registry
        .control()
        .read(move |c| config::by_verify_token(c, &keyring, &token))
        .await;
    let numbers = match found {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    for number in &numbers {
        if let Ok(challenge) = q.verify(&number.verify_token) {
            tracing::info!(marca = %number.slug.as_str(), "webhook de WhatsApp verificado");
            return plain(StatusCode::OK, challenge);
        }
    }
    plain(StatusCode::FORBIDDEN, "forbidden")
}

/// Only the routing keys of a body, read leniently (a bad shape just yields no ids).
#[derive(Deserialize)]
struct Ids {
    #[serde(default)]
    entry: Vec<IdsEntry>,
}
#[derive(Deserialize)]
struct IdsEntry {
    #[serde(default)]
    changes: Vec<IdsChange>,
}
#[derive(Deserialize)]
struct IdsChange {
    #[serde(default)]
    value: Option<IdsValue>,
}
#[derive(Deserialize)]
struct IdsValue {
    #[serde(default)]
    metadata: Option<IdsMeta>,
}
#[derive(Deserialize)]
struct IdsMeta {
    #[serde(default)]
    phone_number_id: Option<serde_json::Value>,
}

/// The distinct `phone_number_id`s of a body.
pub fn phone_number_ids(body: &[u8]) -> BTreeSet<String> {
    let Ok(ids) = serde_json::from_slice::<Ids>(body) else {
        return BTreeSet::new();
    };
    ids.entry
        .iter()
        .flat_map(|e| &e.changes)
        .filter_map(|c| {
            c.value
                .as_ref()?
                .metadata
                .as_ref()?
                .phone_number_id
                .as_ref()
        })
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match accept(&state, &headers, body).await {
        Ok(()) => plain(StatusCode::OK, "ok"),
        Err(e) => e.into_response(),
    }
}

/// Verifies and stores; `Ok` means every brand in the body has the event durably.
pub async fn accept(state: &AppState, headers: &HeaderMap, body: Bytes) -> Result<(), AppError> {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if signature.is_none() {
        tracing::warn!("webhook de WhatsApp sin firma: rechazado");
        crate::alerts::signature_failed();
        return Err(AppError::Unauthenticated);
    }
    let ids = phone_number_ids(&body);
    let keyring = state.keyring.clone();
    let (known, all) = state
        .registry
        .control()
        .read(move |c| {
            let mut known = Vec::new();
            for id in ids {
                let number = config::by_number(c, &keyring, &id)?;
                known.push((id, number));
            }
            let all = if known.iter().any(|(_, n)| n.is_none()) {
                config::all(c, &keyring)?
            } else {
                Vec::new()
            };
            Ok((known, all))
        })
        .await?;
    let signed_by = |n: &NumberConfig| {
        verify_signature(n.app_secret.as_bytes(), &body, signature.as_deref()).is_ok()
    };
    let mut verified = Vec::new();
    let mut unknown = Vec::new();
    for (id, number) in known {
        match number {
            Some(number) if signed_by(&number) => verified.push(number),
            Some(_) => {}
            // A number no brand owns is kept only when some configured app secret signed it.
            None if all.iter().any(signed_by) => unknown.push(id),
            None => {}
        }
    }
    if verified.is_empty() && unknown.is_empty() {
        tracing::warn!("webhook de WhatsApp con firma inválida o número desconocido: rechazado");
        crate::alerts::signature_failed();
        return Err(AppError::Unauthenticated);
    }
    let now = now_ms();
    for number in verified {
        let tenant = state.registry.tenant(&number.slug).await?;
        let bytes = body.clone();
        tenant
            .db()
            .write_as("system:whatsapp-webhook", move |c| {
                // Sealed: the body carries the person's number, name and message text.
                c.prepare_cached(
                    "INSERT INTO wa_eventos (cuerpo, recibido_en) VALUES (pii_seal(?1), ?2)",
                )?
                .execute(rusqlite::params![bytes.as_ref(), now])?;
                Ok(())
            })
            .await?;
    }
    if !unknown.is_empty() {
        tracing::warn!(numeros = ?unknown, "webhook de WhatsApp para un número sin marca: guardado");
        let bytes = body.clone();
        state
            .registry
            .control()
            .write(move |c| {
                for id in &unknown {
                    config::store_unknown(c, id, &bytes, now)?;
                }
                Ok(())
            })
            .await?;
    }
    super::ingest::wake();
    Ok(())
}
