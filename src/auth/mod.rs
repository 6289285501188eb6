//! Who is calling and what they may do: API tokens (and, later, staff sessions) become a
//! [`Caller`] whose capabilities every brand access is checked against.

pub mod tokens;

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

/// An authenticated caller with its reach (one brand or all) and its highest access.
#[derive(Debug, Clone)]
pub struct Caller {
    principal: Principal,
    /// `None`: every brand of the install.
    brand: Option<Slug>,
    access: Access,
}

#[derive(Debug, Clone)]
enum Principal {
    Token(i64),
    System(&'static str),
}

impl Caller {
    pub fn token(id: i64, brand: Option<Slug>, access: Access) -> Caller {
        Caller {
            principal: Principal::Token(id),
            brand,
            access,
        }
    }

    /// The binary itself (CLI, scheduler, webhooks after signature checks) acting on every brand.
    pub fn system(name: &'static str) -> Caller {
        Caller {
            principal: Principal::System(name),
            brand: None,
            access: Access::Admin,
        }
    }

    pub fn may_see(&self, slug: &Slug) -> bool {
        self.brand.as_ref().is_none_or(|b| b == slug)
    }

    pub fn allows(&self, access: Access) -> bool {
        self.access >= access
    }

    /// True for callers that reach every brand (needed to create brands).
    pub fn is_install_wide(&self) -> bool {
        self.brand.is_none()
    }

    pub fn actor(&self) -> String {
        match &self.principal {
            Principal::Token(id) => format!("token:{id}"),
            Principal::System(name) => format!("system:{name}"),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
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
        let caller = tokens::authenticate(state.registry.control(), token.trim()).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}
