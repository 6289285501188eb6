//! SQL functions that seal, open and blind-index personal fields inside queries, registered on
//! every connection next to the audit functions. The keyring is the one of the data directory
//! the database file lives in, found on first use (so opening a file never needs the key:
//! restore tools and erasure replays that never read a sealed value work without it).
//!
//! - `pii_seal(x)`: NULL and '' unchanged, else a sealed value with the current key.
//! - `pii_open(x)`: NULL and values not sealed unchanged, else the plaintext (error if the
//!   key is unknown or the value was tampered with).
//! - `pii_bi(purpose, x)`: NULL unchanged, else the keyed blind index of `x`.
//! - `pii_fold(x)`: lower case without accents (searching opened text as FTS did).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};

use super::Keyring;

/// Where a connection finds its keyring.
struct Source {
    db: Option<PathBuf>,
    ring: OnceLock<Arc<Keyring>>,
}

impl Source {
    fn ring(&self) -> rusqlite::Result<&Arc<Keyring>> {
        if let Some(r) = self.ring.get() {
            return Ok(r);
        }
        let ring = match &self.db {
            Some(db) => Keyring::for_database(db).map_err(to_sql)?,
            None => Keyring::ephemeral(),
        };
        Ok(self.ring.get_or_init(|| ring))
    }
}

fn to_sql(e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(e.to_string().into())
}

/// Registers `pii_seal`, `pii_open` and `pii_bi` on `conn`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let db = conn.path().filter(|p| !p.is_empty()).map(PathBuf::from);
    let source = Arc::new(Source {
        db,
        ring: OnceLock::new(),
    });
    let flags = FunctionFlags::SQLITE_UTF8;
    let s = std::panic::AssertUnwindSafe(source.clone());
    conn.create_scalar_function("pii_seal", 1, flags, move |ctx: &Context| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Null => Value::Null,
            ValueRef::Text(b"") => Value::Text(String::new()),
            ValueRef::Text(t) if t.starts_with(b"enc1:") => {
                Value::Text(String::from_utf8_lossy(t).into_owned())
            }
            ValueRef::Text(t) => {
                Value::Text(String::from_utf8(s.ring()?.seal_bytes(t)).map_err(to_sql)?)
            }
            ValueRef::Blob(b) => Value::Blob(s.ring()?.seal_bytes(b)),
            other => Value::from(other),
        })
    })?;
    let s = std::panic::AssertUnwindSafe(source.clone());
    conn.create_scalar_function(
        "pii_open",
        1,
        flags | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx: &Context| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(t) if t.starts_with(b"enc1:") => Value::Text(
                    String::from_utf8(s.ring()?.open_bytes(t).map_err(to_sql)?).map_err(to_sql)?,
                ),
                ValueRef::Blob(b) if b.starts_with(b"enc1:") => {
                    Value::Blob(s.ring()?.open_bytes(b).map_err(to_sql)?)
                }
                other => Value::from(other),
            })
        },
    )?;
    conn.create_scalar_function(
        "pii_fold",
        1,
        flags | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx: &Context| Ok(ctx.get::<Option<String>>(0)?.map(|t| fold(&t))),
    )?;
    let s = std::panic::AssertUnwindSafe(source);
    conn.create_scalar_function(
        "pii_bi",
        2,
        flags | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx: &Context| {
            let purpose: String = ctx.get(0)?;
            Ok(match ctx.get_raw(1) {
                ValueRef::Null => None,
                ValueRef::Text(t) => Some(
                    s.ring()?
                        .blind_index(&purpose, std::str::from_utf8(t).map_err(to_sql)?),
                ),
                _ => return Err(to_sql("pii_bi takes text")),
            })
        },
    )
}

/// Lower case with Spanish/Portuguese accents removed, for substring search in opened text.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .collect()
}
