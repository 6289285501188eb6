//! The GDPR buttons on a customer's page (owners and managers): "forget" and "export".

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::privacy;
use super::privacy_api::forget;
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::tenants::ids::CustomerId;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/clientes/{id}/olvidar", post(forget_page))
        .route("/m/{slug}/clientes/{id}/exportar.json", get(export_page))
}

async fn forget_page(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let cid = CustomerId::new(b.slug(), id);
    forget(&state, &b.tenant, &cid).await?;
    Ok(see_other(
        &headers,
        &format!("/m/{}/clientes/{id}?hecho=olvidado", b.slug()),
    ))
}

async fn export_page(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let data = b
        .tenant
        .write(move |c| {
            let data = privacy::export(c, id)?.ok_or(AppError::NotFound("cliente"))?;
            crate::audit::record(c, "clientes", Some(id), "exportar", &serde_json::json!({}))?;
            Ok(data)
        })
        .await?;
    let body = serde_json::to_vec_pretty(&data).map_err(AppError::internal)?;
    let name = format!("attachment; filename=\"cliente-{}-{id}.json\"", b.slug());
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}
