//! Satisfaction for a period from the survey answers (`encuestas`, see src/surveys): the
//! average CSAT (1-5) and the NPS (% promoters 9-10 minus % detractors 0-6 among the 0-10
//! answers), each with its answer count, against the previous period of the same length.
//! A survey belongs to the period of its last answer (`respondida_en`, local day).

use rusqlite::{Connection, params_from_iter};
use serde::Serialize;
use utoipa::ToSchema;

use super::period::Period;
use super::span::{self, Span};
use crate::error::AppError;

/// One period's answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct Satisfaction {
    /// Mean CSAT (1-5), null without answers.
    pub csat_promedio: Option<f64>,
    pub csat_respuestas: i64,
    /// NPS from −100 to 100, null without answers.
    pub nps: Option<f64>,
    pub nps_respuestas: i64,
    pub promotores: i64,
    pub pasivos: i64,
    pub detractores: i64,
}

/// Now and the previous period; `*_diferencia` = actual − anterior (CSAT points, NPS
/// points), null when either side has no answers. A difference, not a ratio: NPS can be
/// negative or zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct SatisfactionKpis {
    pub actual: Satisfaction,
    pub anterior: Satisfaction,
    pub csat_diferencia: Option<f64>,
    pub nps_diferencia: Option<f64>,
}

/// The answers whose survey was last answered in the period, from the answers per local
/// day and month (tenant V27): whole months from the monthly rows, the partial ones from the
/// daily rows.
pub fn of_period(conn: &Connection, p: Period) -> Result<Satisfaction, AppError> {
    let keys = Span::of(p).keys();
    let (csat_sum, csat_n, promotores, pasivos, detractores): (i64, i64, i64, i64, i64) = conn
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM(csat_suma), 0), COALESCE(SUM(csat_respuestas), 0),
                    COALESCE(SUM(promotores), 0), COALESCE(SUM(pasivos), 0),
                    COALESCE(SUM(detractores), 0)
             FROM {}",
            span::union(
                "analitica_satisfaccion_dia",
                "analitica_satisfaccion_mes",
                "csat_suma, csat_respuestas, promotores, pasivos, detractores"
            )
        ))?
        .query_row(params_from_iter(&keys), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    let nps_n = promotores + pasivos + detractores;
    Ok(Satisfaction {
        csat_promedio: (csat_n > 0).then(|| csat_sum as f64 / csat_n as f64),
        csat_respuestas: csat_n,
        nps: (nps_n > 0).then(|| (promotores - detractores) as f64 * 100.0 / nps_n as f64),
        nps_respuestas: nps_n,
        promotores,
        pasivos,
        detractores,
    })
}

pub fn kpis(conn: &Connection, p: Period) -> Result<SatisfactionKpis, AppError> {
    let actual = of_period(conn, p)?;
    let anterior = of_period(conn, p.previous())?;
    let diff = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
    Ok(SatisfactionKpis {
        actual,
        anterior,
        csat_diferencia: diff(actual.csat_promedio, anterior.csat_promedio),
        nps_diferencia: diff(actual.nps, anterior.nps),
    })
}
