//! Detailed report tables (JSON or CSV), the per-customer CLV page with the fitted model,
//! the live RFM picture and the segment-change list.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::{Value, json};

use super::clv::{self, ClvOptions};
use super::metrics::{self, Period};
use super::refresh::load_orders;
use super::rfm::{self, RfmInput, RfmReport};
use crate::error::{AppError, msg};
use crate::tenants::Brand;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Days,
    Channels,
    Products,
    Categories,
    Customers,
    /// Conversations started → orders within 7 days, per channel.
    Conversion,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Days,
        Kind::Channels,
        Kind::Products,
        Kind::Categories,
        Kind::Customers,
        Kind::Conversion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Days => "dias",
            Kind::Channels => "canales",
            Kind::Products => "productos",
            Kind::Categories => "categorias",
            Kind::Customers => "clientes",
            Kind::Conversion => "conversion",
        }
    }

    pub fn parse(v: Option<&str>) -> Result<Kind, AppError> {
        match v {
            None => Ok(Kind::Days),
            Some(s) => Kind::ALL
                .into_iter()
                .find(|k| k.as_str() == s)
                .ok_or_else(|| {
                    AppError::validation(
                        "tabla",
                        "invalid_parameter",
                        msg(
                            "Tabla: dias, canales, productos, categorias, clientes o conversion.",
                            "Table: dias, canales, productos, categorias, clientes or conversion.",
                        ),
                    )
                }),
        }
    }
}

/// A report table. JSON: `tabla`, `periodo`, `columnas`, `filas` (money in minor units).
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub tabla: &'static str,
    pub periodo: Period,
    pub columnas: Vec<&'static str>,
    pub filas: Vec<Vec<Value>>,
}

impl Table {
    pub fn to_csv(&self) -> Result<Vec<u8>, AppError> {
        let rows: Vec<Vec<String>> = self
            .filas
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        crate::web::csvkit::write(&self.columnas, &rows)
    }
}

pub fn build(conn: &Connection, kind: Kind, p: Period) -> Result<Table, AppError> {
    let (columnas, filas): (Vec<&'static str>, Vec<Vec<Value>>) = match kind {
        Kind::Days => (
            vec![
                "dia",
                "pedidos",
                "ingresos",
                "cancelados",
                "clientes_nuevos",
                "clientes_activos",
            ],
            metrics::series(conn, p)?
                .into_iter()
                .map(|d| {
                    vec![
                        json!(d.dia),
                        json!(d.pedidos),
                        json!(d.ingresos),
                        json!(d.cancelados),
                        json!(d.clientes_nuevos),
                        json!(d.clientes_activos),
                    ]
                })
                .collect(),
        ),
        Kind::Channels => (
            vec!["canal", "pedidos", "ingresos", "cancelados"],
            metrics::channels(conn, p)?
                .into_iter()
                .map(|c| {
                    vec![
                        json!(c.canal),
                        json!(c.pedidos),
                        json!(c.ingresos),
                        json!(c.cancelados),
                    ]
                })
                .collect(),
        ),
        Kind::Conversion => (
            vec!["canal", "conversaciones", "convertidas", "tasa"],
            super::conversion::by_channel(conn, p)?
                .into_iter()
                .map(|c| {
                    vec![
                        json!(c.canal),
                        json!(c.conversaciones),
                        json!(c.convertidas),
                        json!(c.tasa),
                    ]
                })
                .collect(),
        ),
        Kind::Products | Kind::Categories => {
            let all = metrics::products(conn, p, None)?;
            if kind == Kind::Products {
                (
                    vec!["sku", "nombre", "categoria", "unidades", "ingresos"],
                    all.into_iter()
                        .map(|r| {
                            vec![
                                json!(r.sku),
                                json!(r.nombre),
                                json!(r.categoria),
                                json!(r.unidades),
                                json!(r.ingresos),
                            ]
                        })
                        .collect(),
                )
            } else {
                let mut map: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
                for r in all {
                    let e = map.entry(r.categoria).or_default();
                    e.0 += r.unidades;
                    e.1 += r.ingresos;
                }
                (
                    vec!["categoria", "unidades", "ingresos"],
                    map.into_iter()
                        .map(|(c, (u, i))| vec![json!(c), json!(u), json!(i)])
                        .collect(),
                )
            }
        }
        Kind::Customers => {
            let mut st = conn.prepare(
                "SELECT c.id, c.nombre, c.segmento, c.pedidos_count, c.total_gastado,
                        a.rfm_r, a.rfm_f, a.rfm_m, a.rfm_grupo, a.clv, a.prob_activo
                 FROM clientes c LEFT JOIN analitica_clientes a ON a.cliente_id = c.id
                 ORDER BY c.total_gastado DESC, c.id",
            )?;
            let rows = st.query_map([], |r| {
                let mut row = Vec::with_capacity(11);
                row.push(json!(r.get::<_, i64>(0)?));
                row.push(json!(r.get::<_, String>(1)?));
                row.push(json!(r.get::<_, String>(2)?));
                row.push(json!(r.get::<_, i64>(3)?));
                row.push(json!(r.get::<_, i64>(4)?));
                for i in 5..8 {
                    row.push(json!(r.get::<_, Option<i64>>(i)?));
                }
                row.push(json!(r.get::<_, Option<String>>(8)?));
                row.push(json!(r.get::<_, Option<i64>>(9)?));
                row.push(json!(r.get::<_, Option<f64>>(10)?));
                Ok(row)
            })?;
            (
                vec![
                    "cliente_id",
                    "nombre",
                    "segmento",
                    "pedidos",
                    "total_gastado",
                    "rfm_r",
                    "rfm_f",
                    "rfm_m",
                    "rfm_grupo",
                    "clv",
                    "prob_activo",
                ],
                rows.collect::<Result<_, _>>()?,
            )
        }
    };
    Ok(Table {
        tabla: kind.as_str(),
        periodo: p,
        columnas,
        filas,
    })
}

/// Fits BG/NBD + Gamma-Gamma on the orders up to `as_of` and returns the model with one
/// page of customers, highest CLV first.
pub fn clv_page(
    conn: &Connection,
    tz: Tz,
    as_of: DateTime<Utc>,
    page: u32,
    limit: u32,
) -> Result<Value, AppError> {
    let orders = load_orders(conn, None)?;
    let mut summaries: Vec<clv::CustomerSummary> = orders
        .iter()
        .filter_map(|(id, list)| clv::summarize(*id, list, as_of, tz))
        .collect();
    summaries.sort_by_key(|s| s.customer_id);
    let model = clv::fit_model(&summaries).map_err(|e| {
        AppError::validation(
            "as_of",
            "cannot_fit",
            msg(
                format!("No hay historia suficiente para ajustar el modelo: {e}."),
                format!("Not enough history to fit the model: {e}."),
            ),
        )
    })?;
    let mut predictions: Vec<(clv::CustomerClv, &clv::CustomerSummary)> = summaries
        .iter()
        .map(|s| (clv::predict(&model, s, &ClvOptions::default()), s))
        .collect();
    predictions.sort_by(|a, b| {
        b.0.clv
            .cmp(&a.0.clv)
            .then(a.0.customer_id.cmp(&b.0.customer_id))
    });
    let start = usize::try_from((page.saturating_sub(1)) * limit).unwrap_or(usize::MAX);
    let mut name = conn.prepare_cached("SELECT nombre FROM clientes WHERE id = ?1")?;
    let mut rows = Vec::new();
    for (p, s) in predictions.iter().skip(start).take(limit as usize) {
        let nombre: Option<String> = name.query_row([p.customer_id], |r| r.get(0)).ok();
        rows.push(json!({
            "cliente_id": p.customer_id,
            "nombre": nombre,
            "frecuencia": s.frequency,
            "recencia_semanas": s.recency,
            "antiguedad_semanas": s.age,
            "gasto_medio": s.monetary.round() as i64,
            "compras_esperadas": p.expected_purchases,
            "prob_activo": p.p_alive,
            "gasto_esperado": p.expected_spend,
            "clv": p.clv,
        }));
    }
    Ok(json!({
        "bgnbd": model.bgnbd,
        "gamma_gamma": model.gamma_gamma,
        "unidad_tiempo": "semanas",
        "horizonte_meses": ClvOptions::default().months,
        "as_of": as_of.with_timezone(&tz).to_rfc3339(),
        "clientes_modelo": summaries.len(),
        "total": predictions.len(),
        "pagina": page,
        "limite": limit,
        "clientes": rows,
    }))
}

/// RFM of every buyer right now, from the customers' running totals.
pub fn rfm_live(conn: &Connection, now: DateTime<Utc>, tz: Tz) -> Result<RfmReport, AppError> {
    let mut st = conn.prepare_cached(
        "SELECT id, ultimo_pedido_en, pedidos_count, total_gastado FROM clientes
         WHERE pedidos_count > 0 AND ultimo_pedido_en IS NOT NULL",
    )?;
    let input: Vec<RfmInput> = st
        .query_map([], |r| {
            Ok(RfmInput {
                customer_id: r.get(0)?,
                last_order: DateTime::<Utc>::from_timestamp_millis(r.get(1)?).unwrap_or_default(),
                orders: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                revenue: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rfm::analyse(&input, now, tz))
}

/// Segment changes in a period, newest first.
pub fn segment_changes(
    conn: &Connection,
    brand: &Brand,
    p: Period,
    to: Option<&str>,
    limit: u32,
) -> Result<Vec<Value>, AppError> {
    let tz = brand.tz();
    let from = crate::time::parse_instant(&p.desde.to_string(), tz).unwrap_or(i64::MIN);
    let until = p
        .hasta
        .succ_opt()
        .and_then(|d| crate::time::parse_instant(&d.to_string(), tz))
        .unwrap_or(i64::MAX);
    let mut st = conn.prepare_cached(
        "SELECT s.cliente_id, c.nombre, s.desde, s.hacia, s.en
         FROM segmento_cambios s JOIN clientes c ON c.id = s.cliente_id
         WHERE s.en >= ?1 AND s.en < ?2 AND (?3 IS NULL OR s.hacia = ?3)
         ORDER BY s.en DESC, s.id DESC LIMIT ?4",
    )?;
    let rows = st.query_map(params![from, until, to, limit], |r| {
        Ok(json!({
            "cliente_id": r.get::<_, i64>(0)?,
            "nombre": r.get::<_, String>(1)?,
            "desde": r.get::<_, Option<String>>(2)?,
            "hacia": r.get::<_, String>(3)?,
            "en": brand.format_time(r.get(4)?),
        }))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
