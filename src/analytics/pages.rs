//! The dashboard screen: KPIs against the previous period and server-drawn SVG charts
//! (revenue and orders over time, channels, top products, cohort heat map, RFM grid,
//! segment donut), with CSV exports for everyone but staff accounts. No script needed.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use axum::routing::get;
use minijinja::{Value, context};
use serde::Deserialize;

use super::charts::{self, Series};
use super::metrics::{self, Dashboard};
use super::{api, report};
use crate::app::AppState;
use crate::auth::Access;
use crate::auth::users::Role;
use crate::error::AppError;
use crate::web::ui::Ui;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/metricas", get(show))
        .route("/m/{slug}/metricas/exportar.csv", get(export))
        .route("/m/{slug}/metricas/vivo", get(live))
        .route("/metricas", get(super::combined::page))
        .merge(super::thresholds_pages::router())
}

#[derive(Debug, Deserialize, Default)]
struct PeriodQuery {
    #[serde(default)]
    desde: Option<String>,
    #[serde(default)]
    hasta: Option<String>,
    #[serde(default)]
    periodo: Option<String>,
    #[serde(default)]
    tabla: Option<String>,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn safe(svg: String) -> Value {
    Value::from_safe_string(svg)
}

/// Every chart of the dashboard, drawn once here for the template.
fn draw(d: &Dashboard, currency: &str) -> Value {
    let money = |v: f64| crate::web::decimal(v.round() as i64, currency);
    let count = |v: f64| format!("{v:.0}");
    let labels: Vec<String> = d
        .serie
        .iter()
        .map(|r| r.dia.get(5..).unwrap_or(&r.dia).to_string())
        .collect();
    let revenue = charts::line(
        "Ingresos por día",
        &labels,
        &[Series {
            name: "Ingresos".into(),
            values: d.serie.iter().map(|r| r.ingresos as f64).collect(),
        }],
        &money,
    );
    let orders = charts::line(
        "Pedidos y clientes nuevos por día",
        &labels,
        &[
            Series {
                name: "Pedidos".into(),
                values: d.serie.iter().map(|r| r.pedidos as f64).collect(),
            },
            Series {
                name: "Clientes nuevos".into(),
                values: d.serie.iter().map(|r| r.clientes_nuevos as f64).collect(),
            },
        ],
        &count,
    );
    let channels = charts::bars(
        "Ingresos por canal",
        &d.canales
            .iter()
            .map(|c| (c.canal.clone(), c.ingresos as f64))
            .collect::<Vec<_>>(),
        &money,
    );
    let products = charts::bars(
        "Productos más vendidos",
        &d.productos_top
            .iter()
            .map(|p| (p.nombre.clone(), p.ingresos as f64))
            .collect::<Vec<_>>(),
        &money,
    );
    let segments = charts::donut(
        "Clientes por segmento",
        &d.segmentos
            .iter()
            .map(|s| (s.nombre.to_string(), s.clientes as f64))
            .collect::<Vec<_>>(),
    );
    let cohorts = d.cohortes.cohorts.iter().rev().take(12).rev();
    let width = d
        .cohortes
        .cohorts
        .iter()
        .map(|c| c.retention.len())
        .max()
        .unwrap_or(0)
        .min(12);
    let recent: Vec<_> = cohorts.collect();
    let rows: Vec<String> = recent
        .iter()
        .map(|row| format!("{} ({})", row.month, row.customers))
        .collect();
    let cells: Vec<Vec<Option<f64>>> = recent
        .iter()
        .map(|row| row.retention.iter().take(width).map(|v| Some(*v)).collect())
        .collect();
    let text: Vec<Vec<String>> = recent
        .iter()
        .map(|row| {
            row.retention
                .iter()
                .take(width)
                .map(|v| format!("{:.0}%", v * 100.0))
                .collect()
        })
        .collect();
    let cohort_map = charts::heatmap(
        "Retención por cohorte (mes del primer pedido)",
        &rows,
        &(0..width).map(|k| format!("+{k}")).collect::<Vec<_>>(),
        &cells,
        &text,
    );
    let max = d
        .rfm_grilla
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let rfm = charts::heatmap(
        "RFM: recencia (filas) × frecuencia (columnas)",
        &(1..=5).rev().map(|r| format!("R{r}")).collect::<Vec<_>>(),
        &(1..=5).map(|f| format!("F{f}")).collect::<Vec<_>>(),
        &d.rfm_grilla
            .iter()
            .rev()
            .map(|row| row.iter().map(|n| Some(*n as f64 / max)).collect())
            .collect::<Vec<_>>(),
        &d.rfm_grilla
            .iter()
            .rev()
            .map(|row| row.iter().map(|n| n.to_string()).collect())
            .collect::<Vec<_>>(),
    );
    let clv = charts::bars(
        "Valor de vida previsto a 12 meses",
        &d.clv
            .iter()
            .map(|b| {
                let label = match b.hasta {
                    Some(h) => format!("{}–{}", money(b.desde as f64), money(h as f64)),
                    None => format!("≥ {}", money(b.desde as f64)),
                };
                (label, b.clientes as f64)
            })
            .collect::<Vec<_>>(),
        &count,
    );
    context! {
        ingresos => safe(revenue), pedidos => safe(orders), canales => safe(channels),
        productos => safe(products), segmentos => safe(segments), cohortes => safe(cohort_map),
        rfm => safe(rfm), clv => safe(clv),
    }
}

async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let ctx = api::open(&state, &ui.caller, &slug).await?;
    let p = metrics::resolve_period(
        blank(&q.desde),
        blank(&q.hasta),
        blank(&q.periodo),
        api::today(&ctx),
    )?;
    let d = ctx.read(move |c| metrics::dashboard(c, p)).await?;
    let currency = b.brand().moneda;
    let charts = draw(&d, &currency);
    let can_export = ui.role() != Role::Staff;
    let query = format!("desde={}&hasta={}", p.desde, p.hasta);
    b.page(
        &state,
        "dashboard/index.html",
        "metricas",
        context! { d => Value::from_serialize(&d), charts, can_export, query,
            periodo => blank(&q.periodo).unwrap_or(""), tablas => report::Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>() },
    )
    .await
}

/// The part of the screen that follows new orders (KPIs, satisfaction, impact,
/// conversion): app.js re-fetches it on every `pedidos` event of `/m/{slug}/eventos`.
async fn live(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let ctx = api::open(&state, &ui.caller, &slug).await?;
    let p = metrics::resolve_period(
        blank(&q.desde),
        blank(&q.hasta),
        blank(&q.periodo),
        api::today(&ctx),
    )?;
    let d = ctx.read(move |c| metrics::dashboard(c, p)).await?;
    b.fragment(
        "dashboard/_live.html",
        context! { d => Value::from_serialize(&d) },
    )
}

async fn export(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    if ui.role() == Role::Staff {
        return Err(AppError::Forbidden);
    }
    let ctx = api::open(&state, &ui.caller, &slug).await?;
    let kind = report::Kind::parse(blank(&q.tabla))?;
    let p = metrics::resolve_period(
        blank(&q.desde),
        blank(&q.hasta),
        blank(&q.periodo),
        api::today(&ctx),
    )?;
    let table = ctx.read(move |c| report::build(c, kind, p)).await?;
    let name = format!("{slug}-{}-{}-{}.csv", kind.as_str(), p.desde, p.hasta);
    Ok(api::csv_response(&name, table.to_csv()?))
}
