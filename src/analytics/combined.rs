//! The owners' combined view: for every brand the caller can see (an owner: all; a manager
//! or token: their brands), the period's KPIs against the previous period side by side,
//! and totals per currency — brands in different currencies are never added together.
//! Screen `/metricas`, API `GET /api/metricas/combinado`.
//!
//! Each brand's period is in its own zone (with `periodo`, "today" is each brand's today).
//! Customer counts add across brands as they are: each brand has its own customer base.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api;
use super::metrics::{self, Kpis, Totals};
use super::period::Period;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::web::ui::Ui;

/// One brand's column.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BrandRow {
    pub slug: String,
    pub nombre: String,
    /// ISO 4217; money fields are minor units of it.
    pub moneda: String,
    pub periodo: Period,
    pub anterior: Period,
    pub totales: Totals,
    pub kpis: Kpis,
}

/// The sum of the brands that share a currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CurrencyRow {
    pub moneda: String,
    /// Slugs of the brands added.
    pub marcas: Vec<String>,
    pub totales: Totals,
    pub kpis: Kpis,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Combined {
    pub marcas: Vec<BrandRow>,
    /// One row per currency, in currency order.
    pub por_moneda: Vec<CurrencyRow>,
}

fn add(a: &mut Totals, b: &Totals) {
    a.pedidos += b.pedidos;
    a.ingresos += b.ingresos;
    a.cancelados += b.cancelados;
    a.clientes_nuevos += b.clientes_nuevos;
    a.clientes_activos += b.clientes_activos;
    a.ticket_promedio = if a.pedidos > 0 {
        a.ingresos / a.pedidos
    } else {
        0
    };
}

/// The combined figures for `caller` (only brands it may see; archived brands left out).
pub async fn build(
    state: &AppState,
    caller: &Caller,
    desde: Option<&str>,
    hasta: Option<&str>,
    periodo: Option<&str>,
) -> Result<Combined, AppError> {
    let brands: Vec<_> = state
        .registry
        .list(false)
        .await?
        .into_iter()
        .filter(|b| caller.may_see(&b.slug))
        .collect();
    let mut marcas = Vec::new();
    let mut sums: BTreeMap<String, (Totals, Totals, Vec<String>)> = BTreeMap::new();
    for b in brands {
        let ctx = api::open(state, caller, b.slug.as_str()).await?;
        let p = metrics::resolve_period(desde, hasta, periodo, api::today(&ctx))?;
        let prev = p.previous();
        let (now, before) = ctx
            .read(move |c| Ok((metrics::totals(c, p)?, metrics::totals(c, prev)?)))
            .await?;
        let e = sums.entry(b.moneda.clone()).or_default();
        add(&mut e.0, &now);
        add(&mut e.1, &before);
        e.2.push(b.slug.as_str().to_string());
        marcas.push(BrandRow {
            slug: b.slug.as_str().to_string(),
            nombre: b.nombre.clone(),
            moneda: b.moneda.clone(),
            periodo: p,
            anterior: prev,
            kpis: Kpis::compare(&now, &before),
            totales: now,
        });
    }
    let por_moneda = sums
        .into_iter()
        .map(|(moneda, (now, before, marcas))| CurrencyRow {
            moneda,
            marcas,
            kpis: Kpis::compare(&now, &before),
            totales: now,
        })
        .collect();
    Ok(Combined { marcas, por_moneda })
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct PeriodQuery {
    #[serde(default)]
    desde: Option<String>,
    #[serde(default)]
    hasta: Option<String>,
    #[serde(default)]
    periodo: Option<String>,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The combined screen (`/metricas`).
pub(super) async fn page(
    State(state): State<AppState>,
    ui: Ui,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let c = build(
        &state,
        &ui.caller,
        blank(&q.desde),
        blank(&q.hasta),
        blank(&q.periodo),
    )
    .await?;
    if c.marcas.is_empty() {
        // No brand yet: the home page says so.
        return Ok(Redirect::to("/").into_response());
    }
    let base = ui.base(&state).await?;
    // The layout's navigation needs a current brand: the first one listed.
    let first = c.marcas.first();
    let own = context! {
        section => "metricas",
        brand => first.map(|b| context! { slug => &b.slug, nombre => &b.nombre, moneda => &b.moneda }),
        c => Value::from_serialize(&c),
        periodo => blank(&q.periodo).unwrap_or(""),
        desde => first.map(|b| b.periodo.desde.to_string()),
        hasta => first.map(|b| b.periodo.hasta.to_string()),
    };
    Ok(crate::web::render(
        "dashboard/combined.html",
        minijinja::value::merge_maps([own, base]),
    )?
    .into_response())
}
