//! Brands (marcas): their settings in the control database, their own SQLite files under
//! `<data-dir>/tenants/`, and [`TenantCtx`], the only way to reach a brand's data.

pub mod api;
mod brand;
pub mod ids;
mod registry;
pub mod store;
mod wake;

pub use brand::{Brand, BrandInput, BrandPatch, Slug};
pub use registry::{BrandState, DatabaseObserver, Registry, Tenant};
pub use wake::WakeCheck;

use std::sync::Arc;

use crate::auth::{Access, Caller};
use crate::error::AppError;

/// A brand that the caller has been checked to reach with the given access.
///
/// Domain code receives a `TenantCtx`, never a path or a raw connection: holding one *is*
/// the proof that the rights check happened, so tenant scoping cannot be forgotten.
#[derive(Clone)]
pub struct TenantCtx {
    tenant: Arc<Tenant>,
    caller: Caller,
}

impl TenantCtx {
    /// [`TenantCtx::open`] for a slug as written in a URL: one that does not even parse is
    /// reported like a brand that does not exist.
    pub async fn open_slug(
        registry: &Registry,
        caller: &Caller,
        slug: &str,
        access: Access,
    ) -> Result<TenantCtx, AppError> {
        let slug = Slug::parse(slug).map_err(|_| AppError::NotFound("marca"))?;
        TenantCtx::open(registry, caller, &slug, access).await
    }

    /// Checks `caller`'s rights on `slug` and opens the brand. A brand the caller may not
    /// see is reported exactly like a brand that does not exist.
    pub async fn open(
        registry: &Registry,
        caller: &Caller,
        slug: &Slug,
        access: Access,
    ) -> Result<TenantCtx, AppError> {
        if !caller.may_see(slug) {
            record_denied(registry, caller, slug, access, "marca").await;
            return Err(AppError::NotFound("marca"));
        }
        if !caller.allows(access) {
            record_denied(registry, caller, slug, access, "acceso").await;
            return Err(AppError::Forbidden);
        }
        let tenant = registry.tenant(slug).await?;
        if access != Access::Read && tenant.brand().archived_at.is_some() {
            return Err(AppError::conflict(crate::error::msg(
                "La marca está archivada; sus datos son de solo lectura.",
                "The brand is archived; its data is read-only.",
            )));
        }
        Ok(TenantCtx {
            tenant,
            caller: caller.clone(),
        })
    }

    pub fn brand(&self) -> Brand {
        self.tenant.brand()
    }

    pub fn slug(&self) -> &Slug {
        self.tenant.slug()
    }

    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Who is acting, as recorded in histories (`token:12`, `user:3`, `system`).
    pub fn actor(&self) -> String {
        self.caller.actor()
    }

    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.tenant.db().read(f).await
    }

    /// Folds the WAL into the file and truncates it (after a GDPR erasure).
    pub async fn truncate_wal(&self) -> Result<(), AppError> {
        self.tenant.db().truncate_wal().await
    }

    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, AppError> + Send + 'static,
    {
        self.tenant.db().write_as(self.actor(), f).await
    }
}

/// Writes a denied attempt on `slug` into that brand's audit trail (when the brand exists).
/// Best effort on purpose: the request is refused whether or not the record lands, and a
/// missing brand has no trail to write to.
async fn record_denied(
    registry: &Registry,
    caller: &Caller,
    slug: &Slug,
    access: Access,
    motivo: &'static str,
) {
    let Ok(tenant) = registry.tenant(slug).await else {
        return;
    };
    let detalle = serde_json::json!({ "acceso": access.as_str(), "motivo": motivo });
    let result = tenant
        .db()
        .write_as(caller.actor(), move |c| {
            crate::audit::record(c, "marca", None, "denegado", &detalle)
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, brand = %slug, "could not record a denied attempt");
    }
}
