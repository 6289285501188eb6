//! `POST /api/clientes/{id}/olvidar` and `GET /api/clientes/{id}/exportar`.

use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::privacy;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::TenantCtx;
use crate::tenants::ids::CustomerId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(forget_customer))
        .routes(routes!(export_customer))
}

/// The outcome of an erasure.
#[derive(Serialize, ToSchema)]
pub struct Forgotten {
    pub id: String,
    pub olvidado: bool,
    /// The WAL was folded and truncated, so old values are gone from the files too.
    pub archivos_limpios: bool,
}

#[utoipa::path(post, path = "/api/clientes/{id}/olvidar", tag = "clientes",
    params(("id" = String, Path, description = "Customer id, e.g. cli_gollos_42")),
    responses((status = 200, body = Forgotten), (status = 404, description = "Not found"),
        (status = 403, description = "Needs admin (owner or manager)")),
    security(("bearer" = [])))]
async fn forget_customer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Forgotten>, AppError> {
    let id: CustomerId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Admin).await?;
    Ok(axum::Json(forget(&state, &tenant, &id).await?))
}

/// Erases one customer: the erasure log first (so a restore replays it even if what follows
/// is cut short), then the brand database, then the WAL.
pub async fn forget(
    state: &AppState,
    tenant: &TenantCtx,
    id: &CustomerId,
) -> Result<Forgotten, AppError> {
    let local = id.local;
    let exists = tenant
        .read(move |c| super::store::get(c, local).map(|c| c.is_some()))
        .await?;
    if !exists {
        return Err(AppError::NotFound("cliente"));
    }
    let slug = id.slug.clone();
    state
        .registry
        .control()
        .write(move |c| {
            crate::backup::erasure::record(c, &slug, local, crate::time::now_ms()).map(|_| ())
        })
        .await?;
    let done = tenant.write(move |c| privacy::forget(c, local)).await?;
    let clean = match tenant.truncate_wal().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "WAL not truncated after an erasure; the next checkpoint does it");
            false
        }
    };
    Ok(Forgotten {
        id: id.to_string(),
        olvidado: done,
        archivos_limpios: clean,
    })
}

#[utoipa::path(get, path = "/api/clientes/{id}/exportar", tag = "clientes",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "Everything stored about the person, by table",
        body = Object), (status = 404, description = "Not found")),
    security(("bearer" = [])))]
async fn export_customer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    let id: CustomerId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Admin).await?;
    let local = id.local;
    // Reading personal data is itself recorded, in the same transaction as the read.
    let data = tenant
        .write(move |c| {
            let data = privacy::export(c, local)?.ok_or(AppError::NotFound("cliente"))?;
            crate::audit::record(
                c,
                "clientes",
                Some(local),
                "exportar",
                &serde_json::json!({}),
            )?;
            Ok(data)
        })
        .await?;
    Ok(axum::Json(serde_json::json!({
        "id": id.to_string(),
        "marca": id.slug.as_str(),
        "datos": data,
    })))
}
