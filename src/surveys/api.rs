//! `GET /api/marcas/{id}/encuestas`: survey answers and their averages.

use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::AppError;
use crate::tenants::{Slug, TenantCtx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_surveys))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Survey {
    pub pedido_id: i64,
    pub cliente_id: i64,
    /// enviada | csat | nps | completa
    pub estado: String,
    pub csat: Option<i64>,
    pub nps: Option<i64>,
    pub comentario: Option<String>,
    pub enviada_en: i64,
    pub respondida_en: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Surveys {
    pub enviadas: i64,
    pub respondidas: i64,
    pub csat_promedio: Option<f64>,
    /// % promoters (9-10) minus % detractors (0-6).
    pub nps: Option<f64>,
    pub encuestas: Vec<Survey>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/encuestas", tag = "encuestas",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = Surveys)),
    security(("bearer" = [])))]
async fn list_surveys(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Surveys>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let t = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    let encuestas: Vec<Survey> = t
        .read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT pedido_id, cliente_id, estado, csat, nps, pii_open(comentario), enviada_en, respondida_en
                 FROM encuestas ORDER BY enviada_en DESC LIMIT 1000",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Survey {
                    pedido_id: r.get(0)?,
                    cliente_id: r.get(1)?,
                    estado: r.get(2)?,
                    csat: r.get(3)?,
                    nps: r.get(4)?,
                    comentario: r.get(5)?,
                    enviada_en: r.get(6)?,
                    respondida_en: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await?;
    let csat: Vec<i64> = encuestas.iter().filter_map(|s| s.csat).collect();
    let nps: Vec<i64> = encuestas.iter().filter_map(|s| s.nps).collect();
    let avg = |v: &[i64]| (!v.is_empty()).then(|| v.iter().sum::<i64>() as f64 / v.len() as f64);
    let nps_score = (!nps.is_empty()).then(|| {
        let n = nps.len() as f64;
        let promoters = nps.iter().filter(|s| **s >= 9).count() as f64;
        let detractors = nps.iter().filter(|s| **s <= 6).count() as f64;
        (promoters - detractors) * 100.0 / n
    });
    Ok(axum::Json(Surveys {
        enviadas: encuestas.len() as i64,
        respondidas: csat.len() as i64,
        csat_promedio: avg(&csat),
        nps: nps_score,
        encuestas,
    }))
}
