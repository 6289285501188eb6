//! Per-brand WhatsApp numbers in the control database: which brand owns a `phone_number_id`,
//! with its verify token, app secret and access token sealed by the install's keyring.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::crypto::{Keyring, mask};
use crate::error::{AppError, msg};
use crate::tenants::Slug;

/// Blind-index purpose of verify tokens.
const TOKEN_PURPOSE: &str = "whatsapp.verify_token";

/// What `autonomo whatsapp set` stores (plain text; sealed on write).
#[derive(Debug, Clone)]
pub struct NumberInput {
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub verify_token: String,
    pub app_secret: String,
    pub access_token: String,
    pub mps: Option<u32>,
}

/// A brand's number with secrets opened, for the webhook and the delivery.
#[derive(Clone)]
pub struct NumberConfig {
    pub slug: Slug,
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub verify_token: String,
    pub app_secret: String,
    pub access_token: String,
    pub mps: u32,
}

impl std::fmt::Debug for NumberConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumberConfig")
            .field("slug", &self.slug.as_str())
            .field("phone_number_id", &self.phone_number_id)
            .finish_non_exhaustive()
    }
}

/// The masked view shown by `whatsapp show` and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NumberView {
    pub marca: String,
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub verify_token: String,
    pub app_secret: String,
    pub access_token: String,
    pub mps: u32,
}

impl NumberConfig {
    pub fn masked(&self) -> NumberView {
        NumberView {
            marca: self.slug.as_str().to_owned(),
            phone_number_id: self.phone_number_id.clone(),
            waba_id: self.waba_id.clone(),
            verify_token: mask(&self.verify_token),
            app_secret: mask(&self.app_secret),
            access_token: mask(&self.access_token),
            mps: self.mps,
        }
    }
}

fn digits(field: &str, v: &str) -> Result<(), AppError> {
    if v.is_empty() || v.len() > 32 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(
            field,
            "digits",
            msg(
                "Debe ser un identificador numérico de Meta.",
                "Must be a numeric Meta id.",
            ),
        ));
    }
    Ok(())
}

impl NumberInput {
    fn validate(&self) -> Result<(), AppError> {
        digits("phone_number_id", &self.phone_number_id)?;
        if let Some(w) = &self.waba_id {
            digits("business_account_id", w)?;
        }
        for (field, v) in [
            ("verify_token", &self.verify_token),
            ("app_secret", &self.app_secret),
            ("access_token", &self.access_token),
        ] {
            if v.trim().is_empty() {
                return Err(AppError::validation(
                    field,
                    "required",
                    msg("No puede estar vacío.", "Must not be empty."),
                ));
            }
        }
        if self.mps == Some(0) {
            return Err(AppError::validation(
                "mps",
                "range",
                msg("Debe ser al menos 1.", "Must be at least 1."),
            ));
        }
        Ok(())
    }
}

/// Stores (or replaces) the brand's number; one number per brand.
pub fn set(
    conn: &Connection,
    keyring: &Keyring,
    slug: &Slug,
    input: &NumberInput,
    now: i64,
) -> Result<(), AppError> {
    input.validate()?;
    let owner: Option<String> = conn
        .query_row(
            "SELECT marca FROM whatsapp_numeros WHERE phone_number_id = ?1",
            [&input.phone_number_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(owner) = owner.filter(|o| o != slug.as_str()) {
        return Err(AppError::conflict(msg(
            format!("Ese número ya pertenece a la marca {owner}."),
            format!("That number already belongs to brand {owner}."),
        )));
    }
    conn.execute(
        "DELETE FROM whatsapp_numeros WHERE marca = ?1",
        [slug.as_str()],
    )?;
    conn.execute(
        "INSERT INTO whatsapp_numeros (phone_number_id, marca, waba_id, verify_token, verify_token_indice,
            app_secret, access_token, mps, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            input.phone_number_id,
            slug.as_str(),
            input.waba_id,
            keyring.seal(input.verify_token.trim()),
            keyring.blind_index(TOKEN_PURPOSE, input.verify_token.trim()),
            keyring.seal(input.app_secret.trim()),
            keyring.seal(input.access_token.trim()),
            input.mps.unwrap_or(80),
            now
        ],
    )?;
    Ok(())
}

const COLUMNS: &str =
    "marca, phone_number_id, waba_id, verify_token, app_secret, access_token, mps";

fn from_row(keyring: &Keyring, r: &rusqlite::Row) -> Result<NumberConfig, AppError> {
    let slug: String = r.get(0)?;
    let sealed = |i: usize| -> Result<String, AppError> { keyring.open(&r.get::<_, String>(i)?) };
    Ok(NumberConfig {
        slug: Slug::parse(&slug).map_err(|_| AppError::internal("bad slug in whatsapp_numeros"))?,
        phone_number_id: r.get(1)?,
        waba_id: r.get(2)?,
        verify_token: sealed(3)?,
        app_secret: sealed(4)?,
        access_token: sealed(5)?,
        mps: r.get::<_, i64>(6)?.clamp(1, 10_000) as u32,
    })
}

fn query_one(
    conn: &Connection,
    keyring: &Keyring,
    filter: &str,
    value: &str,
) -> Result<Option<NumberConfig>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM whatsapp_numeros WHERE {filter}"
    ))?;
    let mut rows = stmt.query([value])?;
    match rows.next()? {
        Some(r) => from_row(keyring, r).map(Some),
        None => Ok(None),
    }
}

pub fn by_brand(
    conn: &Connection,
    keyring: &Keyring,
    slug: &Slug,
) -> Result<Option<NumberConfig>, AppError> {
    query_one(conn, keyring, "marca = ?1", slug.as_str())
}

pub fn by_number(
    conn: &Connection,
    keyring: &Keyring,
    phone_number_id: &str,
) -> Result<Option<NumberConfig>, AppError> {
    query_one(conn, keyring, "phone_number_id = ?1", phone_number_id)
}

/// The numbers whose verify token is `token` (normally one), for the GET handshake.
pub fn by_verify_token(
    conn: &Connection,
    keyring: &Keyring,
    token: &str,
) -> Result<Vec<NumberConfig>, AppError> {
    let index = keyring.blind_index(TOKEN_PURPOSE, token);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM whatsapp_numeros WHERE verify_token_indice = ?1"
    ))?;
    let mut rows = stmt.query([index])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(from_row(keyring, r)?);
    }
    Ok(out)
}

/// Every configured number's app secret, to check a webhook for numbers no brand owns.
pub fn all(conn: &Connection, keyring: &Keyring) -> Result<Vec<NumberConfig>, AppError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM whatsapp_numeros"))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(from_row(keyring, r)?);
    }
    Ok(out)
}

/// Keeps a signed item for a number no brand owns (the operator may configure it later).
pub fn store_unknown(
    conn: &Connection,
    phone_number_id: &str,
    body: &[u8],
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO whatsapp_desconocidos (phone_number_id, cuerpo, recibido_en) VALUES (?1, ?2, ?3)",
        params![phone_number_id, body, now],
    )?;
    Ok(())
}

/// The brand's `phone_number_id` without opening any secret (the processor's routing filter).
pub fn number_of_brand(conn: &Connection, slug: &Slug) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row(
            "SELECT phone_number_id FROM whatsapp_numeros WHERE marca = ?1",
            [slug.as_str()],
            |r| r.get(0),
        )
        .optional()?)
}

/// The brand's number and its messages per second, without opening any secret (the outbox
/// asks before each claim how much the number can send).
pub fn rate_of_brand(conn: &Connection, slug: &Slug) -> Result<Option<(String, u32)>, AppError> {
    Ok(conn
        .prepare_cached("SELECT phone_number_id, mps FROM whatsapp_numeros WHERE marca = ?1")?
        .query_row([slug.as_str()], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)?.clamp(1, 10_000) as u32))
        })
        .optional()?)
}
