//! The webhook verification handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`).

use serde::Deserialize;
use subtle::ConstantTimeEq;

/// The query string Meta sends; deserialise it with axum's `Query<HandshakeQuery>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct HandshakeQuery {
    #[serde(rename = "hub.mode", default)]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token", default)]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge", default)]
    pub challenge: Option<String>,
}

/// Why the handshake was refused (answer 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("hub.mode debe ser «subscribe»")]
    WrongMode,
    #[error("el token de verificación no coincide")]
    WrongToken,
    #[error("falta hub.challenge")]
    MissingChallenge,
}

impl HandshakeQuery {
    /// Checks mode and token (constant-time) against the brand's verify token and returns the
    /// challenge to echo **byte for byte** as a `text/plain` 200 body (never parsed, never quoted).
    pub fn verify(&self, expected_token: &str) -> Result<&str, HandshakeError> {
        if self.mode.as_deref() != Some("subscribe") {
            return Err(HandshakeError::WrongMode);
        }
        let given = self.verify_token.as_deref().unwrap_or("");
        let matches: bool = given.as_bytes().ct_eq(expected_token.as_bytes()).into();
        if expected_token.is_empty() || !matches {
            return Err(HandshakeError::WrongToken);
        }
        self.challenge
            .as_deref()
            .ok_or(HandshakeError::MissingChallenge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> HandshakeQuery {
        // The same urlencoded decoding axum's `Query` uses.
        serde_json::from_value(serde_json::Value::Object(
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
                .collect(),
        ))
        .expect("query")
    }

    #[test]
    fn echoes_the_challenge_only_for_the_right_token() {
        let q =
            query("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=gollos-secreto");
        assert_eq!(q.verify("gollos-secreto"), Ok("1158201444"));
        assert_eq!(q.verify("otro"), Err(HandshakeError::WrongToken));
        assert_eq!(q.verify(""), Err(HandshakeError::WrongToken));
        let opaque = query("hub.mode=subscribe&hub.challenge=abc 00123&hub.verify_token=t");
        assert_eq!(
            opaque.verify("t"),
            Ok("abc 00123"),
            "opaque, not an integer"
        );
        let unsub = query("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=t");
        assert_eq!(unsub.verify("t"), Err(HandshakeError::WrongMode));
        assert_eq!(
            query("hub.mode=subscribe&hub.verify_token=t").verify("t"),
            Err(HandshakeError::MissingChallenge)
        );
        assert_eq!(
            HandshakeQuery::default().verify("t"),
            Err(HandshakeError::WrongMode)
        );
    }
}
