//! JSON (and CSV) handlers for brand metrics: dashboard, detailed reports, CLV with the
//! fitted model, the live RFM grid and the segment-change list. Thin: parse, open the
//! brand, call the analytics store, render.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{metrics, report};
use crate::api::ApiQuery;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::{Slug, TenantCtx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dashboard))
        .routes(routes!(reports))
        .routes(routes!(clv))
        .routes(routes!(rfm))
        .routes(routes!(segment_changes))
        .routes(routes!(combined))
}

#[utoipa::path(get, path = "/api/metricas/combinado", tag = "metricas",
    params(PeriodParams),
    responses((status = 200, description = "Every brand the caller can see (a brand-scoped token: only its brand) with its KPIs against the previous period, and totals per currency (brands in different currencies are never added)", body = super::combined::Combined),
        (status = 422, description = "Invalid period")),
    security(("bearer" = [])))]
async fn combined(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> Result<axum::Json<super::combined::Combined>, AppError> {
    Ok(axum::Json(
        super::combined::build(
            &state,
            &caller,
            q.desde.as_deref(),
            q.hasta.as_deref(),
            q.periodo.as_deref(),
        )
        .await?,
    ))
}

/// Opens a brand for reading with its rollups in its current zone.
pub async fn open(state: &AppState, caller: &Caller, slug: &str) -> Result<TenantCtx, AppError> {
    let slug = Slug::parse(slug).map_err(|_| AppError::NotFound("marca"))?;
    let ctx = TenantCtx::open(&state.registry, caller, &slug, Access::Read).await?;
    let tz = ctx.brand().tz();
    let stored = ctx.read(super::zone::stored_zone).await?;
    if stored.as_deref() != Some(tz.name()) {
        ctx.write(move |c| super::zone::ensure(c, tz)).await?;
    }
    Ok(ctx)
}

/// Today in the brand's zone.
pub fn today(ctx: &TenantCtx) -> NaiveDate {
    Utc::now().with_timezone(&ctx.brand().tz()).date_naive()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// First local day (YYYY-MM-DD, brand time zone), inclusive.
    desde: Option<String>,
    /// Last local day (YYYY-MM-DD), inclusive.
    hasta: Option<String>,
    /// `day`, `week` or `month` (today, last 7 days, last 30 days; default month).
    periodo: Option<String>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/metricas/dashboard", tag = "metricas",
    params(("id" = String, Path, description = "Brand slug"), PeriodParams),
    responses((status = 200, description = "KPIs with the previous period, per-day series, channels, top products and categories, segments, RFM grid, CLV histogram, cohort retention, `conversion` (per channel: conversaciones, convertidas, tasa), `satisfaccion` (CSAT and NPS now and before, with answer counts) and `impacto` (CO₂ kg and plastic g avoided in the period and all time; null for brands without impact attributes)", body = Object),
        (status = 404, description = "Unknown brand")),
    security(("bearer" = [])))]
async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> Result<axum::Json<metrics::Dashboard>, AppError> {
    let ctx = open(&state, &caller, &slug).await?;
    let p = metrics::resolve_period(
        q.desde.as_deref(),
        q.hasta.as_deref(),
        q.periodo.as_deref(),
        today(&ctx),
    )?;
    Ok(axum::Json(
        ctx.read(move |c| metrics::dashboard(c, p)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    desde: Option<String>,
    hasta: Option<String>,
    periodo: Option<String>,
    /// `dias` (default), `canales`, `productos`, `categorias`, `clientes` or `conversion`.
    tabla: Option<String>,
    /// `json` (default) or `csv`.
    formato: Option<String>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/metricas/reportes", tag = "metricas",
    params(("id" = String, Path, description = "Brand slug"), ReportParams),
    responses((status = 200, description = "`{tabla, columnas, filas}` or a CSV file", body = Object),
        (status = 403, description = "Staff accounts may not export"),
        (status = 404, description = "Unknown brand")),
    security(("bearer" = [])))]
async fn reports(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ReportParams>,
) -> Result<Response, AppError> {
    let csv = match q.formato.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(AppError::validation(
                "formato",
                "invalid_format",
                msg("Formato: json o csv.", "Format: json or csv."),
            ));
        }
    };
    let kind = report::Kind::parse(q.tabla.as_deref())?;
    if csv && caller.role() == Some(crate::auth::users::Role::Staff) {
        return Err(AppError::Forbidden);
    }
    let ctx = open(&state, &caller, &slug).await?;
    let p = metrics::resolve_period(
        q.desde.as_deref(),
        q.hasta.as_deref(),
        q.periodo.as_deref(),
        today(&ctx),
    )?;
    let table = ctx.read(move |c| report::build(c, kind, p)).await?;
    if csv {
        let name = format!(
            "{}-{}-{}-{}.csv",
            ctx.slug(),
            kind.as_str(),
            p.desde,
            p.hasta
        );
        return Ok(csv_response(&name, table.to_csv()?));
    }
    Ok(axum::Json(table).into_response())
}

pub fn csv_response(name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClvParams {
    /// End of the calibration period: a local date (orders up to the end of that day), or
    /// now when absent.
    as_of: Option<String>,
    /// Page number, from 1.
    pagina: Option<u32>,
    /// Rows per page (1-500, default 50).
    limite: Option<u32>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/metricas/clv", tag = "metricas",
    params(("id" = String, Path, description = "Brand slug"), ClvParams),
    responses((status = 200, description = "`{bgnbd: {r, alpha, a, b}, gamma_gamma: {p, q, gamma} | null, unidad_tiempo: \"semanas\", as_of, clientes_modelo, total, pagina, limite, clientes: [...]}` (time in weeks, money in minor units)", body = Object),
        (status = 404, description = "Unknown brand"),
        (status = 422, description = "Not enough history to fit the model")),
    security(("bearer" = [])))]
async fn clv(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ClvParams>,
) -> Result<axum::Json<Value>, AppError> {
    let ctx = open(&state, &caller, &slug).await?;
    let tz = ctx.brand().tz();
    let as_of: DateTime<Utc> = match q.as_of.as_deref() {
        None => Utc::now(),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.succ_opt())
            .and_then(|d| crate::time::parse_instant(&d.to_string(), tz))
            .and_then(|ms| DateTime::<Utc>::from_timestamp_millis(ms - 1))
            .ok_or_else(|| {
                AppError::validation(
                    "as_of",
                    "invalid_date",
                    msg("Fecha inválida (AAAA-MM-DD).", "Invalid date (YYYY-MM-DD)."),
                )
            })?,
    };
    let limit = q.limite.unwrap_or(50);
    if !(1..=500).contains(&limit) || q.pagina == Some(0) {
        return Err(AppError::validation(
            "limite",
            "invalid_limit",
            msg(
                "`limite` entre 1 y 500, `pagina` desde 1.",
                "`limite` between 1 and 500, `pagina` from 1.",
            ),
        ));
    }
    let page = q.pagina.unwrap_or(1);
    let out = ctx
        .read(move |c| report::clv_page(c, tz, as_of, page, limit))
        .await?;
    Ok(axum::Json(out))
}

#[utoipa::path(get, path = "/api/marcas/{id}/metricas/rfm", tag = "metricas",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, description = "Live RFM: `grilla[r-1][f-1]` {clientes, ingresos} (recency rows × frequency columns) and the 11 named groups", body = Object),
        (status = 404, description = "Unknown brand")),
    security(("bearer" = [])))]
async fn rfm(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Value>, AppError> {
    let ctx = open(&state, &caller, &slug).await?;
    let tz = ctx.brand().tz();
    let r = ctx
        .read(move |c| report::rfm_live(c, Utc::now(), tz))
        .await?;
    Ok(axum::Json(json!({
        "clientes": r.customers.len(),
        "grilla": r.grid,
        "grupos": r.groups,
    })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// From this local day (default: 7 days ago).
    desde: Option<String>,
    /// Up to this local day, inclusive (default today).
    hasta: Option<String>,
    /// Only changes into this segment (e.g. `vip`).
    hacia: Option<String>,
    /// At most this many rows, newest first (1-500, default 100).
    limite: Option<u32>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/metricas/segmentos/cambios", tag = "metricas",
    params(("id" = String, Path, description = "Brand slug"), ChangeParams),
    responses((status = 200, description = "Segment changes, newest first: `{cambios: [{cliente_id, nombre, desde, hacia, en}]}`", body = Object),
        (status = 404, description = "Unknown brand")),
    security(("bearer" = [])))]
async fn segment_changes(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ChangeParams>,
) -> Result<axum::Json<Value>, AppError> {
    let ctx = open(&state, &caller, &slug).await?;
    if let Some(h) = &q.hacia
        && !super::segments::Segment::ALL.iter().any(|s| s.key() == h)
    {
        return Err(AppError::validation(
            "hacia",
            "invalid_parameter",
            msg("Segmento desconocido.", "Unknown segment."),
        ));
    }
    let today = today(&ctx);
    let p = metrics::resolve_period(
        q.desde.as_deref(),
        q.hasta.as_deref(),
        Some("week").filter(|_| q.desde.is_none()),
        today,
    )?;
    let limit = q.limite.unwrap_or(100).clamp(1, 500);
    let brand = ctx.brand();
    let hacia = q.hacia.clone();
    let rows = ctx
        .read(move |c| report::segment_changes(c, &brand, p, hacia.as_deref(), limit))
        .await?;
    Ok(axum::Json(json!({ "periodo": p, "cambios": rows })))
}
