//! JSON handlers for what staff edit about the bot: FAQ entries, product synonyms for free-text
//! orders, and settings (business hours, closed-hours reply, template outside the window).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::knowledge;
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::TenantCtx;
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_faq, create_faq))
        .routes(routes!(update_faq, delete_faq))
        .routes(routes!(get_synonyms, put_synonyms))
        .routes(routes!(get_settings, put_settings))
}

pub use super::knowledge::{Faq, Settings};

#[utoipa::path(get, path = "/api/marcas/{slug}/whatsapp/faq", tag = "whatsapp",
    params(("slug" = String, Path)), responses((status = 200, body = Vec<Faq>)), security(("bearer" = [])))]
async fn list_faq(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<Faq>>, AppError> {
    let t = TenantCtx::open_slug(&s.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(t.read(knowledge::list_faq).await?))
}

#[utoipa::path(post, path = "/api/marcas/{slug}/whatsapp/faq", tag = "whatsapp", params(("slug" = String, Path)),
    request_body = Faq, responses((status = 201, body = Faq), (status = 422)), security(("bearer" = [])))]
async fn create_faq(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(mut f): ApiJson<Faq>,
) -> Result<(StatusCode, axum::Json<Faq>), AppError> {
    f.check()?;
    let t = TenantCtx::open_slug(&s.registry, &caller, &slug, Access::Write).await?;
    let entry = f.clone();
    f.id = t
        .write(move |c| knowledge::add_faq(c, &entry, now_ms()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(f)))
}

#[utoipa::path(put, path = "/api/marcas/{slug}/whatsapp/faq/{id}", tag = "whatsapp",
    params(("slug" = String, Path), ("id" = i64, Path)), request_body = Faq,
    responses((status = 200, body = Faq), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_faq(
    State(s): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
    ApiJson(mut f): ApiJson<Faq>,
) -> Result<axum::Json<Faq>, AppError> {
    f.check()?;
    let t = TenantCtx::open_slug(&s.registry, &caller, &slug, Access::Write).await?;
    let entry = f.clone();
    t.write(move |c| knowledge::update_faq(c, id, &entry))
        .await?;
    f.id = id;
    Ok(axum::Json(f))
}

#[utoipa::path(delete, path = "/api/marcas/{slug}/whatsapp/faq/{id}", tag = "whatsapp",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 204), (status = 404)), security(("bearer" = [])))]
async fn delete_faq(
    State(s): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    let t = TenantCtx::open_slug(&s.registry, &caller, &slug, Access::Write).await?;
    t.write(move |c| knowledge::delete_faq(c, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Synonym {
    pub sku: String,
    pub sinonimo: String,
}

#[utoipa::path(get, path = "/api/marcas/{slug}/whatsapp/sinonimos", tag = "whatsapp",
    params(("slug" = String, Path)), responses((status = 200, body = Vec<Synonym>)), security(("bearer" = [])))]
async fn get_synonyms(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<Synonym>>, AppError> {
    let t = TenantCtx::open_slug(&s.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(
        t.read(|c| {
            let mut stmt =
                c.prepare("SELECT sku, sinonimo FROM wa_sinonimos ORDER BY sku, sinonimo")?;
            let rows = stmt.query_map([], |r| {
                Ok(Synonym {
                    sku: r.get(0)?,
                    sinonimo: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?,
    ))
}

#[utoipa::path(put, path = "/api/marcas/{slug}/whatsapp/sinonimos", tag = "whatsapp", params(("slug" = String, Path)),
    request_body = Vec<Synonym>, responses((status = 200, body = Vec<Synonym>), (status = 422)), security(("bearer" = [])))]
async fn put_synonyms(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(list): ApiJson<Vec<Synonym>>,
) -> Result<axum::Json<Vec<Synonym>>, AppError> {
    if list.len() > 5000
        || list.iter().any(|x| {
            x.sku.trim().is_empty() || x.sinonimo.trim().is_empty() || x.sinonimo.len() > 100
        })
    {
        return Err(AppError::validation(
            "sinonimos",
            "invalid",
            msg(
                "Cada sinónimo necesita sku y texto (≤ 100).",
                "Each synonym needs a sku and text (≤ 100).",
            ),
        ));
    }
    let t = TenantCtx::open_slug(&s.registry, &caller, &slug, Access::Write).await?;
    let rows: Vec<(String, String)> = list
        .iter()
        .map(|x| (x.sku.trim().to_owned(), x.sinonimo.trim().to_owned()))
        .collect();
    t.write(move |c| {
        c.execute("DELETE FROM wa_sinonimos", [])?;
        for (sku, syn) in &rows {
            if crate::products::store::get_by_sku(c, sku)?.is_none() {
                return Err(AppError::validation(
                    "sku",
                    "unknown",
                    msg(
                        format!("No existe el producto {sku}."),
                        format!("No product {sku}."),
                    ),
                ));
            }
            c.execute(
                "INSERT OR IGNORE INTO wa_sinonimos (sku, sinonimo) VALUES (?1, ?2)",
                rusqlite::params![sku, syn],
            )?;
        }
        Ok(())
    })
    .await?;
    Ok(axum::Json(list))
}

#[utoipa::path(get, path = "/api/marcas/{slug}/whatsapp/ajustes", tag = "whatsapp",
    params(("slug" = String, Path)), responses((status = 200, body = Settings)), security(("bearer" = [])))]
async fn get_settings(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Settings>, AppError> {
    let t = TenantCtx::open_slug(&s.registry, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(t.read(knowledge::read_settings).await?))
}

#[utoipa::path(put, path = "/api/marcas/{slug}/whatsapp/ajustes", tag = "whatsapp", params(("slug" = String, Path)),
    request_body = Settings, responses((status = 200, body = Settings), (status = 422)), security(("bearer" = [])))]
async fn put_settings(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(v): ApiJson<Settings>,
) -> Result<axum::Json<Settings>, AppError> {
    v.check()?;
    let t = TenantCtx::open_slug(&s.registry, &caller, &slug, Access::Write).await?;
    let values = v.clone();
    t.write(move |c| knowledge::write_settings(c, &values))
        .await?;
    Ok(axum::Json(v))
}
