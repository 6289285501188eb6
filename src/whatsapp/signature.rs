//! `X-Hub-Signature-256` verification: HMAC-SHA256 of the raw webhook body, keyed with the app secret.
//!
//! Meta signs the bytes exactly as sent (with `\uXXXX` escapes), so this works on the raw body and never on
//! re-serialised JSON. A missing header is an error, never a skip.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The name of the header Meta sends, lowercase as `http::HeaderMap` stores it.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook signature was refused. Every variant means "answer 4xx and do not process".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header: a forged or misrouted request.
    #[error("falta la cabecera X-Hub-Signature-256")]
    Missing,
    /// The header is present but is not `sha256=<64 hex digits>`.
    #[error("la cabecera X-Hub-Signature-256 tiene un formato inválido")]
    Malformed,
    /// Well-formed header whose HMAC does not match the body: wrong secret, altered or re-encoded body.
    #[error("la firma X-Hub-Signature-256 no coincide con el cuerpo recibido")]
    Mismatch,
    /// The configured app secret is empty, so nothing could ever be verified.
    #[error("el secreto de la aplicación de WhatsApp no está configurado")]
    EmptySecret,
}

/// Checks `header` (the value of `X-Hub-Signature-256`, `None` when absent) against `body`, the request bytes
/// exactly as received, using the Meta **app secret** (not the verify token, not the access token).
///
/// Hex is decoded before comparing, so uppercase hex is accepted; the comparison is constant-time.
pub fn verify_signature(
    app_secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    if app_secret.is_empty() {
        return Err(SignatureError::EmptySecret);
    }
    let header = header.ok_or(SignatureError::Missing)?;
    let expected = parse_header(header)?;
    let mut mac =
        HmacSha256::new_from_slice(app_secret).map_err(|_| SignatureError::EmptySecret)?;
    mac.update(body);
    // `verify_slice` compares in constant time (via `subtle`), so timing leaks nothing about the digest.
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// Computes the header value Meta would send for `body`: `sha256=<lowercase hex>`.
/// Meant for tests and for signing outbound test traffic, never for verifying (use [`verify_signature`]).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, including empty, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(app_secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn parse_header(header: &str) -> Result<[u8; 32], SignatureError> {
    let hex_digest = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut out).map_err(|_| SignatureError::Malformed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::test_support::{fixture_bytes, fixture_json};

    fn secret() -> Vec<u8> {
        let vectors = fixture_json("inbound/signature_vectors.json");
        vectors["app_secret"]
            .as_str()
            .expect("app_secret in vectors")
            .as_bytes()
            .to_vec()
    }

    #[test]
    fn every_vector_in_the_fixture_behaves_as_documented() {
        let vectors = fixture_json("inbound/signature_vectors.json");
        let secret = secret();
        let list = vectors["vectors"].as_array().expect("vectors array");
        assert_eq!(list.len(), 6);
        for v in list {
            let file = v["file"].as_str().expect("file");
            let body = fixture_bytes(&format!("inbound/{file}"));
            let expect = v["expect"].as_str().expect("expect");
            if let Some(reserialised) = v["x_hub_signature_256_of_reserialized"].as_str() {
                // What a JSON middleware would hash: same keys and order, escapes decoded to UTF-8.
                let again = reserialise_keeping_order(&body);
                assert_ne!(again, body);
                assert_eq!(sign(&secret, &again), reserialised);
                let valid = list[0]["x_hub_signature_256"]
                    .as_str()
                    .expect("valid header");
                assert_eq!(
                    verify_signature(&secret, &again, Some(valid)),
                    Err(SignatureError::Mismatch)
                );
                continue;
            }
            let header = v["x_hub_signature_256"].as_str();
            let got = verify_signature(&secret, &body, header);
            match expect {
                "valid" => assert_eq!(got, Ok(()), "{v}"),
                "invalid" => assert_eq!(got, Err(SignatureError::Mismatch), "{v}"),
                "implementation-defined" => assert_eq!(got, Ok(()), "uppercase hex decodes: {v}"),
                e if e.starts_with("invalid (missing") => {
                    assert_eq!(got, Err(SignatureError::Missing), "{v}")
                }
                other => panic!("unknown expectation {other}"),
            }
        }
    }

    /// Re-encodes every JSON string literal of a compact body the way `json.dumps(ensure_ascii=False)`
    /// does (UTF-8, only `"`, `\\` and controls escaped), keeping key order.
    fn reserialise_keeping_order(body: &[u8]) -> Vec<u8> {
        let text = std::str::from_utf8(body).expect("utf8");
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('"') {
            out.push_str(&rest[..start]);
            let mut end = start + 1;
            let bytes = rest.as_bytes();
            while bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            let literal = &rest[start..=end];
            let decoded: String = serde_json::from_str(literal).expect("string literal");
            out.push_str(&serde_json::to_string(&decoded).expect("encode"));
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out.into_bytes()
    }

    #[test]
    fn sign_reproduces_the_fixture_headers() {
        let secret = secret();
        assert_eq!(
            sign(&secret, &fixture_bytes("inbound/raw_text_body.bin")),
            "sha256=19a6021f364f7c5b56abaa6eb8c3525db1e7c0a60a0d06523f1a8bd654d4f4da"
        );
        assert_eq!(
            sign(&secret, &fixture_bytes("inbound/text.json")),
            "sha256=e73b33df869b4d49422f72dd383cbbf6c7f5cfbc46219a2b8e6753dec510ac6d"
        );
    }

    #[test]
    fn forged_bodies_are_refused() {
        let secret = secret();
        let body = fixture_bytes("inbound/raw_text_body.bin");
        let header = sign(&secret, &body);
        // One flipped byte anywhere, an appended newline, a truncated body.
        let mut flipped = body.clone();
        flipped[40] ^= 1;
        let mut newline = body.clone();
        newline.push(b'\n');
        for forged in [flipped, newline, body[..body.len() - 1].to_vec()] {
            assert_eq!(
                verify_signature(&secret, &forged, Some(&header)),
                Err(SignatureError::Mismatch)
            );
        }
        // The right body signed with another key (e.g. the verify token by mistake).
        let wrong = sign(b"verify-token-not-the-secret", &body);
        assert_eq!(
            verify_signature(&secret, &body, Some(&wrong)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn decoded_unicode_reserialisation_is_refused() {
        // The escaped body contains \u00e9 etc.; a round trip that writes UTF-8 breaks the HMAC.
        let secret = secret();
        let body = fixture_bytes("inbound/raw_text_body.bin");
        let header = sign(&secret, &body);
        let text = String::from_utf8(body).expect("ascii body");
        assert!(text.contains("\\u00"), "fixture keeps Meta's escapes");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        let pretty = serde_json::to_vec_pretty(&value).expect("pretty");
        assert_eq!(
            verify_signature(&secret, &pretty, Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_told_apart() {
        let secret = secret();
        let body = b"{}";
        for bad in [
            "",
            "sha256=",
            "sha1=19a6021f364f7c5b56abaa6eb8c3525db1e7c0a60a0d06523f1a8bd654d4f4da",
            "19a6021f364f7c5b56abaa6eb8c3525db1e7c0a60a0d06523f1a8bd654d4f4da",
            "sha256=zz",
            "sha256=19a6021f364f7c5b56abaa6eb8c3525db1e7c0a60a0d06523f1a8bd654d4f4",
            "sha256=19a6021f364f7c5b56abaa6eb8c3525db1e7c0a60a0d06523f1a8bd654d4f4da00",
            "sha256=é9a6021f364f7c5b56abaa6eb8c3525db1e7c0a60a0d06523f1a8bd654d4f4d",
        ] {
            assert_eq!(
                verify_signature(&secret, body, Some(bad)),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            verify_signature(&secret, body, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(b"", body, Some(&sign(b"", body))),
            Err(SignatureError::EmptySecret)
        );
    }

    #[test]
    fn errors_read_in_spanish() {
        assert_eq!(
            SignatureError::Missing.to_string(),
            "falta la cabecera X-Hub-Signature-256"
        );
    }
}
