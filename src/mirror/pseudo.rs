//! Pseudonymisation of personal fields: a keyed hash (HMAC-SHA256) so the mirror can still
//! join and count by phone or e-mail without holding them.
//!
//! The key lives in `<data-dir>/mirror.key` (created on first use, mode 0600). Appliances
//! that should produce joinable pseudonyms in one central database share that file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "mirror.key";
/// Every pseudonym starts with this, so nobody mistakes one for a real value.
pub const PREFIX: &str = "seud:";

/// Turns personal values into pseudonyms, or passes them through when allowed.
#[derive(Clone)]
pub struct Pseudonymizer {
    key: Option<[u8; 32]>,
}

impl Pseudonymizer {
    /// Copies personal data as is (`include_personal_data = true`).
    pub fn passthrough() -> Pseudonymizer {
        Pseudonymizer { key: None }
    }

    /// Reads the key of `data_dir`, creating it the first time.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Pseudonymizer> {
        Ok(Pseudonymizer {
            key: Some(load_or_create_key(&data_dir.join(KEY_FILE))?),
        })
    }

    pub fn with_key(key: [u8; 32]) -> Pseudonymizer {
        Pseudonymizer { key: Some(key) }
    }

    pub fn is_passthrough(&self) -> bool {
        self.key.is_none()
    }

    /// The value to store in the mirror. Empty values stay empty: they reveal nothing and
    /// keep "has a phone" questions answerable.
    pub fn apply(&self, value: &str) -> String {
        match &self.key {
            None => value.to_string(),
            Some(_) if value.is_empty() => String::new(),
            Some(key) => pseudonym(key, value),
        }
    }
}

/// `seud:` + the first 128 bits of HMAC-SHA256(key, value), in hex.
pub fn pseudonym(key: &[u8; 32], value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    format!("{PREFIX}{}", hex::encode(&digest[..16]))
}

fn load_or_create_key(path: &PathBuf) -> anyhow::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => return parse_key(&text).with_context(|| format!("{}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e)
                .with_context(|| format!("no se pudo leer / cannot read {}", path.display()));
        }
    }
    let key: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)?;
            parse_key(&text)
        }
        Err(e) => {
            Err(e).with_context(|| format!("no se pudo crear / cannot create {}", path.display()))
        }
    }
}

fn parse_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(text.trim()).ok();
    match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
        Some(key) => Ok(key),
        None => {
            bail!("clave del espejo inválida (64 dígitos hex) / invalid mirror key (64 hex digits)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = Pseudonymizer::load_or_create(dir.path()).unwrap();
        let b = Pseudonymizer::load_or_create(dir.path()).unwrap();
        assert_eq!(a.apply("+51987654321"), b.apply("+51987654321"));
        assert_ne!(a.apply("+51987654321"), a.apply("+51987654322"));
        assert!(a.apply("x@y.pe").starts_with(PREFIX));
        assert_eq!(a.apply(""), "");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = tempfile::tempdir().unwrap();
        let c = Pseudonymizer::load_or_create(other.path()).unwrap();
        assert_ne!(
            a.apply("x@y.pe"),
            c.apply("x@y.pe"),
            "keys differ per data dir"
        );
        assert_eq!(Pseudonymizer::passthrough().apply("x@y.pe"), "x@y.pe");
    }

    #[test]
    fn a_damaged_key_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not hex").unwrap();
        assert!(Pseudonymizer::load_or_create(dir.path()).is_err());
    }
}
