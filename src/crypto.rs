//! Encryption at rest: sealing secrets and personal fields with XChaCha20-Poly1305, and
//! keyed blind indexes so sealed values can still be looked up by equality.
//!
//! The master key comes from `AUTONOMO_MASTER_KEY_FILE` or `<data-dir>/master.key` (created
//! with mode 0600 on first use). It is never written to a database, so database files and
//! their backups are useless without it. A random 192-bit nonce per value means nonces never
//! repeat in practice. Sealed text is `enc1:<key id>:<base64 nonce‖ciphertext>`, so a key
//! rotation can tell old values from new ones.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{AppError, msg};

const PREFIX: &str = "enc1";
const KEY_FILE: &str = "master.key";

/// The install's keys, derived from one master key.
pub struct Keyring {
    key_id: String,
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Loads the master key from `AUTONOMO_MASTER_KEY_FILE`, or from the data dir (creating it).
    pub fn load(data_dir: &Path) -> Result<Keyring, AppError> {
        let path = std::env::var_os("AUTONOMO_MASTER_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join(KEY_FILE));
        if !path.exists() {
            create_key_file(&path)?;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            AppError::internal(format!("cannot read master key {}: {e}", path.display()))
        })?;
        let bytes = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                AppError::internal(format!(
                    "master key {} must be 64 hex characters",
                    path.display()
                ))
            })?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Keyring::from_key(&key))
    }

    /// Builds a keyring from raw key bytes (tests, rotation).
    pub fn from_key(master: &[u8; 32]) -> Keyring {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let enc_key = derive(b"autonomo/encryption/v1");
        let key_id = hex::encode(&Sha256::digest(derive(b"autonomo/key-id/v1"))[..4]);
        Keyring {
            key_id,
            cipher: XChaCha20Poly1305::new((&enc_key).into()),
            index_key: derive(b"autonomo/blind-index/v1"),
        }
    }

    /// Encrypts `plaintext` with a fresh random nonce.
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        format!("{PREFIX}:{}:{}", self.key_id, URL_SAFE_NO_PAD.encode(blob))
    }

    /// Decrypts a value made by [`Keyring::seal`]; tampering or a wrong key is an error.
    pub fn open(&self, sealed: &str) -> Result<String, AppError> {
        let bad =
            || AppError::internal("a sealed value could not be decrypted (wrong key or tampered)");
        let mut parts = sealed.splitn(3, ':');
        let (Some(PREFIX), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if key_id != self.key_id {
            return Err(AppError::Unavailable(msg(
                "Este dato se cifró con otra clave maestra.",
                "This value was sealed with another master key.",
            )));
        }
        let blob = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())?;
        if blob.len() < 24 + 16 {
            return Err(bad());
        }
        let (nonce, ciphertext) = blob.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| bad())?;
        String::from_utf8(plain).map_err(|_| bad())
    }

    /// True when `value` looks sealed (so migrations can seal only what is not yet).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with("enc1:")
    }

    /// A keyed hash of `value` for equality lookups; `purpose` keeps indexes of different
    /// fields unlinkable.
    pub fn blind_index(&self, purpose: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// Shows only the last four characters of a secret.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 4 {
        return "••••".into();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

fn create_key_file(path: &Path) -> Result<(), AppError> {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(AppError::internal)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        AppError::internal(format!("cannot create master key {}: {e}", path.display()))
    })?;
    use std::io::Write;
    file.write_all(hex::encode(key).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| AppError::internal(format!("cannot write master key: {e}")))?;
    tracing::warn!(path = %path.display(), "created a new master key: back it up apart from the databases");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_with_fresh_nonces() {
        let k = Keyring::from_key(&[7; 32]);
        let a = k.seal("EAAG-secret-token");
        let b = k.seal("EAAG-secret-token");
        assert_ne!(a, b, "a fresh nonce every time");
        assert!(!a.contains("secret"));
        assert_eq!(k.open(&a).unwrap(), "EAAG-secret-token");
        assert!(Keyring::is_sealed(&a));
    }

    #[test]
    fn tampering_and_wrong_keys_are_refused() {
        let k = Keyring::from_key(&[7; 32]);
        let sealed = k.seal("hola");
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(k.open(&String::from_utf8(bytes).unwrap()).is_err());
        assert!(Keyring::from_key(&[8; 32]).open(&sealed).is_err());
        for junk in ["", "enc1", "enc1:x:", "enc1:x:!!!", "plain"] {
            assert!(k.open(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn blind_index_is_stable_keyed_and_per_purpose() {
        let k = Keyring::from_key(&[7; 32]);
        assert_eq!(
            k.blind_index("telefono", "+51987654321"),
            k.blind_index("telefono", "+51987654321")
        );
        assert_ne!(
            k.blind_index("telefono", "+51987654321"),
            k.blind_index("email", "+51987654321")
        );
        assert_ne!(
            k.blind_index("telefono", "x"),
            Keyring::from_key(&[8; 32]).blind_index("telefono", "x")
        );
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = Keyring::load(dir.path()).unwrap();
        let b = Keyring::load(dir.path()).unwrap();
        assert_eq!(b.open(&a.seal("x")).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(mask("EAAGabcd1234"), "••••1234");
        assert_eq!(mask("abc"), "••••");
    }
}
