//! CSRF protection with a synchronizer token: each session has a secret token that every
//! page embeds in its forms (`_csrf`) and htmx sends as `X-CSRF-Token`. A state-changing
//! request that does not carry it is refused before any handler runs.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

use crate::error::{AppError, msg};

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "_csrf";

/// Compares without an early exit, so response time does not reveal a matching prefix.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn refused() -> AppError {
    AppError::BadRequest(msg(
        "El formulario caducó o no es de esta sesión (CSRF). Recarga la página e inténtalo de nuevo.",
        "The form expired or is not from this session (CSRF). Reload the page and try again.",
    ))
}

/// Checks `req` carries `expected`, in the header or in the form body; returns the request
/// intact (its body buffered and put back) when it does.
pub async fn verify(req: Request, expected: &str, max_body: usize) -> Result<Request, AppError> {
    if let Some(v) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if same(v, expected) {
            Ok(req)
        } else {
            Err(refused())
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (parts, body) = req.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, max_body)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let presented = if content_type.starts_with("application/x-www-form-urlencoded") {
        form_field(bytes.clone()).await
    } else if content_type.starts_with("multipart/form-data") {
        multipart_field(&parts, bytes.clone()).await
    } else {
        None
    };
    match presented {
        Some(token) if same(&token, expected) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(refused()),
    }
}

/// Runs an extractor on a request rebuilt from already-buffered bytes. They were bounded when
/// read (larger on import screens), so axum's default 2 MB cap must not apply a second time.
async fn extract_whole<T>(req: Request) -> Option<T>
where
    T: FromRequest<()> + Send + 'static,
{
    use tower::{Layer, ServiceExt};
    let extract = tower::service_fn(|r: Request| async move {
        Ok::<_, std::convert::Infallible>(T::from_request(r, &()).await.ok())
    });
    axum::extract::DefaultBodyLimit::disable()
        .layer(extract)
        .oneshot(req)
        .await
        .ok()
        .flatten()
}

/// Finds `_csrf` in an urlencoded body, decoded by axum's own `Form` decoder.
async fn form_field(bytes: Bytes) -> Option<String> {
    let req = Request::builder()
        .method("POST")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(bytes))
        .ok()?;
    let axum::Form(pairs) = extract_whole::<axum::Form<Vec<(String, String)>>>(req).await?;
    pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v)
}

/// Reads multipart fields up to `_csrf` (forms put it first, before any file).
async fn multipart_field(parts: &axum::http::request::Parts, bytes: Bytes) -> Option<String> {
    let mut builder = Request::builder().method("POST");
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    let req = builder.body(Body::from(bytes)).ok()?;
    let mut multipart = extract_whole::<Multipart>(req).await?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }

    #[tokio::test]
    async fn form_and_header_tokens() {
        let ok = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("a=1&_csrf=tok&b=2"))
            .unwrap();
        let back = verify(ok, "tok", 1024).await.unwrap();
        let body = axum::body::to_bytes(back.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"a=1&_csrf=tok&b=2");
        let bad = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("a=1&_csrf=nope"))
            .unwrap();
        assert!(verify(bad, "tok", 1024).await.is_err());
        let header_ok = Request::builder()
            .method("POST")
            .header(HEADER, "tok")
            .body(Body::empty())
            .unwrap();
        assert!(verify(header_ok, "tok", 1024).await.is_ok());
        let json = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"_csrf\":\"tok\"}"))
            .unwrap();
        assert!(verify(json, "tok", 1024).await.is_err());
        let multipart = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XX")
            .body(Body::from(
                "--XX\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.csv\"\r\n\r\nx,y\r\n--XX--\r\n",
            ))
            .unwrap();
        assert!(verify(multipart, "tok", 4096).await.is_ok());
    }
}
