//! Dashboard figures for a brand and a period, read from the rollups (never a scan of all
//! orders; whole months from the monthly summaries, see `span`): KPIs against the previous period of the same length, a per-day series, channels,
//! top products and categories, and the customer-base pictures (segments, RFM, CLV, cohorts).

use std::collections::BTreeMap;

use rusqlite::{Connection, params, params_from_iter};
use serde::Serialize;

use super::cohorts::{self, CohortMatrix};
pub use super::period::{MAX_DAYS, Period, resolve_period};
use super::segments::Segment;
use super::span::{self, Span};
use crate::error::AppError;

/// One day of the series. Money in minor units.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayRow {
    pub dia: String,
    pub pedidos: i64,
    pub ingresos: i64,
    pub cancelados: i64,
    pub clientes_nuevos: i64,
    pub clientes_activos: i64,
}

/// Totals of a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub pedidos: i64,
    pub ingresos: i64,
    /// Revenue / orders, minor units (0 without orders).
    pub ticket_promedio: i64,
    pub cancelados: i64,
    pub clientes_nuevos: i64,
    /// Distinct customers with an order in the period.
    pub clientes_activos: i64,
}

/// A KPI now and in the previous period; `variacion` = (actual − anterior) / anterior, null
/// when the previous value is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Kpi {
    pub actual: i64,
    pub anterior: i64,
    pub variacion: Option<f64>,
}

impl Kpi {
    pub fn new(actual: i64, anterior: i64) -> Kpi {
        Kpi {
            actual,
            anterior,
            variacion: (anterior != 0).then(|| (actual - anterior) as f64 / anterior as f64),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Kpis {
    pub pedidos: Kpi,
    pub ingresos: Kpi,
    pub ticket_promedio: Kpi,
    pub clientes_nuevos: Kpi,
    pub clientes_activos: Kpi,
    pub cancelados: Kpi,
}

impl Kpis {
    /// Each KPI of `now` against `before`.
    pub fn compare(now: &Totals, before: &Totals) -> Kpis {
        Kpis {
            pedidos: Kpi::new(now.pedidos, before.pedidos),
            ingresos: Kpi::new(now.ingresos, before.ingresos),
            ticket_promedio: Kpi::new(now.ticket_promedio, before.ticket_promedio),
            clientes_nuevos: Kpi::new(now.clientes_nuevos, before.clientes_nuevos),
            clientes_activos: Kpi::new(now.clientes_activos, before.clientes_activos),
            cancelados: Kpi::new(now.cancelados, before.cancelados),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRow {
    pub canal: String,
    pub pedidos: i64,
    pub ingresos: i64,
    pub cancelados: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductRow {
    pub sku: String,
    pub nombre: String,
    pub categoria: String,
    pub unidades: i64,
    pub ingresos: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryRow {
    pub categoria: String,
    pub unidades: i64,
    pub ingresos: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentCount {
    pub segmento: &'static str,
    pub nombre: &'static str,
    pub clientes: i64,
}

/// One bar of the CLV histogram: customers whose predicted 12-month value is in
/// [`desde`, `hasta`) minor units (`hasta` null: open-ended).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClvBucket {
    pub desde: i64,
    pub hasta: Option<i64>,
    pub clientes: i64,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub periodo: Period,
    pub anterior: Period,
    pub totales: Totals,
    pub kpis: Kpis,
    pub serie: Vec<DayRow>,
    pub canales: Vec<ChannelRow>,
    pub productos_top: Vec<ProductRow>,
    pub categorias_top: Vec<CategoryRow>,
    pub segmentos: Vec<SegmentCount>,
    /// RFM grid of the last nightly run: `rfm_grilla[r-1][f-1]` customers.
    pub rfm_grilla: [[i64; 5]; 5],
    pub rfm_grupos: Vec<(String, i64)>,
    pub clv: Vec<ClvBucket>,
    pub cohortes: CohortMatrix,
    /// Conversations started → orders within 7 days, per channel (see `conversion`).
    pub conversion: Vec<super::conversion::ConversionRow>,
    /// CSAT and NPS now and in the previous period (see `satisfaction`).
    pub satisfaccion: super::satisfaction::SatisfactionKpis,
    /// CO₂ and plastic avoided; null for brands without impact attributes.
    pub impacto: Option<super::impact_totals::ImpactTotals>,
}

/// The per-day series of a period, every day present (zeros included).
pub fn series(conn: &Connection, p: Period) -> Result<Vec<DayRow>, AppError> {
    let (from, to) = p.keys();
    let mut days: BTreeMap<String, DayRow> = BTreeMap::new();
    let mut d = p.desde;
    while d <= p.hasta {
        days.insert(
            d.to_string(),
            DayRow {
                dia: d.to_string(),
                ..DayRow::default()
            },
        );
        d = match d.succ_opt() {
            Some(n) => n,
            None => break,
        };
    }
    let mut st = conn.prepare_cached(
        "SELECT dia, SUM(pedidos), SUM(ingresos), SUM(cancelados) FROM analitica_dia
         WHERE dia BETWEEN ?1 AND ?2 GROUP BY dia",
    )?;
    for r in st.query_map(params![from, to], |r| {
        Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })? {
        let (dia, o, rev, c) = r?;
        if let Some(row) = days.get_mut(&dia) {
            (row.pedidos, row.ingresos, row.cancelados) = (o, rev, c);
        }
    }
    let mut st = conn.prepare_cached(
        "SELECT dia, clientes FROM analitica_nuevos_dia WHERE dia BETWEEN ?1 AND ?2",
    )?;
    for r in st.query_map(params![from, to], |r| {
        Ok((r.get::<_, String>(0)?, r.get(1)?))
    })? {
        let (dia, n) = r?;
        if let Some(row) = days.get_mut(&dia) {
            row.clientes_nuevos = n;
        }
    }
    let mut st = conn.prepare_cached(
        "SELECT dia, clientes FROM analitica_activos_dia WHERE dia BETWEEN ?1 AND ?2",
    )?;
    for r in st.query_map(params![from, to], |r| {
        Ok((r.get::<_, String>(0)?, r.get(1)?))
    })? {
        let (dia, n) = r?;
        if let Some(row) = days.get_mut(&dia) {
            row.clientes_activos = n;
        }
    }
    Ok(days.into_values().collect())
}

/// A period's totals (active customers are distinct over the whole period). Whole months
/// come from the monthly summaries, the partial months at the ends from the daily rows
/// (`span`).
pub fn totals(conn: &Connection, p: Period) -> Result<Totals, AppError> {
    let keys = Span::of(p).keys();
    let (pedidos, ingresos, cancelados): (i64, i64, i64) = conn
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM(pedidos), 0), COALESCE(SUM(ingresos), 0), COALESCE(SUM(cancelados), 0)
             FROM {}",
            span::union("analitica_dia", "analitica_mes", "pedidos, ingresos, cancelados")
        ))?
        .query_row(params_from_iter(&keys), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let clientes_nuevos: i64 = conn
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM(clientes), 0) FROM {}",
            span::union("analitica_nuevos_dia", "analitica_nuevos_mes", "clientes")
        ))?
        .query_row(params_from_iter(&keys), |r| r.get(0))?;
    Ok(Totals {
        pedidos,
        ingresos,
        ticket_promedio: if pedidos > 0 { ingresos / pedidos } else { 0 },
        cancelados,
        clientes_nuevos,
        clientes_activos: span::active_customers(conn, p)?,
    })
}

pub fn channels(conn: &Connection, p: Period) -> Result<Vec<ChannelRow>, AppError> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT canal, SUM(pedidos), SUM(ingresos), SUM(cancelados) FROM {}
         GROUP BY canal ORDER BY SUM(ingresos) DESC, canal",
        span::union(
            "analitica_dia",
            "analitica_mes",
            "canal, pedidos, ingresos, cancelados"
        )
    ))?;
    let rows = st.query_map(params_from_iter(&Span::of(p).keys()), |r| {
        Ok(ChannelRow {
            canal: r.get(0)?,
            pedidos: r.get(1)?,
            ingresos: r.get(2)?,
            cancelados: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Products by revenue in the period (`limit` None: all).
pub fn products(
    conn: &Connection,
    p: Period,
    limit: Option<u32>,
) -> Result<Vec<ProductRow>, AppError> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT a.sku, COALESCE(pr.nombre, a.sku), COALESCE(pr.categoria, ''), a.u, a.i
         FROM (SELECT sku, SUM(unidades) AS u, SUM(ingresos) AS i FROM {} GROUP BY sku) a
         LEFT JOIN productos pr ON pr.sku = a.sku
         ORDER BY a.i DESC, a.sku LIMIT ?7",
        span::union(
            "analitica_producto_dia",
            "analitica_producto_mes",
            "sku, unidades, ingresos"
        )
    ))?;
    let [h1, h2, t1, t2, m1, m2] = Span::of(p).keys();
    let limit = limit.map_or(-1, i64::from);
    let rows = st.query_map(params![h1, h2, t1, t2, m1, m2, limit], |r| {
        Ok(ProductRow {
            sku: r.get(0)?,
            nombre: r.get(1)?,
            categoria: r.get(2)?,
            unidades: r.get(3)?,
            ingresos: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn categories(all: &[ProductRow]) -> Vec<CategoryRow> {
    let mut map: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for p in all {
        let e = map.entry(p.categoria.as_str()).or_default();
        e.0 += p.unidades;
        e.1 += p.ingresos;
    }
    let mut rows: Vec<CategoryRow> = map
        .into_iter()
        .map(|(c, (u, i))| CategoryRow {
            categoria: c.to_string(),
            unidades: u,
            ingresos: i,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.ingresos
            .cmp(&a.ingresos)
            .then(a.categoria.cmp(&b.categoria))
    });
    rows
}

pub fn segment_counts(conn: &Connection) -> Result<Vec<SegmentCount>, AppError> {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut st = conn.prepare_cached("SELECT segmento, clientes FROM analitica_segmentos")?;
    for r in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))? {
        let (s, n) = r?;
        counts.insert(s, n);
    }
    Ok(Segment::ALL
        .iter()
        .map(|s| SegmentCount {
            segmento: s.key(),
            nombre: s.name_es(),
            clientes: counts.get(s.key()).copied().unwrap_or(0),
        })
        .collect())
}

/// Grid counts (`[r-1][f-1]`) and customers per named group.
pub type RfmPicture = ([[i64; 5]; 5], Vec<(String, i64)>);

pub fn rfm_picture(conn: &Connection) -> Result<RfmPicture, AppError> {
    let mut grid = [[0i64; 5]; 5];
    let mut st = conn.prepare_cached("SELECT rfm_r, rfm_f, clientes FROM analitica_rfm_celdas")?;
    for r in st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (rr, f, n) = r?;
        if let (Ok(i @ 0..=4), Ok(j @ 0..=4)) = (usize::try_from(rr - 1), usize::try_from(f - 1)) {
            grid[i][j] = n;
        }
    }
    let mut st = conn.prepare_cached(
        "SELECT rfm_grupo, clientes FROM analitica_rfm_grupos ORDER BY clientes DESC, rfm_grupo",
    )?;
    let groups = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok((grid, groups))
}

/// Lower edges of the CLV histogram's buckets (minor units): powers of ten × 1, 2, 5 from 100;
/// the last bucket is open-ended. `analitica_clv_tramos` counts customers per edge (V25).
pub const CLV_EDGES: [i64; 13] = [
    0, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
];

/// CLV histogram of the last nightly run, from its bucket counts; trailing empty buckets
/// are left out (no bucket at all without predictions).
pub fn clv_buckets(conn: &Connection) -> Result<Vec<ClvBucket>, AppError> {
    let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
    let mut st = conn.prepare_cached("SELECT desde, clientes FROM analitica_clv_tramos")?;
    for r in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (edge, n) = r?;
        counts.insert(edge, n);
    }
    let mut buckets: Vec<ClvBucket> = CLV_EDGES
        .iter()
        .enumerate()
        .map(|(i, &desde)| ClvBucket {
            desde,
            hasta: CLV_EDGES.get(i + 1).copied(),
            clientes: counts.get(&desde).copied().unwrap_or(0),
        })
        .collect();
    while buckets.last().is_some_and(|b| b.clientes == 0) {
        buckets.pop();
    }
    Ok(buckets)
}

/// Monthly cohorts from the cohort rollup, up to the period's last month: `activos[k]` of
/// a cohort are its customers with an order k months after their first.
pub fn cohort_matrix(conn: &Connection, p: Period) -> Result<CohortMatrix, AppError> {
    use chrono::Datelike;
    let last = p.hasta.format("%Y-%m").to_string();
    let index = |m: &str| -> Option<i64> {
        let (y, mo) = m.split_once('-')?;
        Some(y.parse::<i64>().ok()? * 12 + mo.parse::<i64>().ok()? - 1)
    };
    let last_index = i64::from(p.hasta.year()) * 12 + i64::from(p.hasta.month0());
    let mut rows: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut st = conn.prepare_cached(
        "SELECT cohorte, mes, clientes FROM analitica_cohorte WHERE cohorte <= ?1 AND mes <= ?1",
    )?;
    for r in st.query_map([&last], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (cohort, month, n) = r?;
        let (Some(c), Some(m)) = (index(&cohort), index(&month)) else {
            continue;
        };
        let len = usize::try_from(last_index - c + 1).unwrap_or(0);
        let row = rows.entry(cohort).or_insert_with(|| vec![0; len]);
        if let Some(slot) = usize::try_from(m - c).ok().and_then(|k| row.get_mut(k)) {
            *slot = u32::try_from(n).unwrap_or(0);
        }
    }
    Ok(CohortMatrix {
        cohorts: rows
            .into_iter()
            .map(|(month, active)| {
                let customers = active.first().copied().unwrap_or(0);
                cohorts::CohortRow {
                    month,
                    customers,
                    retention: active
                        .iter()
                        .map(|&a| f64::from(a) / f64::from(customers.max(1)))
                        .collect(),
                    active,
                }
            })
            .collect(),
    })
}

/// The whole dashboard of a period.
pub fn dashboard(conn: &Connection, p: Period) -> Result<Dashboard, AppError> {
    let prev = p.previous();
    let now = totals(conn, p)?;
    let before = totals(conn, prev)?;
    let all_products = products(conn, p, None)?;
    let (rfm_grilla, rfm_grupos) = rfm_picture(conn)?;
    Ok(Dashboard {
        periodo: p,
        anterior: prev,
        totales: now,
        kpis: Kpis::compare(&now, &before),
        serie: series(conn, p)?,
        canales: channels(conn, p)?,
        categorias_top: categories(&all_products).into_iter().take(10).collect(),
        productos_top: all_products.into_iter().take(10).collect(),
        segmentos: segment_counts(conn)?,
        rfm_grilla,
        rfm_grupos,
        clv: clv_buckets(conn)?,
        cohortes: cohort_matrix(conn, p)?,
        conversion: super::conversion::by_channel(conn, p)?,
        satisfaccion: super::satisfaction::kpis(conn, p)?,
        impacto: super::impact_totals::totals(conn, p)?,
    })
}
