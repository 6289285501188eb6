//! API tokens: random secrets shown once, stored only as SHA-256 hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Access, Caller};
use crate::db::Database;
use crate::error::{AppError, msg};
use crate::tenants::Slug;
use crate::time::now_ms;

const PREFIX: &str = "atk_";

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates a token for one brand (or every brand when `brand` is `None`) and returns it.
/// This is the only moment the token exists in clear.
pub async fn create(
    control: &Database,
    brand: Option<Slug>,
    access: Access,
    label: String,
) -> Result<String, AppError> {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let digest = hash(&token);
    control
        .write(move |c| {
            if let Some(slug) = &brand {
                let exists: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM marcas WHERE slug = ?1)",
                    [slug.as_str()],
                    |r| r.get(0),
                )?;
                if !exists {
                    return Err(AppError::NotFound("marca"));
                }
            }
            c.execute(
                "INSERT INTO api_tokens (hash, marca, alcance, etiqueta, creado_en) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![digest, brand.as_ref().map(Slug::as_str), access.as_str(), label, now_ms()],
            )?;
            Ok(())
        })
        .await?;
    Ok(token)
}

/// Resolves a presented token to a caller; unknown or revoked tokens are unauthenticated.
pub async fn authenticate(control: &Database, token: &str) -> Result<Caller, AppError> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Err(AppError::Unauthenticated);
    }
    let digest = hash(token);
    let row = control
        .read(move |c| {
            Ok(c.query_row(
                "SELECT id, marca, alcance FROM api_tokens WHERE hash = ?1 AND revocado_en IS NULL",
                [digest],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()?)
        })
        .await?;
    let (id, brand, scope) = row.ok_or(AppError::Unauthenticated)?;
    let access = Access::parse(&scope).ok_or_else(|| AppError::internal("bad stored scope"))?;
    let brand = brand.map(|b| Slug::parse(&b)).transpose()?;
    Ok(Caller::token(id, brand, access))
}

/// Like [`authenticate`], answered from the registry's cache of the control database.
pub async fn authenticate_cached(
    registry: &crate::tenants::Registry,
    token: &str,
) -> Result<Caller, AppError> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Err(AppError::Unauthenticated);
    }
    let (id, brand, scope) = registry
        .active_token(hash(token))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let access = Access::parse(&scope).ok_or_else(|| AppError::internal("bad stored scope"))?;
    let brand = brand.map(|b| Slug::parse(&b)).transpose()?;
    Ok(Caller::token(id, brand, access))
}

/// Revokes a token by id.
pub async fn revoke(control: &Database, id: i64) -> Result<(), AppError> {
    let changed = control
        .write(move |c| {
            Ok(c.execute(
                "UPDATE api_tokens SET revocado_en = ?2 WHERE id = ?1 AND revocado_en IS NULL",
                params![id, now_ms()],
            )?)
        })
        .await?;
    if changed == 0 {
        return Err(AppError::BadRequest(msg(
            "No hay un token activo con ese id.",
            "There is no active token with that id.",
        )));
    }
    Ok(())
}
