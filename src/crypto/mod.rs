//! Encryption at rest: sealing secrets and personal fields with XChaCha20-Poly1305, and
//! keyed blind indexes so sealed values can still be looked up by equality.
//!
//! The master key comes from `AUTONOMO_MASTER_KEY_FILE` or `<data-dir>/master.key` (created
//! with mode 0600 on first use). It is never written to a database, so database files and
//! their backups are useless without it. A random 192-bit nonce per value means nonces never
//! repeat in practice. Sealed text is `enc1:<key id>:<base64 nonce‖ciphertext>`, so a key
//! rotation can tell old values from new ones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{AppError, msg};

pub mod command;
pub mod keyfile;
pub mod sealing;
pub mod sql;

const PREFIX: &str = "enc1";

/// How often a keyring backed by a file checks whether the file changed (a rotation by
/// `autonomo keys rotate` from another process): a running server starts sealing with the
/// new key within this time, without a restart.
pub const RELOAD_INTERVAL: Duration = Duration::from_millis(500);

/// One master key: its id (a hash, safe to store next to values) and its cipher.
struct MasterKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl MasterKey {
    fn new(master: &[u8; 32]) -> MasterKey {
        let enc_key = derive(master, b"autonomo/encryption/v1");
        MasterKey {
            id: key_id(master),
            cipher: XChaCha20Poly1305::new((&enc_key).into()),
        }
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// The public id of a master key (first 4 bytes of a hash of a derived value).
pub fn key_id(master: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(derive(master, b"autonomo/key-id/v1"))[..4])
}

/// The blind-index key a keyring file stands for: explicit, or derived from its oldest key
/// (a file from before rotation existed has exactly one key).
pub fn index_key_of(file: &keyfile::KeyFile) -> [u8; 32] {
    file.index.unwrap_or_else(|| {
        let oldest = file.keys.last().expect("a parsed key file has a key");
        derive(oldest, b"autonomo/blind-index/v1")
    })
}

struct Keys {
    /// Current key first; every key opens.
    keys: Vec<MasterKey>,
    index_key: [u8; 32],
}

impl Keys {
    fn from_file(file: &keyfile::KeyFile) -> Keys {
        Keys {
            keys: file.keys.iter().map(MasterKey::new).collect(),
            index_key: index_key_of(file),
        }
    }
}

/// The install's keys. A keyring loaded from a file re-reads it when it changes, so a key
/// rotation done by another process reaches a running server.
pub struct Keyring {
    path: Option<PathBuf>,
    keys: RwLock<Arc<Keys>>,
    /// When the file was last looked at, and its modification time then.
    checked: Mutex<(Instant, Option<SystemTime>)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("key_id", &self.current_key_id())
            .finish_non_exhaustive()
    }
}

/// Keyrings by file, shared by every connection and handler of the process.
static RINGS: Mutex<Option<HashMap<PathBuf, Arc<Keyring>>>> = Mutex::new(None);

/// The keyring of the process's own data directory: used for database files outside any data
/// directory (a restore writing to `--to somewhere.db`).
static DEFAULT: std::sync::OnceLock<Arc<Keyring>> = std::sync::OnceLock::new();

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Keyring {
    /// The keyring of `data_dir` (`AUTONOMO_MASTER_KEY_FILE` or `<data-dir>/master.key`),
    /// creating the file for a new install. A missing file next to existing brand databases
    /// is an error: they were sealed with it.
    pub fn load(data_dir: &Path) -> Result<Arc<Keyring>, AppError> {
        let path = keyfile::path_for(data_dir);
        if !path.exists() {
            keyfile::create(&path, data_dir)?;
        }
        let ring = Self::at(&path)?;
        let _ = DEFAULT.set(ring.clone());
        Ok(ring)
    }

    /// Like [`Keyring::load`] but never creates a key file (restore tools).
    pub fn load_existing(data_dir: &Path) -> Result<Arc<Keyring>, AppError> {
        let ring = Self::at(&keyfile::path_for(data_dir))?;
        let _ = DEFAULT.set(ring.clone());
        Ok(ring)
    }

    /// The keyring of the data directory a database file lives in; never creates a key.
    pub fn for_database(db: &Path) -> Result<Arc<Keyring>, AppError> {
        let dir = keyfile::data_dir_of(db)
            .ok_or_else(|| AppError::internal("database without a data directory"))?;
        let path = keyfile::path_for(&dir);
        match DEFAULT.get() {
            Some(ring) if !path.exists() => Ok(ring.clone()),
            _ => Self::at(&path),
        }
    }

    /// The keyring of the database `conn` is open on (the ephemeral one for in-memory
    /// databases), as the `pii_*` SQL functions find it.
    pub fn for_connection(conn: &rusqlite::Connection) -> Result<Arc<Keyring>, AppError> {
        match conn.path().filter(|p| !p.is_empty()) {
            Some(p) => Self::for_database(Path::new(p)),
            None => Ok(Self::ephemeral()),
        }
    }

    /// The shared keyring read from `path`.
    pub fn at(path: &Path) -> Result<Arc<Keyring>, AppError> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut rings = RINGS.lock().unwrap_or_else(|p| p.into_inner());
        let rings = rings.get_or_insert_with(HashMap::new);
        if let Some(ring) = rings.get(&key) {
            return Ok(ring.clone());
        }
        let file = keyfile::read(path)?;
        let ring = Arc::new(Keyring {
            path: Some(path.to_path_buf()),
            keys: RwLock::new(Arc::new(Keys::from_file(&file))),
            checked: Mutex::new((Instant::now(), mtime(path))),
        });
        rings.insert(key, ring.clone());
        Ok(ring)
    }

    /// Builds a keyring from raw key bytes (tests).
    pub fn from_key(master: &[u8; 32]) -> Keyring {
        Self::from_file(&keyfile::KeyFile {
            keys: vec![*master],
            index: None,
        })
    }

    /// A keyring of the given keys, not backed by a file.
    pub fn from_file(file: &keyfile::KeyFile) -> Keyring {
        Keyring {
            path: None,
            keys: RwLock::new(Arc::new(Keys::from_file(file))),
            checked: Mutex::new((Instant::now(), None)),
        }
    }

    /// A process-wide keyring with a random key, for connections without a data directory
    /// (in-memory databases in tests and tools).
    pub fn ephemeral() -> Arc<Keyring> {
        static EPHEMERAL: std::sync::OnceLock<Arc<Keyring>> = std::sync::OnceLock::new();
        EPHEMERAL
            .get_or_init(|| Arc::new(Keyring::from_key(&keyfile::fresh_key())))
            .clone()
    }

    fn snapshot(&self) -> Arc<Keys> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Re-reads the file if it changed since the last look (at most every
    /// [`RELOAD_INTERVAL`] unless `force`).
    fn refresh(&self, force: bool) {
        let Some(path) = &self.path else { return };
        let mut checked = self.checked.lock().unwrap_or_else(|p| p.into_inner());
        if !force && checked.0.elapsed() < RELOAD_INTERVAL {
            return;
        }
        let now_mtime = mtime(path);
        checked.0 = Instant::now();
        if now_mtime == checked.1 && !force {
            return;
        }
        match keyfile::read(path) {
            Ok(file) => {
                checked.1 = now_mtime;
                *self.keys.write().unwrap_or_else(|p| p.into_inner()) =
                    Arc::new(Keys::from_file(&file));
            }
            Err(e) => {
                tracing::warn!(error = %e, "keyring file changed but cannot be read; keeping the keys in memory")
            }
        }
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> String {
        self.refresh(false);
        self.snapshot().keys[0].id.clone()
    }

    /// Ids of every key that can open values.
    pub fn key_ids(&self) -> Vec<String> {
        self.refresh(false);
        self.snapshot().keys.iter().map(|k| k.id.clone()).collect()
    }

    /// Encrypts `plaintext` with the current key and a fresh random nonce.
    pub fn seal(&self, plaintext: &str) -> String {
        String::from_utf8(self.seal_bytes(plaintext.as_bytes())).expect("sealed values are ASCII")
    }

    /// Encrypts bytes; the result is the ASCII of a sealed value.
    pub fn seal_bytes(&self, plaintext: &[u8]) -> Vec<u8> {
        self.refresh(false);
        let keys = self.snapshot();
        let key = &keys.keys[0];
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = key
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext)
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        format!("{PREFIX}:{}:{}", key.id, URL_SAFE_NO_PAD.encode(blob)).into_bytes()
    }

    /// Decrypts a value made by [`Keyring::seal`]; tampering or a wrong key is an error.
    pub fn open(&self, sealed: &str) -> Result<String, AppError> {
        let plain = self.open_bytes(sealed.as_bytes())?;
        String::from_utf8(plain).map_err(|_| bad_value())
    }

    /// Decrypts a sealed value to bytes.
    pub fn open_bytes(&self, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
        let text = std::str::from_utf8(sealed).map_err(|_| bad_value())?;
        let mut parts = text.splitn(3, ':');
        let (Some(PREFIX), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad_value());
        };
        let mut keys = self.snapshot();
        if !keys.keys.iter().any(|k| k.id == key_id) {
            // Sealed by a key this process has not seen yet (a rotation in another process).
            self.refresh(true);
            keys = self.snapshot();
        }
        let Some(key) = keys.keys.iter().find(|k| k.id == key_id) else {
            return Err(AppError::Unavailable(msg(
                format!(
                    "Este dato se cifró con una clave maestra ({key_id}) que no está en el archivo de claves."
                ),
                format!(
                    "This value was sealed with a master key ({key_id}) that is not in the key file."
                ),
            )));
        };
        let blob = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad_value())?;
        if blob.len() < 24 + 16 {
            return Err(bad_value());
        }
        let (nonce, ciphertext) = blob.split_at(24);
        key.cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| bad_value())
    }

    /// Opens `value` if sealed, returns it unchanged otherwise (values written before
    /// sealing existed, until the start-up pass seals them).
    pub fn open_if_sealed(&self, value: &str) -> Result<String, AppError> {
        if Self::is_sealed(value) {
            self.open(value)
        } else {
            Ok(value.to_owned())
        }
    }

    /// True when `value` looks sealed (so migrations can seal only what is not yet).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with("enc1:")
    }

    /// A keyed hash of `value` for equality lookups; `purpose` keeps indexes of different
    /// fields unlinkable. The index key is not rotated with the master key (see docs).
    pub fn blind_index(&self, purpose: &str, value: &str) -> String {
        let keys = self.snapshot();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&keys.index_key)
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

fn bad_value() -> AppError {
    AppError::internal("a sealed value could not be decrypted (wrong key or tampered)")
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
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(mask("EAAGabcd1234"), "••••1234");
        assert_eq!(mask("abc"), "••••");
    }
}
