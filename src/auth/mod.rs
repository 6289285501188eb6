//! Who is calling and what they may do: API tokens and staff sessions both become a
//! [`Caller`] whose capabilities every brand access is checked against.

pub mod csrf;
pub mod ratelimit;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use users::Role;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::error::AppError;
use crate::tenants::Slug;

/// What an action needs. Ordered: `Admin` includes `Write` includes `Read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
    Admin,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            "admin" => Some(Access::Admin),
            _ => None,
        }
    }
}

/// An authenticated caller with its reach (some brands or all) and its highest access.
#[derive(Debug, Clone)]
pub struct Caller {
    principal: Principal,
    /// `None`: every brand of the install.
    brands: Option<Vec<Slug>>,
    access: Access,
}

#[derive(Debug, Clone)]
enum Principal {
    Token(i64),
    User(i64, Role),
    System(&'static str),
}

impl Caller {
    pub fn token(id: i64, brand: Option<Slug>, access: Access) -> Caller {
        Caller {
            principal: Principal::Token(id),
            brands: brand.map(|b| vec![b]),
            access,
        }
    }

    /// A staff member: the role gives the access level, `brands` the reach (`None`: all).
    pub fn user(id: i64, role: Role, brands: Option<Vec<Slug>>) -> Caller {
        Caller {
            principal: Principal::User(id, role),
            brands,
            access: role.access(),
        }
    }

    /// The staff role, for sessions; `None` for tokens and the binary itself.
    pub fn role(&self) -> Option<Role> {
        match self.principal {
            Principal::User(_, role) => Some(role),
            _ => None,
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        match self.principal {
            Principal::User(id, _) => Some(id),
            _ => None,
        }
    }

    /// The binary itself (CLI, scheduler, webhooks after signature checks) acting on every brand.
    pub fn system(name: &'static str) -> Caller {
        Caller {
            principal: Principal::System(name),
            brands: None,
            access: Access::Admin,
        }
    }

    pub fn may_see(&self, slug: &Slug) -> bool {
        self.brands.as_ref().is_none_or(|b| b.contains(slug))
    }

    pub fn allows(&self, access: Access) -> bool {
        self.access >= access
    }

    /// True for callers that reach every brand (needed to create brands).
    pub fn is_install_wide(&self) -> bool {
        self.brands.is_none()
    }

    pub fn actor(&self) -> String {
        match &self.principal {
            Principal::Token(id) => format!("token:{id}"),
            Principal::User(id, _) => format!("user:{id}"),
            Principal::System(name) => format!("system:{name}"),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // A session cookie, already resolved (and CSRF-checked) by `sessions::layer`.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            crate::db::functions::set_task_actor(caller.actor());
            return Ok(caller.clone());
        }
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AppError::Unauthenticated)?;
        let (scheme, token) = header.split_once(' ').ok_or(AppError::Unauthenticated)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AppError::Unauthenticated);
        }
        let caller = tokens::authenticate_cached(&state.registry, token.trim()).await?;
        parts.extensions.insert(caller.clone());
        crate::db::functions::set_task_actor(caller.actor());
        Ok(caller)
    }
}
