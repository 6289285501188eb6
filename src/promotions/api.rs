//! JSON handlers: promotion rules, a simulator that answers "what would this order get at
//! that time" with the same engine order creation uses, and an order's discount lines.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::engine::{Applied, Line, Rule};
use super::store::{self, Discount};
use crate::api::ApiJson;
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::tenants::ids::{CustomerId, OrderId, ProductId};
use crate::tenants::{Slug, TenantCtx};
use crate::time::{now_ms, parse_instant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(simulate))
        .routes(routes!(order_discounts))
}

fn bad(field: &str, es: &str, en: &str) -> AppError {
    AppError::validation(field, "invalid_parameter", msg(es, en))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub nombre: String,
    /// `2x1` or `porcentaje`.
    pub tipo: String,
    #[serde(default)]
    pub porcentaje: i64,
    #[schema(value_type = Option<String>)]
    pub producto_id: Option<ProductId>,
    pub categoria: Option<String>,
    /// ISO weekdays, 1 = lunes … 7 = domingo; empty: every day.
    #[serde(default)]
    pub dias: Vec<u32>,
    /// Local time "HH:MM", default 00:00.
    pub desde: Option<String>,
    /// Local time "HH:MM" (exclusive), default 24:00.
    pub hasta: Option<String>,
    pub segmento: Option<String>,
    /// Purchase history: only customers who bought this SKU in `compro_veces` earlier orders
    /// (not cancelled), e.g. "ordered combo familiar ≥ 3 times".
    pub compro_sku: Option<String>,
    /// Times for `compro_sku` (default 1).
    pub compro_veces: Option<i64>,
}

fn minutes(v: Option<&str>, default: i64, field: &str) -> Result<i64, AppError> {
    let Some(v) = v else { return Ok(default) };
    let (h, m) = v
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<i64>().ok()?, m.parse::<i64>().ok()?)))
        .filter(|(h, m)| (0..=24).contains(h) && (0..60).contains(m) && h * 60 + m <= 1440)
        .ok_or_else(|| bad(field, "Hora HH:MM.", "Time as HH:MM."))?;
    Ok(h * 60 + m)
}

impl RuleInput {
    /// The purchase-history condition, checked.
    pub(crate) fn history(&self) -> Result<Option<store::History>, AppError> {
        let sku = self
            .compro_sku
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        match (sku, self.compro_veces) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(bad(
                "compro_sku",
                "Indica el SKU del historial de compras.",
                "Give the SKU of the purchase history.",
            )),
            (Some(_), Some(n)) if !(1..=100_000).contains(&n) => Err(bad(
                "compro_veces",
                "Veces: de 1 a 100000.",
                "Times: 1 to 100000.",
            )),
            (Some(sku), n) if sku.chars().count() <= 64 => Ok(Some(store::History {
                sku: sku.to_owned(),
                veces: n.unwrap_or(1),
            })),
            (Some(_), _) => Err(bad("compro_sku", "SKU demasiado largo.", "SKU too long.")),
        }
    }

    /// Validates the input into a rule (the screens use it too, so both refuse the same).
    pub(crate) fn into_rule(self, slug: &Slug, tz: &str) -> Result<Rule, AppError> {
        let nombre = self.nombre.trim().to_string();
        if nombre.is_empty() || nombre.chars().count() > 120 {
            return Err(bad(
                "nombre",
                "Nombre de 1 a 120 caracteres.",
                "Name of 1 to 120 characters.",
            ));
        }
        if !matches!(self.tipo.as_str(), "2x1" | "porcentaje") {
            return Err(bad(
                "tipo",
                "Tipo: 2x1 o porcentaje.",
                "Type: 2x1 or porcentaje.",
            ));
        }
        if self.tipo == "porcentaje" && !(1..=100).contains(&self.porcentaje) {
            return Err(bad(
                "porcentaje",
                "Porcentaje de 1 a 100.",
                "Percentage 1 to 100.",
            ));
        }
        if self.dias.iter().any(|d| !(1..=7).contains(d)) {
            return Err(bad(
                "dias",
                "Días de 1 (lunes) a 7 (domingo).",
                "Days 1 (Monday) to 7 (Sunday).",
            ));
        }
        if self.producto_id.as_ref().is_some_and(|p| &p.slug != slug) {
            return Err(bad(
                "producto_id",
                "El producto es de otra marca.",
                "The product belongs to another brand.",
            ));
        }
        let desde = minutes(self.desde.as_deref(), 0, "desde")?;
        let hasta = minutes(self.hasta.as_deref(), 1440, "hasta")?;
        if desde >= hasta {
            return Err(bad(
                "hasta",
                "`hasta` debe ser posterior a `desde`.",
                "`hasta` must be after `desde`.",
            ));
        }
        let mut dias = self.dias;
        dias.sort_unstable();
        dias.dedup();
        Ok(Rule {
            id: 0,
            nombre,
            tipo: self.tipo,
            porcentaje: self.porcentaje,
            producto_id: self.producto_id.map(|p| p.local),
            categoria: self
                .categoria
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty()),
            dias,
            minuto_desde: desde,
            minuto_hasta: hasta,
            segmento: self.segmento.filter(|s| !s.is_empty()),
            zona_horaria: tz.to_string(),
            activo: true,
        })
    }
}

/// A rule as the API shows it: the rule and its purchase-history condition, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    #[serde(flatten)]
    pub regla: Rule,
    /// "Bought `sku` in at least `veces` earlier orders"; absent: everyone the rule matches.
    pub historial: Option<store::History>,
}

#[utoipa::path(get, path = "/api/marcas/{id}/promociones", tag = "promociones",
    params(("id" = String, Path, description = "Brand slug")),
    responses((status = 200, body = Vec<RuleView>), (status = 404)), security(("bearer" = [])))]
async fn list_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<axum::Json<Vec<RuleView>>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    let (rules, mut histories) = tenant
        .read(|c| Ok((store::rules(c)?, store::histories(c)?)))
        .await?;
    Ok(axum::Json(
        rules
            .into_iter()
            .map(|regla| RuleView {
                historial: histories.remove(&regla.id),
                regla,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/marcas/{id}/promociones", tag = "promociones",
    params(("id" = String, Path, description = "Brand slug")), request_body = RuleInput,
    responses((status = 201, body = RuleView), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<RuleInput>,
) -> Result<(StatusCode, axum::Json<RuleView>), AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Write).await?;
    let history = input.history()?;
    let rule = input.into_rule(&slug, &tenant.brand().zona_horaria)?;
    let saved = tenant
        .write(move |c| {
            let regla = store::insert_rule(c, &rule, now_ms())?;
            if let Some(h) = &history {
                store::set_history(c, regla.id, h)?;
            }
            Ok(RuleView {
                regla,
                historial: history,
            })
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(saved)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateInput {
    pub items: Vec<crate::orders::ItemInput>,
    #[schema(value_type = Option<String>)]
    pub cliente_id: Option<CustomerId>,
    /// The instant to evaluate at (RFC 3339); default now.
    pub en: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimulateView {
    pub descuento: i64,
    pub aplicadas: Vec<Applied>,
}

#[utoipa::path(post, path = "/api/marcas/{id}/promociones/simular", tag = "promociones",
    params(("id" = String, Path, description = "Brand slug")), request_body = SimulateInput,
    responses((status = 200, body = SimulateView), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn simulate(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<SimulateInput>,
) -> Result<axum::Json<SimulateView>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    if input.cliente_id.as_ref().is_some_and(|c| c.slug != slug)
        || input
            .items
            .iter()
            .any(|i| i.producto_id.as_ref().is_some_and(|p| p.slug != slug))
    {
        return Err(AppError::NotFound("cliente"));
    }
    let at = match input.en.as_deref() {
        Some(s) => parse_instant(s, tenant.brand().tz())
            .ok_or_else(|| bad("en", "Fecha inválida.", "Invalid date."))?,
        None => now_ms(),
    };
    let customer = input.cliente_id.map(|c| c.local).unwrap_or(0);
    let aplicadas = tenant
        .read(move |c| {
            let mut lines = Vec::new();
            for (n, i) in input.items.iter().enumerate() {
                let p = match (&i.producto_id, &i.sku) {
                    (Some(id), _) => crate::products::store::get(c, id.local)?,
                    (None, Some(sku)) => crate::products::store::get_by_sku(c, sku.trim())?,
                    (None, None) => None,
                };
                let p = p.ok_or_else(|| {
                    bad(
                        &format!("items[{n}]"),
                        "Producto inexistente.",
                        "Unknown product.",
                    )
                })?;
                lines.push(Line {
                    product_id: Some(p.id),
                    category: p.category,
                    name: p.name,
                    quantity: i.cantidad.clamp(0, crate::orders::MAX_QUANTITY),
                    unit_price: p.price,
                });
            }
            store::evaluate(c, &lines, customer, at)
        })
        .await?;
    Ok(axum::Json(SimulateView {
        descuento: aplicadas.iter().map(|a| a.monto).sum(),
        aplicadas,
    }))
}

#[utoipa::path(get, path = "/api/pedidos/{id}/descuentos", tag = "promociones",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = Vec<Discount>), (status = 404)), security(("bearer" = [])))]
async fn order_discounts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<Discount>>, AppError> {
    let id: OrderId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, &caller, &id.slug, Access::Read).await?;
    let local = id.local;
    let lines = tenant
        .read(move |c| {
            crate::orders::store::get(c, local)?.ok_or(AppError::NotFound("pedido"))?;
            store::discounts(c, local)
        })
        .await?;
    Ok(axum::Json(lines))
}
