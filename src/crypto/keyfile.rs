//! The keyring file: where it lives, its format, and reading/writing it atomically.
//!
//! Format (UTF-8 text, mode 0600, one entry a line, `#` starts a comment):
//!
//! ```text
//! # Autónomo keyring
//! index <64 hex>   the blind-index key (HMAC-SHA256), never rotated by `keys rotate`
//! key <64 hex>     the current master key: seals new values (the first `key` line)
//! key <64 hex>     an older master key: still opens values sealed with it
//! ```
//!
//! A file holding one bare 64-hex line (the format before key rotation existed) is a single
//! `key`; its blind-index key is derived from it, exactly as before, so existing indexes and
//! sealed secrets keep working.

use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::error::AppError;

const KEY_FILE: &str = "master.key";

/// The keys in a keyring file.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyFile {
    /// Master keys, current first.
    pub keys: Vec<[u8; 32]>,
    /// The blind-index key, when stored explicitly (else derived from the last key).
    pub index: Option<[u8; 32]>,
}

/// Where the keyring of `data_dir` lives: `AUTONOMO_MASTER_KEY_FILE` or `<data-dir>/master.key`.
pub fn path_for(data_dir: &Path) -> PathBuf {
    std::env::var_os("AUTONOMO_MASTER_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir.join(KEY_FILE))
}

/// The data directory a database file belongs to: `<dir>/tenants/x.db` → `<dir>`,
/// `<dir>/control.db` → `<dir>`.
pub fn data_dir_of(db: &Path) -> Option<PathBuf> {
    let parent = db.parent()?;
    if parent.file_name().is_some_and(|n| n == "tenants") {
        parent.parent().map(Path::to_path_buf)
    } else {
        Some(parent.to_path_buf())
    }
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text.trim()).ok()?;
    bytes.try_into().ok()
}

/// Parses a keyring file's text.
pub fn parse(text: &str, path: &Path) -> Result<KeyFile, AppError> {
    let bad = |line: usize, why: &str| {
        AppError::internal(format!(
            "master key file {} line {line}: {why} (expected `key <64 hex>` or `index <64 hex>`)",
            path.display()
        ))
    };
    let mut file = KeyFile {
        keys: Vec::new(),
        index: None,
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (kind, value) = line
            .split_once(char::is_whitespace)
            .unwrap_or(("key", line));
        let key = hex32(value).ok_or_else(|| bad(n + 1, "not 64 hex characters"))?;
        match kind {
            "key" => file.keys.push(key),
            "index" if file.index.is_none() => file.index = Some(key),
            "index" => return Err(bad(n + 1, "a second `index` line")),
            _ => return Err(bad(n + 1, "unknown entry")),
        }
    }
    if file.keys.is_empty() {
        return Err(AppError::internal(format!(
            "master key file {} holds no key",
            path.display()
        )));
    }
    Ok(file)
}

/// Renders a keyring file.
pub fn render(file: &KeyFile) -> String {
    let mut out = String::from(
        "# Autónomo keyring: back it up apart from the databases and their backups.\n\
         # `index` = blind-index key; first `key` seals new values; every `key` opens.\n",
    );
    if let Some(index) = &file.index {
        out.push_str(&format!("index {}\n", hex::encode(index)));
    }
    for key in &file.keys {
        out.push_str(&format!("key {}\n", hex::encode(key)));
    }
    out
}

/// Reads the keyring file at `path`; a missing file is an error naming it.
pub fn read(path: &Path) -> Result<KeyFile, AppError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        AppError::internal(format!(
            "cannot read master key {}: {e}. Restore it from your key backup \
             (no se puede leer la clave maestra; restáurela de su copia)",
            path.display()
        ))
    })?;
    parse(&text, path)
}

/// Writes `file` to `path` atomically (temporary file, fsync, rename), mode 0600.
pub fn write(path: &Path, file: &KeyFile) -> Result<(), AppError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(AppError::internal)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        use std::io::Write;
        let mut f = options.open(&tmp)?;
        f.write_all(render(file).as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        AppError::internal(format!("cannot write master key {}: {e}", path.display()))
    })
}

/// Creates a keyring with one fresh key, refusing when `data_dir` already holds brand
/// databases: those were sealed with a key that must be restored, not replaced.
pub fn create(path: &Path, data_dir: &Path) -> Result<(), AppError> {
    let has_brands = std::fs::read_dir(data_dir.join("tenants"))
        .map(|dir| {
            dir.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "db"))
        })
        .unwrap_or(false);
    if has_brands {
        return Err(AppError::internal(format!(
            "master key {} is missing but {} already holds brand databases sealed with it. \
             Restore the key file from your key backup (or point AUTONOMO_MASTER_KEY_FILE at it). \
             Falta la clave maestra; restáurela de su copia de seguridad.",
            path.display(),
            data_dir.display()
        )));
    }
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    if path.exists() {
        return Ok(());
    }
    write(
        path,
        &KeyFile {
            keys: vec![key],
            index: None,
        },
    )?;
    tracing::warn!(path = %path.display(), "created a new master key: back it up apart from the databases");
    Ok(())
}

/// A fresh random key.
pub fn fresh_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}
