//! The numbers of an executive report, from small SQL queries over pedidos and clientes for a
//! period in the brand's time zone. Narrow on purpose: [`compute`] takes a connection and a
//! period and returns [`Kpis`], so the analytics dashboard can replace the queries later.

use chrono::{Duration, TimeZone};
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::AppError;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Yesterday, midnight to midnight in the brand's zone.
    Daily,
    /// The seven days before today.
    Weekly,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "daily" | "diario" => Some(Period::Daily),
            "weekly" | "semanal" => Some(Period::Weekly),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Daily => "diario",
            Period::Weekly => "semanal",
        }
    }

    /// `[from, to)` in unix ms for a report made at `now` in `tz`.
    pub fn range(self, tz: chrono_tz::Tz, now: i64) -> (i64, i64) {
        let local = tz
            .timestamp_millis_opt(now)
            .single()
            .unwrap_or_else(|| tz.timestamp_millis_opt(0).unwrap());
        let today = local.date_naive();
        let days = match self {
            Period::Daily => 1,
            Period::Weekly => 7,
        };
        let start_of = |d: chrono::NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| tz.from_local_datetime(&t).earliest())
                .map(|t| t.timestamp_millis())
                .unwrap_or(now)
        };
        (start_of(today - Duration::days(days)), start_of(today))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TopProduct {
    pub nombre: String,
    pub cantidad: i64,
    pub ingresos: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignLine {
    pub nombre: String,
    pub destinatarios: i64,
    pub entregados: i64,
    pub pedidos: i64,
    pub ingresos: i64,
    /// Cost and ROI at the brand's rate per 1,000 delivered messages, when it is set.
    pub retorno: Option<crate::campaigns::cost::Return>,
}

/// The report's numbers. Money in minor units of the brand's currency.
#[derive(Debug, Clone, Serialize)]
pub struct Kpis {
    pub desde: i64,
    pub hasta: i64,
    pub pedidos: i64,
    pub ingresos: i64,
    pub ticket_promedio: i64,
    pub clientes_nuevos: i64,
    pub cancelados: i64,
    pub top_productos: Vec<TopProduct>,
    pub campanas: Vec<CampaignLine>,
}

/// The KPIs of `[from, to)`: orders that were not cancelled, their revenue and average ticket,
/// customers created, the five best-selling products and the campaigns launched.
pub fn compute(c: &Connection, from: i64, to: i64) -> Result<Kpis, AppError> {
    let (pedidos, ingresos, cancelados): (i64, i64, i64) = c.query_row(
        "SELECT COALESCE(SUM(estado <> 'cancelado'), 0),
                COALESCE(SUM(CASE WHEN estado <> 'cancelado' THEN total END), 0),
                COALESCE(SUM(estado = 'cancelado'), 0)
         FROM pedidos WHERE creado_en >= ?1 AND creado_en < ?2",
        params![from, to],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let clientes_nuevos: i64 = c.query_row(
        "SELECT COUNT(*) FROM clientes WHERE creado_en >= ?1 AND creado_en < ?2",
        params![from, to],
        |r| r.get(0),
    )?;
    let top_productos = {
        let mut stmt = c.prepare_cached(
            "SELECT i.nombre, SUM(i.cantidad), SUM(i.total) FROM pedido_items i
             JOIN pedidos p ON p.id = i.pedido_id
             WHERE p.creado_en >= ?1 AND p.creado_en < ?2 AND p.estado <> 'cancelado'
             GROUP BY i.sku ORDER BY SUM(i.total) DESC, i.nombre LIMIT 5",
        )?;
        let rows = stmt.query_map(params![from, to], |r| {
            Ok(TopProduct {
                nombre: r.get(0)?,
                cantidad: r.get(1)?,
                ingresos: r.get(2)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let launched: Vec<(i64, String)> = {
        let mut stmt = c.prepare_cached(
            "SELECT id, nombre FROM campanas WHERE lanzada_en >= ?1 AND lanzada_en < ?2 ORDER BY id LIMIT 10",
        )?;
        let rows = stmt.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut campanas = Vec::new();
    let price = crate::campaigns::cost::price_per_thousand(c)?;
    for (id, nombre) in launched {
        let f = crate::campaigns::results::funnel(&crate::campaigns::results::recipients(c, id)?);
        campanas.push(CampaignLine {
            nombre,
            destinatarios: f.destinatarios,
            entregados: f.entregados,
            pedidos: f.pedidos_atribuidos,
            ingresos: f.ingresos_atribuidos,
            retorno: crate::campaigns::cost::of(&f, price),
        });
    }
    Ok(Kpis {
        desde: from,
        hasta: to,
        pedidos,
        ingresos,
        ticket_promedio: if pedidos > 0 { ingresos / pedidos } else { 0 },
        clientes_nuevos,
        cancelados,
        top_productos,
        campanas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_is_yesterday_in_the_brand_zone() {
        let lima: chrono_tz::Tz = "America/Lima".parse().unwrap();
        // 2026-11-25 03:00 UTC is still the 24th in Lima (22:00).
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
            .unwrap()
            .timestamp_millis();
        let (from, to) = Period::Daily.range(lima, now);
        assert_eq!(
            crate::time::format_in(from, lima),
            "2026-11-23T00:00:00.000-05:00"
        );
        assert_eq!(
            crate::time::format_in(to, lima),
            "2026-11-24T00:00:00.000-05:00"
        );
        let (wfrom, wto) = Period::Weekly.range(lima, now);
        assert_eq!(wto, to);
        assert_eq!(
            crate::time::format_in(wfrom, lima),
            "2026-11-17T00:00:00.000-05:00"
        );
    }
}
