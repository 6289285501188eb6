//! Staff accounts: argon2id password hashes, roles, and the brands each person works in.
//!
//! A role says what a person may do; the brands say where. Both become a [`Caller`] with an
//! [`Access`] level, so a session and an API token go through the same brand check.

pub mod cli;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Access, Caller};
use crate::db::Database;
use crate::error::{AppError, FieldError, msg};
use crate::tenants::Slug;
use crate::time::now_ms;

/// What a person does in the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read-only dashboards and reports.
    Analyst,
    /// Customers, orders and the inbox; no settings, no exports.
    Staff,
    /// Everything in their brands, including the users of those brands.
    Manager,
    /// Everything, in every brand.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::Staff, Role::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Staff => "staff",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The access level this role has in the brands it reaches.
    pub fn access(self) -> Access {
        match self {
            Role::Owner | Role::Manager => Access::Admin,
            Role::Staff => Access::Write,
            Role::Analyst => Access::Read,
        }
    }
}

/// A staff account as stored (without its hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub lang: String,
    pub active: bool,
    /// Brands of a non-owner; empty for owners, who reach all.
    pub brands: Vec<Slug>,
}

impl User {
    /// The caller this person acts as.
    pub fn caller(&self) -> Caller {
        let brands = (self.role != Role::Owner).then(|| self.brands.clone());
        Caller::user(self.id, self.role, brands)
    }
}

/// Argon2id with the crate's recommended parameters (19 MiB, 2 passes): strong, yet a
/// login on a 2-core mini PC stays well under a second.
fn argon() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| argon().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so a wrong e-mail costs as
/// much time as a wrong password and timing does not reveal which accounts exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

pub fn check_password_rules(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if !(10..=200).contains(&n) {
        return Err(AppError::validation(
            "clave",
            "weak_password",
            msg(
                "La contraseña debe tener entre 10 y 200 caracteres.",
                "The password must be 10 to 200 characters long.",
            ),
        ));
    }
    Ok(())
}

fn check_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email)
    } else {
        Err(AppError::validation(
            "email",
            "invalid_email",
            msg("Correo electrónico inválido.", "Invalid e-mail address."),
        ))
    }
}

/// What is needed to create an account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub brands: Vec<Slug>,
    pub password: String,
    pub lang: String,
}

/// Checks that `actor` may create or manage an account with `role` in `brands`: owners may do
/// anything; managers only non-owner accounts inside their own brands.
pub fn may_manage(actor: &Caller, role: Role, brands: &[Slug]) -> bool {
    match actor.role() {
        Some(Role::Owner) => true,
        Some(Role::Manager) => {
            role != Role::Owner && !brands.is_empty() && brands.iter().all(|b| actor.may_see(b))
        }
        Some(_) => false,
        // Tokens and the binary itself: only install-wide admins (the CLI).
        None => actor.is_install_wide() && actor.allows(Access::Admin),
    }
}

pub async fn create(control: &Database, new: NewUser) -> Result<User, AppError> {
    let email = check_email(&new.email)?;
    check_password_rules(&new.password)?;
    if new.role != Role::Owner && new.brands.is_empty() {
        return Err(AppError::validation(
            "marcas",
            "brand_required",
            msg(
                "Indica al menos una marca (--tenant) para este rol.",
                "Give at least one brand (--tenant) for this role.",
            ),
        ));
    }
    if new.name.chars().count() > 120 || new.name.chars().any(char::is_control) {
        return Err(AppError::Validation(vec![FieldError::new(
            "nombre",
            "invalid_name",
            msg(
                "Nombre de hasta 120 caracteres.",
                "Name up to 120 characters.",
            ),
        )]));
    }
    let lang = if new.lang == "en" { "en" } else { "es" };
    let hash = tokio::task::spawn_blocking(move || hash_password(&new.password)).await??;
    let (role, brands, name) = (new.role, new.brands, new.name);
    control
        .write(move |c| {
            let exists: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM usuarios WHERE email = ?1)",
                [&email],
                |r| r.get(0),
            )?;
            if exists {
                return Err(AppError::conflict(msg(
                    "Ya existe una cuenta con ese correo.",
                    "An account with that e-mail already exists.",
                )));
            }
            let now = now_ms();
            c.execute(
                "INSERT INTO usuarios (email, nombre, hash_clave, rol, idioma, creado_en, actualizado_en)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![email, name.trim(), hash, role.as_str(), lang, now],
            )?;
            let id = c.last_insert_rowid();
            if role != Role::Owner {
                set_brands(c, id, &brands)?;
            }
            get(c, id)?.ok_or_else(|| AppError::internal("user vanished"))
        })
        .await
}

fn set_brands(c: &Connection, id: i64, brands: &[Slug]) -> Result<(), AppError> {
    c.execute("DELETE FROM usuario_marcas WHERE usuario_id = ?1", [id])?;
    for b in brands {
        let known: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM marcas WHERE slug = ?1)",
            [b.as_str()],
            |r| r.get(0),
        )?;
        if !known {
            return Err(AppError::NotFound("marca"));
        }
        c.execute(
            "INSERT OR IGNORE INTO usuario_marcas (usuario_id, marca) VALUES (?1, ?2)",
            params![id, b.as_str()],
        )?;
    }
    Ok(())
}

pub fn get(c: &Connection, id: i64) -> Result<Option<User>, AppError> {
    let row = c
        .query_row(
            "SELECT id, email, nombre, rol, idioma, activo FROM usuarios WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((id, email, name, role, lang, active)) = row else {
        return Ok(None);
    };
    let role = Role::parse(&role).ok_or_else(|| AppError::internal("bad stored role"))?;
    let brands = c
        .prepare_cached("SELECT marca FROM usuario_marcas WHERE usuario_id = ?1 ORDER BY marca")?
        .query_map([id], |r| r.get::<_, String>(0))?
        .filter_map(|s| s.ok().and_then(|s| Slug::parse(&s).ok()))
        .collect();
    Ok(Some(User {
        id,
        email,
        name,
        role,
        lang,
        active,
        brands,
    }))
}

/// Every account, or only those working in `brand`.
pub async fn list(control: &Database, brand: Option<Slug>) -> Result<Vec<User>, AppError> {
    control
        .read(move |c| {
            let ids: Vec<i64> = match &brand {
                None => c
                    .prepare("SELECT id FROM usuarios ORDER BY email")?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?,
                Some(b) => c
                    .prepare(
                        "SELECT id FROM usuarios WHERE rol = 'owner' OR id IN
                           (SELECT usuario_id FROM usuario_marcas WHERE marca = ?1) ORDER BY email",
                    )?
                    .query_map([b.as_str()], |r| r.get(0))?
                    .collect::<Result<_, _>>()?,
            };
            ids.into_iter()
                .filter_map(|id| get(c, id).transpose())
                .collect()
        })
        .await
}

pub async fn find_by_email(control: &Database, email: &str) -> Result<Option<User>, AppError> {
    let email = email.trim().to_lowercase();
    control
        .read(move |c| {
            let id: Option<i64> = c
                .query_row("SELECT id FROM usuarios WHERE email = ?1", [&email], |r| {
                    r.get(0)
                })
                .optional()?;
            id.map(|id| get(c, id)).transpose().map(Option::flatten)
        })
        .await
}

/// Checks an e-mail and password; `None` for any mismatch, unknown or disabled account.
pub async fn verify(
    control: &Database,
    email: &str,
    password: &str,
) -> Result<Option<User>, AppError> {
    let email = email.trim().to_lowercase();
    let row: Option<(i64, String, bool)> = control
        .read(move |c| {
            Ok(c.query_row(
                "SELECT id, hash_clave, activo FROM usuarios WHERE email = ?1",
                [&email],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
        })
        .await?;
    let password = password.to_string();
    let (id, active, ok) = tokio::task::spawn_blocking(move || match row {
        Some((id, hash, active)) => (id, active, verify_password(&password, &hash)),
        None => {
            let _ = verify_password(&password, dummy_hash());
            (0, false, false)
        }
    })
    .await?;
    if !ok || !active {
        return Ok(None);
    }
    control.read(move |c| get(c, id)).await
}

/// Sets a new password and ends every session of the account.
pub async fn set_password(control: &Database, id: i64, password: String) -> Result<(), AppError> {
    check_password_rules(&password)?;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    control
        .write(move |c| {
            let n = c.execute(
                "UPDATE usuarios SET hash_clave = ?2, actualizado_en = ?3 WHERE id = ?1",
                params![id, hash, now_ms()],
            )?;
            if n == 0 {
                return Err(AppError::NotFound("usuario"));
            }
            c.execute("DELETE FROM sesiones WHERE usuario_id = ?1", [id])?;
            Ok(())
        })
        .await
}

pub async fn set_lang(control: &Database, id: i64, lang: &str) -> Result<(), AppError> {
    let lang = if lang == "en" { "en" } else { "es" };
    control
        .write(move |c| {
            c.execute(
                "UPDATE usuarios SET idioma = ?2, actualizado_en = ?3 WHERE id = ?1",
                params![id, lang, now_ms()],
            )?;
            Ok(())
        })
        .await
}

/// Enables or disables an account; disabling ends its sessions at once.
pub async fn set_active(control: &Database, id: i64, active: bool) -> Result<(), AppError> {
    control
        .write(move |c| {
            c.execute(
                "UPDATE usuarios SET activo = ?2, actualizado_en = ?3 WHERE id = ?1",
                params![id, active, now_ms()],
            )?;
            if !active {
                c.execute("DELETE FROM sesiones WHERE usuario_id = ?1", [id])?;
            }
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn roles_map_to_access() {
        assert_eq!(Role::Owner.access(), Access::Admin);
        assert_eq!(Role::Manager.access(), Access::Admin);
        assert_eq!(Role::Staff.access(), Access::Write);
        assert_eq!(Role::Analyst.access(), Access::Read);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn managers_manage_only_their_brands_and_never_owners() {
        let g = Slug::parse("gollos").unwrap();
        let e = Slug::parse("eco").unwrap();
        let manager = Caller::user(1, Role::Manager, Some(vec![g.clone()]));
        assert!(may_manage(&manager, Role::Staff, std::slice::from_ref(&g)));
        assert!(!may_manage(&manager, Role::Staff, std::slice::from_ref(&e)));
        assert!(!may_manage(&manager, Role::Owner, std::slice::from_ref(&g)));
        let staff = Caller::user(2, Role::Staff, Some(vec![g.clone()]));
        assert!(!may_manage(&staff, Role::Analyst, &[g]));
    }
}
