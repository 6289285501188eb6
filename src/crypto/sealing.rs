//! Which columns hold sealed values, the start-up check that the key file fits a brand, the
//! one-time sealing of values written before sealing existed, and the re-sealing a key
//! rotation does. All writes go through the brand's writer in small batches, so a running
//! server keeps serving between them.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use super::Keyring;
use crate::db::Database;
use crate::error::AppError;

/// A sealed column: table, the column, and the blind index it feeds (column, purpose), if any.
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    pub blind_index: Option<(&'static str, &'static str)>,
    /// BLOB column (raw webhook bodies) rather than TEXT.
    pub blob: bool,
    /// The columns that find one row: `rowid`, or the primary key of a WITHOUT ROWID table.
    pub key: &'static [&'static str],
}

const fn col(table: &'static str, column: &'static str) -> SealedColumn {
    SealedColumn {
        table,
        column,
        blind_index: None,
        blob: false,
        key: &["rowid"],
    }
}

/// Every sealed column of a brand database.
pub const SEALED: &[SealedColumn] = &[
    SealedColumn {
        blind_index: Some(("telefono_bi", PHONE)),
        ..col("clientes", "telefono")
    },
    SealedColumn {
        blind_index: Some(("email_bi", EMAIL)),
        ..col("clientes", "email")
    },
    col("clientes", "direccion"),
    col("clientes", "notas"),
    col("interacciones", "cuerpo"),
    col("conversaciones", "ultimo_resumen"),
    col("outbox", "cuerpo"),
    SealedColumn {
        blob: true,
        ..col("wa_eventos", "cuerpo")
    },
    // Tenant V20: the WhatsApp identity and the remaining free text about a person.
    SealedColumn {
        blind_index: Some(("wa_id_bi", WA_ID)),
        ..col("clientes", "wa_id")
    },
    SealedColumn {
        blind_index: Some(("wa_id_bi", WA_ID)),
        ..col("wa_contactos", "wa_id")
    },
    SealedColumn {
        blind_index: Some(("bsuid_bi", BSUID)),
        ..col("wa_contactos", "bsuid")
    },
    col("wa_contactos", "nombre_perfil"),
    col("wa_contactos", "username"),
    col("pedidos", "notas"),
    col("pedido_estados", "nota"),
    col("recordatorios", "texto"),
    col("encuestas", "comentario"),
    // Where a message goes (a wa_id, BSUID, e-mail address or chat id).
    col("outbox", "destino"),
    // Tenant V24: the last free text about a person. Loyalty notes, support tickets, handoff
    // reasons, what the person asked the bot for, and provider errors (which can echo a
    // message or a phone number).
    col("fidelidad_movimientos", "nota"),
    col("tickets_soporte", "asunto"),
    col("tickets_soporte", "detalle"),
    col("conversaciones", "motivo_humano"),
    col("wa_bot", "carrito"),
    col("outbox", "ultimo_error"),
    // The same provider error text kept with the delivery state (shown in the thread) and in
    // the status callback log.
    col("wa_salientes", "error_detalle"),
    SealedColumn {
        key: &["wamid", "estado"],
        ..col("wa_estados", "errores")
    },
];

/// Sealed columns of the control database (integration secrets).
pub const CONTROL_SEALED: &[SealedColumn] = &[
    col("whatsapp_numeros", "verify_token"),
    col("whatsapp_numeros", "app_secret"),
    col("whatsapp_numeros", "access_token"),
];

/// Blind-index purpose of the E.164 phone.
pub const PHONE: &str = "telefono";
/// Blind-index purpose of the normalised e-mail.
pub const EMAIL: &str = "email";
/// Blind-index purpose of a WhatsApp `wa_id` exactly as Meta sends it (digits, no `+`).
pub const WA_ID: &str = "wa_id";
/// Blind-index purpose of a WhatsApp business-scoped user id (BSUID).
pub const BSUID: &str = "bsuid";

const BATCH: i64 = 500;

/// The constant whose blind index tells whether a key file belongs to a brand.
fn control(ring: &Keyring) -> String {
    ring.blind_index("control", "autonomo")
}

/// Refuses to start when a brand database under `data_dir` was sealed with another key file;
/// reads only (nothing is opened for writing, nothing migrated). Reads every brand file, and
/// each read parses the brand's whole schema (≈ 4 ms): for commands that are about to use
/// every brand anyway (`keys`). Opening the registry uses [`check_first`].
pub fn check_all(data_dir: &std::path::Path, ring: &Keyring) -> Result<(), AppError> {
    let expected = control(ring);
    for path in brand_files(data_dir) {
        if stored_control(&path).is_some_and(|f| f != expected) {
            return Err(wrong_key(&path.display().to_string()));
        }
    }
    Ok(())
}

/// Like [`check_all`], stopping at the first brand file that says which key it belongs to:
/// a key file that is not this data directory's (the mistake this guards against: a lost
/// key replaced, a data directory moved without its key) is refused before anything opens,
/// at the cost of one file whatever the number of brands. Each brand is checked again
/// before it is opened and migrated ([`check_connection`]), so a single brand sealed with
/// another key is refused there, unchanged, while the others serve.
pub fn check_first(data_dir: &std::path::Path, ring: &Keyring) -> Result<(), AppError> {
    let expected = control(ring);
    for path in brand_files(data_dir) {
        match stored_control(&path) {
            Some(found) if found != expected => {
                return Err(wrong_key(&path.display().to_string()));
            }
            Some(_) => return Ok(()),
            None => {}
        }
    }
    Ok(())
}

/// The brand database files under `data_dir`, by name.
fn brand_files(data_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(dir) = std::fs::read_dir(data_dir.join("tenants")) else {
        return Vec::new();
    };
    let mut files: Vec<_> = dir
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "db"))
        .collect();
    files.sort();
    files
}

/// The key check value stored in a brand file, read without a trace.
fn stored_control(path: &std::path::Path) -> Option<String> {
    // `immutable`: reads the main file only and creates no -wal/-shm, so the check leaves
    // no trace. A file being written reads as "unknown" here; opening the brand checks again
    // ([`check_connection`], then `prepare`).
    let immutable = format!("file:{}?immutable=1", path.display());
    read_control(&immutable).or_else(|| {
        // A brand whose writes were never checkpointed (a server stopped without closing, a
        // short life) holds the value in its WAL only: read it through the WAL, whose -wal
        // and -shm files exist already, or a command that does not open brands (`tenant
        // list`) would run with a wrong key file.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::path::Path::new(&wal)
            .exists()
            .then(|| read_control(&format!("file:{}?mode=ro", path.display())))
            .flatten()
    })
}

fn read_control(uri: &str) -> Option<String> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    Connection::open_with_flags(uri, flags)
        .and_then(|conn| {
            conn.query_row("SELECT control_indice FROM cifrado", [], |r| r.get(0))
                .optional()
        })
        .unwrap_or(None)
}

fn wrong_key(path: &str) -> AppError {
    AppError::internal(format!(
        "the master key file does not belong to {path}: its data was sealed with another \
         key. Restore the right key file (la clave maestra no corresponde a estos datos; \
         restaure el archivo de claves correcto)"
    ))
}

/// Refuses a brand database (on the connection about to migrate it) whose data was sealed
/// with another key file; a file without the check value yet (new, or older than
/// encryption at rest) passes. Reads only.
pub fn check_connection(c: &Connection, ring: &Keyring) -> Result<(), AppError> {
    let has_table: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cifrado')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(());
    }
    let found: Option<String> = c
        .query_row("SELECT control_indice FROM cifrado", [], |r| r.get(0))
        .optional()?;
    match found {
        Some(f) if f != control(ring) => Err(wrong_key(c.path().unwrap_or("?"))),
        _ => Ok(()),
    }
}

/// Checks the key file against the brand and seals what is still clear. Runs on every open;
/// after the first completed pass it is one read and nothing else: no write transaction, no
/// commit, no fsync (`tests` in `tenants::registry` hold it to that).
pub async fn prepare(db: &Arc<Database>) -> Result<(), AppError> {
    let ring = Keyring::for_database(db.path())?;
    let expected = control(&ring);
    let path = db.path().display().to_string();
    // A plain read on the writer's connection, outside any transaction: no write lock, and
    // no reader connection (which would be the CLI's only reader of the brand and leave
    // -wal/-shm files behind at exit). Only a brand that still needs work gets a write.
    let stored = db
        .maintain(|c| {
            Ok(
                c.query_row("SELECT control_indice, sellado_en FROM cifrado", [], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
                })
                .optional()?,
            )
        })
        .await?;
    let done = match stored {
        Some((found, _)) if found != expected => return Err(wrong_key(&path)),
        Some((_, done)) => done.is_some(),
        None => {
            db.write_as("system:crypto", move |c| {
                c.execute(
                    "INSERT OR IGNORE INTO cifrado (id, control_indice) VALUES (1, ?1)",
                    [expected],
                )?;
                Ok(())
            })
            .await?;
            false
        }
    };
    if done {
        return Ok(());
    }
    let sealed = reseal(db, &ring, Pass::SealClear, SEALED).await?;
    if sealed > 0 {
        tracing::info!(db = %db.path().display(), values = sealed, "sealed personal fields written before encryption at rest");
        // The clear copies live on in WAL frames until the WAL is rewritten: fold it into the
        // file now (secure_delete zeroes what the sealed values replaced), as an erasure does.
        if let Err(e) = db.truncate_wal().await {
            tracing::warn!(error = %e, db = %db.path().display(), "WAL not truncated after sealing; the next checkpoint does it");
        }
    }
    db.write_as("system:crypto", |c| {
        c.execute(
            "UPDATE cifrado SET sellado_en = ?1",
            [crate::time::now_ms()],
        )?;
        Ok(())
    })
    .await
}

/// What a pass over the sealed columns does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Seal values still in clear (and set their blind indexes).
    SealClear,
    /// Re-seal values sealed with any key but the current one (key rotation).
    Rotate,
}

/// Runs `pass` over every sealed column in batches of [`BATCH`] rows, each batch one write;
/// returns how many values changed.
pub async fn reseal(
    db: &Arc<Database>,
    ring: &Arc<Keyring>,
    pass: Pass,
    columns: &'static [SealedColumn],
) -> Result<u64, AppError> {
    let mut total = 0u64;
    for column in columns {
        loop {
            let ring = ring.clone();
            let n = db
                .write_as("system:crypto", move |c| batch(c, column, &ring, pass))
                .await?;
            total += n;
            if n < BATCH as u64 {
                break;
            }
        }
    }
    Ok(total)
}

fn batch(c: &Connection, s: &SealedColumn, ring: &Keyring, pass: Pass) -> Result<u64, AppError> {
    let value = if s.blob {
        format!("CAST({} AS TEXT)", s.column)
    } else {
        s.column.to_string()
    };
    let current = format!("enc1:{}:%", ring.current_key_id());
    let filter = match pass {
        Pass::SealClear => format!("{value} NOT LIKE 'enc1:%'"),
        Pass::Rotate => format!("{value} LIKE 'enc1:%' AND {value} NOT LIKE ?2"),
    };
    let sql = format!(
        "SELECT {column}, {key} FROM {table} WHERE {column} IS NOT NULL AND length({column}) > 0 \
         AND {filter} LIMIT ?1",
        column = s.column,
        key = s.key.join(", "),
        table = s.table,
    );
    let mut stmt = c.prepare(&sql)?;
    let keys = s.key.len();
    let read = |r: &rusqlite::Row| read_row(r, keys);
    let rows: Vec<(Vec<rusqlite::types::Value>, Vec<u8>)> = if pass == Pass::Rotate {
        stmt.query_map(params![BATCH, current], read)?
            .collect::<Result<_, _>>()?
    } else {
        stmt.query_map(params![BATCH], read)?
            .collect::<Result<_, _>>()?
    };
    // The row: `k1 = ?4 AND k2 = ?5 …` after the new value (?1), the old one (?2) and the
    // blind index (?3, NULL when there is none).
    let row_filter = s
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 4))
        .collect::<Vec<_>>()
        .join(" AND ");
    for (key, old) in &rows {
        let plain = match pass {
            Pass::SealClear => old.clone(),
            Pass::Rotate => ring.open_bytes(old)?,
        };
        let sealed = ring.seal_bytes(&plain);
        // Sealing a clear value also sets its blind index; a rotation leaves blind indexes as
        // they are (the index key is not rotated).
        let bi = match (pass, s.blind_index) {
            (Pass::SealClear, Some((column, purpose))) => Some((
                column,
                ring.blind_index(purpose, &String::from_utf8_lossy(&plain)),
            )),
            _ => None,
        };
        let set_bi = bi
            .as_ref()
            .map(|(column, _)| format!(", {column} = ?3"))
            .unwrap_or_default();
        // Compare-and-set: a value changed meanwhile by the server is left for the next batch.
        let mut update = c.prepare_cached(&format!(
            "UPDATE {table} SET {column} = ?1{set_bi} WHERE {row_filter} AND {column} = ?2",
            table = s.table,
            column = s.column,
        ))?;
        let as_value = |bytes: Vec<u8>| -> Result<rusqlite::types::Value, AppError> {
            Ok(if s.blob {
                rusqlite::types::Value::Blob(bytes)
            } else {
                rusqlite::types::Value::Text(String::from_utf8(bytes).map_err(AppError::internal)?)
            })
        };
        let (new, old) = (as_value(sealed)?, as_value(old.clone())?);
        let bi = bi.map_or(rusqlite::types::Value::Null, |(_, bi)| bi.into());
        let values = [new, old, bi].into_iter().chain(key.iter().cloned());
        update.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(rows.len() as u64)
}

/// The value (column 0) and the row's key (the `keys` columns after it).
fn read_row(
    r: &rusqlite::Row,
    keys: usize,
) -> rusqlite::Result<(Vec<rusqlite::types::Value>, Vec<u8>)> {
    use rusqlite::types::ValueRef;
    let bytes = match r.get_ref(0)? {
        ValueRef::Text(t) | ValueRef::Blob(t) => t.to_vec(),
        _ => Vec::new(),
    };
    let key = (1..=keys).map(|i| r.get(i)).collect::<Result<_, _>>()?;
    Ok((key, bytes))
}

/// How many values of the brand are sealed with a key other than the current one.
pub fn count_old(
    c: &Connection,
    ring: &Keyring,
    columns: &[SealedColumn],
) -> Result<u64, AppError> {
    let current = format!("enc1:{}:%", ring.current_key_id());
    let mut total = 0u64;
    for s in columns {
        let n: i64 = c.query_row(
            &format!(
                "SELECT COUNT(*) FROM {t} WHERE CAST({col} AS TEXT) LIKE 'enc1:%' \
                 AND CAST({col} AS TEXT) NOT LIKE ?1",
                t = s.table,
                col = s.column
            ),
            [&current],
            |r| r.get(0),
        )?;
        total += n as u64;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A brand whose check value was never checkpointed into its main file: the key check
    /// reads it through the WAL (a `tenant list` with a wrong key file once succeeded so).
    #[test]
    fn a_check_value_still_in_the_wal_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tenants")).unwrap();
        let right = Keyring::from_key(&[7; 32]);
        let brand = Connection::open(dir.path().join("tenants/b.db")).unwrap();
        brand
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE cifrado (control_indice TEXT);",
            )
            .unwrap();
        brand
            .execute("INSERT INTO cifrado VALUES (?1)", [control(&right)])
            .unwrap();
        assert!(check_first(dir.path(), &right).is_ok());
        let wrong = Keyring::from_key(&[8; 32]);
        let err = check_first(dir.path(), &wrong).unwrap_err().to_string();
        assert!(err.contains("does not belong"), "{err}");
        assert!(check_all(dir.path(), &wrong).is_err());
        // Kept open to the end: closing the last connection would checkpoint the WAL.
        drop(brand);
    }
}
