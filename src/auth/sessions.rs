//! Staff login sessions: a random cookie value whose SHA-256 is stored in the control
//! database with its CSRF token and expiry, and the middleware that turns a valid cookie
//! into a [`Caller`] (checking CSRF on every unsafe request) before any handler runs.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::users::{self, User};
use crate::app::AppState;
use crate::db::Database;
use crate::error::AppError;
use crate::time::now_ms;

/// The session cookie's name.
pub const COOKIE: &str = "autonomo_sesion";
/// A session unused this long ends (a shift plus a margin).
pub const IDLE_MS: i64 = 12 * 3600 * 1000;
/// A session ends this long after login whatever its use.
pub const ABSOLUTE_MS: i64 = 7 * 24 * 3600 * 1000;
/// `usado_en` is refreshed at most this often, so reading pages does not mean writing.
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;

/// The logged-in person of a request, put in the request's extensions by [`layer`].
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    hash: Vec<u8>,
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Starts a session for `user_id` and returns the cookie value. `previous`, the cookie the
/// browser presented (if any), is ended: a login always gets a fresh id (no fixation).
pub async fn start(
    control: &Database,
    user_id: i64,
    previous: Option<String>,
) -> Result<String, AppError> {
    let token = random_token();
    let (digest, csrf) = (hash(&token), random_token());
    let old = previous.map(|p| hash(&p));
    // The login is recorded in the audit trail as the person who logged in.
    control
        .write_as(format!("user:{user_id}"), move |c| {
            let now = now_ms();
            if let Some(old) = old {
                c.execute("DELETE FROM sesiones WHERE hash = ?1", [old])?;
            }
            // Housekeeping in the same write: expired sessions go.
            c.execute(
                "DELETE FROM sesiones WHERE expira_en < ?1 OR usado_en < ?2",
                params![now, now - IDLE_MS],
            )?;
            c.execute(
                "INSERT INTO sesiones (hash, usuario_id, csrf, creado_en, usado_en, expira_en)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                params![digest, user_id, csrf, now, now + ABSOLUTE_MS],
            )?;
            Ok(())
        })
        .await?;
    Ok(token)
}

/// The live session for a cookie value; `None` when unknown, expired or the account is off.
pub async fn lookup(control: &Database, token: &str) -> Result<Option<Session>, AppError> {
    if token.len() != 43 {
        return Ok(None);
    }
    let digest = hash(token);
    let now = now_ms();
    let key = digest.clone();
    let found = control
        .read(move |c| {
            let row: Option<(i64, String, i64, i64)> = c
                .query_row(
                    "SELECT usuario_id, csrf, usado_en, expira_en FROM sesiones WHERE hash = ?1",
                    [&key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((user_id, csrf, used, expires)) = row else {
                return Ok(None);
            };
            if expires < now || used < now - IDLE_MS {
                return Ok(None);
            }
            let user = users::get(c, user_id)?.filter(|u| u.active);
            Ok(user.map(|u| (u, csrf, used)))
        })
        .await?;
    let Some((user, csrf, used)) = found else {
        return Ok(None);
    };
    if used < now - TOUCH_EVERY_MS {
        let key = digest.clone();
        control
            .write(move |c| {
                c.execute(
                    "UPDATE sesiones SET usado_en = ?2 WHERE hash = ?1",
                    params![key, now],
                )?;
                Ok(())
            })
            .await?;
    }
    Ok(Some(Session {
        user,
        csrf,
        hash: digest,
    }))
}

/// Ends the session (logout).
pub async fn end(control: &Database, session: &Session) -> Result<(), AppError> {
    let key = session.hash.clone();
    control
        .write(move |c| {
            c.execute("DELETE FROM sesiones WHERE hash = ?1", [key])?;
            Ok(())
        })
        .await
}

/// The value of cookie `name` in the request, if present.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The peer address, when the server was started with connect info.
fn peer(req_headers_ext: &axum::http::Extensions) -> Option<IpAddr> {
    req_headers_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's IP. `X-Forwarded-For` is believed only from a proxy on this machine
/// (loopback peer): a remote client cannot pose as one.
pub fn client_ip(headers: &HeaderMap, ext: &axum::http::Extensions) -> Option<IpAddr> {
    let peer = peer(ext)?;
    if peer.is_loopback()
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next_back())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return Some(forwarded);
    }
    Some(peer)
}

/// True when the browser reached us over HTTPS: the binary serves plain HTTP, so this is a
/// proxy on this machine saying so with `X-Forwarded-Proto: https`.
pub fn is_https(headers: &HeaderMap, ext: &axum::http::Extensions) -> bool {
    peer(ext).is_some_and(|p| p.is_loopback())
        && headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// `Strict-Transport-Security` on every answer to a browser that came over HTTPS (through
/// the local TLS proxy): never over plain HTTP, where it would be ignored or, on a LAN
/// address without a certificate, lock staff out.
pub async fn hsts(req: Request, next: Next) -> Response {
    let https = is_https(req.headers(), req.extensions());
    let mut response = next.run(req).await;
    if https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure over HTTPS; `None` clears it.
pub fn set_cookie(name: &str, value: Option<&str>, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match value {
        Some(v) => {
            format!("{name}={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
        }
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Middleware: a valid session cookie becomes the request's [`Caller`] and [`Session`];
/// a request that changes anything must carry the session's CSRF token (header
/// `X-CSRF-Token`, or a `_csrf` form field), or it is refused before reaching a handler.
/// A bearer token wins over a cookie and needs no CSRF token (browsers never send one).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.headers().contains_key(header::AUTHORIZATION) {
        return next.run(req).await;
    }
    let Some(token) = cookie(req.headers(), COOKIE) else {
        return next.run(req).await;
    };
    let session = match lookup(state.registry.control(), &token).await {
        Ok(Some(s)) => s,
        Ok(None) => return next.run(req).await,
        Err(e) => return e.into_response(),
    };
    // The login form carries its own token (there may be no session yet); a login from a
    // browser that still holds an old session must not trip over that session's token.
    let mut req = if is_safe(req.method()) || req.uri().path() == "/login" {
        req
    } else {
        let limit = if crate::web::csvkit::is_upload_path(req.uri().path()) {
            crate::web::csvkit::UPLOAD_MAX_BYTES
        } else {
            state.config.max_body_bytes
        };
        match super::csrf::verify(req, &session.csrf, limit).await {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        }
    };
    req.extensions_mut().insert(session.user.caller());
    req.extensions_mut().insert(session);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; autonomo_sesion=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn cookie_attributes() {
        let v = set_cookie(COOKIE, Some("t"), 60, true);
        let s = v.to_str().unwrap();
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax") && s.contains("Secure"));
        let v = set_cookie(COOKIE, None, 0, false);
        assert!(v.to_str().unwrap().contains("Max-Age=0"));
        assert!(!v.to_str().unwrap().contains("Secure"));
    }
}
