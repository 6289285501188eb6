//! JSON handlers for what staff edit about the bot: FAQ entries, product synonyms for free-text
//! orders, and settings (business hours, closed-hours reply, template outside the window).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_faq, create_faq))
        .routes(routes!(update_faq, delete_faq))
        .routes(routes!(get_synonyms, put_synonyms))
        .routes(routes!(get_settings, put_settings))
}

async fn ctx(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    access: Access,
) -> Result<TenantCtx, AppError> {
    let slug = Slug::parse(slug).map_err(|_| AppError::NotFound("marca"))?;
    TenantCtx::open(&state.registry, caller, &slug, access).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Faq {
    #[serde(default, skip_deserializing)]
    pub id: i64,
    pub pregunta: String,
    pub respuesta: String,
}

fn check_faq(f: &Faq) -> Result<(), AppError> {
    let bad = |field: &str| {
        AppError::validation(
            field,
            "length",
            msg(
                "Debe tener de 1 a 1000 caracteres.",
                "Must be 1 to 1000 characters.",
            ),
        )
    };
    if f.pregunta.trim().is_empty() || f.pregunta.chars().count() > 1000 {
        return Err(bad("pregunta"));
    }
    if f.respuesta.trim().is_empty() || f.respuesta.chars().count() > 1000 {
        return Err(bad("respuesta"));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/marcas/{slug}/whatsapp/faq", tag = "whatsapp",
    params(("slug" = String, Path)), responses((status = 200, body = Vec<Faq>)), security(("bearer" = [])))]
async fn list_faq(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<Faq>>, AppError> {
    let t = ctx(&s, &caller, &slug, Access::Read).await?;
    let rows = t
        .read(|c| {
            let mut stmt = c.prepare("SELECT id, pregunta, respuesta FROM wa_faq ORDER BY id")?;
            let rows = stmt.query_map([], |r| {
                Ok(Faq {
                    id: r.get(0)?,
                    pregunta: r.get(1)?,
                    respuesta: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(axum::Json(rows))
}

#[utoipa::path(post, path = "/api/marcas/{slug}/whatsapp/faq", tag = "whatsapp", params(("slug" = String, Path)),
    request_body = Faq, responses((status = 201, body = Faq), (status = 422)), security(("bearer" = [])))]
async fn create_faq(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(mut f): ApiJson<Faq>,
) -> Result<(StatusCode, axum::Json<Faq>), AppError> {
    check_faq(&f)?;
    let t = ctx(&s, &caller, &slug, Access::Write).await?;
    let (q, a) = (f.pregunta.clone(), f.respuesta.clone());
    f.id = t
        .write(move |c| {
            c.execute(
                "INSERT INTO wa_faq (pregunta, respuesta, creado_en) VALUES (?1, ?2, ?3)",
                rusqlite::params![q, a, now_ms()],
            )?;
            Ok(c.last_insert_rowid())
        })
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
    check_faq(&f)?;
    let t = ctx(&s, &caller, &slug, Access::Write).await?;
    let (q, a) = (f.pregunta.clone(), f.respuesta.clone());
    t.write(move |c| {
        let n = c.execute(
            "UPDATE wa_faq SET pregunta = ?2, respuesta = ?3 WHERE id = ?1",
            rusqlite::params![id, q, a],
        )?;
        if n == 0 {
            return Err(AppError::NotFound("pregunta frecuente"));
        }
        Ok(())
    })
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
    let t = ctx(&s, &caller, &slug, Access::Write).await?;
    t.write(
        move |c| match c.execute("DELETE FROM wa_faq WHERE id = ?1", [id])? {
            0 => Err(AppError::NotFound("pregunta frecuente")),
            _ => Ok(()),
        },
    )
    .await?;
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
    let t = ctx(&s, &caller, &slug, Access::Read).await?;
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
    let t = ctx(&s, &caller, &slug, Access::Write).await?;
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

/// Bot settings; `null` or absent removes a setting.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// "HH:MM-HH:MM" in the brand's time zone, e.g. "11:00-22:30".
    pub horario: Option<String>,
    /// Reply sent outside business hours.
    pub fuera_de_horario: Option<String>,
    /// Approved template sent instead of free-form text outside the 24-hour window.
    pub plantilla: Option<String>,
    pub plantilla_idioma: Option<String>,
}

const KEYS: [&str; 4] = [
    "horario",
    "fuera_de_horario",
    "plantilla",
    "plantilla_idioma",
];

#[utoipa::path(get, path = "/api/marcas/{slug}/whatsapp/ajustes", tag = "whatsapp",
    params(("slug" = String, Path)), responses((status = 200, body = Settings)), security(("bearer" = [])))]
async fn get_settings(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Settings>, AppError> {
    let t = ctx(&s, &caller, &slug, Access::Read).await?;
    Ok(axum::Json(
        t.read(|c| {
            let get = |k| super::setting(c, k);
            Ok(Settings {
                horario: get("horario")?,
                fuera_de_horario: get("fuera_de_horario")?,
                plantilla: get("plantilla")?,
                plantilla_idioma: get("plantilla_idioma")?,
            })
        })
        .await?,
    ))
}

#[utoipa::path(put, path = "/api/marcas/{slug}/whatsapp/ajustes", tag = "whatsapp", params(("slug" = String, Path)),
    request_body = Settings, responses((status = 200, body = Settings), (status = 422)), security(("bearer" = [])))]
async fn put_settings(
    State(s): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(v): ApiJson<Settings>,
) -> Result<axum::Json<Settings>, AppError> {
    if let Some(h) = &v.horario {
        let ok = h.split_once('-').is_some_and(|(a, b)| {
            [a, b].iter().all(|t| {
                t.trim().split_once(':').is_some_and(|(h, m)| {
                    h.parse::<u32>().is_ok_and(|h| h < 24) && m.parse::<u32>().is_ok_and(|m| m < 60)
                })
            })
        });
        if !ok {
            return Err(AppError::validation(
                "horario",
                "format",
                msg("Usa el formato HH:MM-HH:MM.", "Use the format HH:MM-HH:MM."),
            ));
        }
    }
    let t = ctx(&s, &caller, &slug, Access::Write).await?;
    let values = [
        v.horario.clone(),
        v.fuera_de_horario.clone(),
        v.plantilla.clone(),
        v.plantilla_idioma.clone(),
    ];
    t.write(move |c| {
        for (k, val) in KEYS.iter().zip(values) {
            match val.filter(|x| !x.trim().is_empty()) {
                Some(x) => c.execute("INSERT INTO wa_ajustes (clave, valor) VALUES (?1, ?2) ON CONFLICT (clave) DO UPDATE SET valor = excluded.valor", rusqlite::params![k, x.trim()])?,
                None => c.execute("DELETE FROM wa_ajustes WHERE clave = ?1", [k])?,
            };
        }
        Ok(())
    })
    .await?;
    Ok(axum::Json(v))
}
