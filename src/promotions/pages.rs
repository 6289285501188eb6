//! The promotions screen: every rule with what it applies to and when, a form to create or
//! edit one (the same validation as the API), and a switch to enable or disable it. Each row
//! links to announcing the promotion to its customers (`/promociones/{id}/anunciar`, built by
//! the campaigns side). Looking is for everyone in the brand; changing prices is for managers
//! and owners (`Access::Admin`, as the catalogue's price edit).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::api::RuleInput;
use super::engine::Rule;
use super::store;
use crate::app::AppState;
use crate::auth::Access;
use crate::customers::SEGMENTS;
use crate::error::{AppError, msg};
use crate::tenants::ids::ProductId;
use crate::time::now_ms;
use crate::web::ui::{Ui, UiBrand, input_error, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/promociones", get(list).post(create))
        .route("/m/{slug}/promociones/{id}", post(update))
        .route("/m/{slug}/promociones/{id}/activo", post(toggle))
}

/// The rule form as typed (and as shown again with its error). Weekdays are one checkbox
/// each (`d1` lunes … `d7` domingo).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct RuleForm {
    #[serde(default)]
    nombre: String,
    #[serde(default)]
    tipo: String,
    #[serde(default)]
    porcentaje: String,
    #[serde(default)]
    producto_id: String,
    #[serde(default)]
    categoria: String,
    #[serde(default)]
    segmento: String,
    #[serde(default)]
    desde: String,
    #[serde(default)]
    hasta: String,
    /// Purchase history: bought this SKU in at least `compro_veces` earlier orders.
    #[serde(default)]
    compro_sku: String,
    #[serde(default)]
    compro_veces: String,
    d1: Option<String>,
    d2: Option<String>,
    d3: Option<String>,
    d4: Option<String>,
    d5: Option<String>,
    d6: Option<String>,
    d7: Option<String>,
}

fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl RuleForm {
    fn days(&self) -> Vec<u32> {
        [
            &self.d1, &self.d2, &self.d3, &self.d4, &self.d5, &self.d6, &self.d7,
        ]
        .iter()
        .zip(1u32..)
        .filter(|(d, _)| d.is_some())
        .map(|(_, n)| n)
        .collect()
    }

    fn from_rule(r: &Rule, history: Option<&store::History>) -> RuleForm {
        let on = |d: u32| r.dias.contains(&d).then(|| "1".to_string());
        RuleForm {
            nombre: r.nombre.clone(),
            tipo: r.tipo.clone(),
            porcentaje: if r.tipo == "porcentaje" {
                r.porcentaje.to_string()
            } else {
                String::new()
            },
            producto_id: r.producto_id.map(|p| p.to_string()).unwrap_or_default(),
            categoria: r.categoria.clone().unwrap_or_default(),
            segmento: r.segmento.clone().unwrap_or_default(),
            desde: if r.minuto_desde > 0 {
                hhmm(r.minuto_desde)
            } else {
                String::new()
            },
            hasta: if r.minuto_hasta < 1440 {
                hhmm(r.minuto_hasta)
            } else {
                String::new()
            },
            compro_sku: history.map(|h| h.sku.clone()).unwrap_or_default(),
            compro_veces: history.map(|h| h.veces.to_string()).unwrap_or_default(),
            d1: on(1),
            d2: on(2),
            d3: on(3),
            d4: on(4),
            d5: on(5),
            d6: on(6),
            d7: on(7),
        }
    }

    /// Into the API's input, so the screen refuses exactly what the API refuses.
    fn into_rule(self, b: &UiBrand) -> Result<(Rule, Option<store::History>), AppError> {
        let bad = |field: &str, es: &str, en: &str| {
            AppError::validation(field, "invalid_parameter", msg(es, en))
        };
        let porcentaje = match (self.tipo.as_str(), self.porcentaje.trim()) {
            ("porcentaje", p) => p.parse::<i64>().map_err(|_| {
                bad(
                    "porcentaje",
                    "Porcentaje: un número entero de 1 a 100.",
                    "Percentage: a whole number from 1 to 100.",
                )
            })?,
            _ => 0,
        };
        let product = match self.producto_id.trim() {
            "" => None,
            p => Some(ProductId::new(
                b.slug(),
                p.parse::<i64>()
                    .map_err(|_| bad("producto_id", "Producto inexistente.", "Unknown product."))?,
            )),
        };
        if product.is_some() && !self.categoria.trim().is_empty() {
            return Err(bad(
                "categoria",
                "Elija un producto o una categoría, no ambos.",
                "Pick a product or a category, not both.",
            ));
        }
        let segment = self.segmento.trim().to_string();
        if !segment.is_empty() && !SEGMENTS.contains(&segment.as_str()) {
            return Err(bad("segmento", "Segmento desconocido.", "Unknown segment."));
        }
        let time = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
        let dias = self.days();
        let input = RuleInput {
            nombre: self.nombre,
            tipo: self.tipo,
            porcentaje,
            producto_id: product,
            categoria: Some(self.categoria),
            dias,
            desde: time(&self.desde),
            hasta: time(&self.hasta),
            segmento: Some(segment),
            compro_sku: Some(self.compro_sku),
            compro_veces: match self.compro_veces.trim() {
                "" => None,
                n => Some(n.parse::<i64>().map_err(|_| {
                    bad(
                        "compro_veces",
                        "Veces: un número entero de 1 a 100000.",
                        "Times: a whole number from 1 to 100000.",
                    )
                })?),
            },
        };
        let history = input.history()?;
        Ok((input.into_rule(b.slug(), &b.brand().zona_horaria)?, history))
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    editar: Option<i64>,
}

/// A rule as its row shows it.
fn row(r: &Rule, products: &[(i64, String)], history: Option<&store::History>) -> minijinja::Value {
    let product = r.producto_id.map(|id| {
        products
            .iter()
            .find(|p| p.0 == id)
            .map(|p| p.1.clone())
            .unwrap_or_else(|| format!("#{id}"))
    });
    context! {
        id => r.id, nombre => &r.nombre, tipo => &r.tipo, porcentaje => r.porcentaje,
        producto => product, categoria => &r.categoria, dias => &r.dias,
        desde => hhmm(r.minuto_desde), hasta => hhmm(r.minuto_hasta),
        todo_el_dia => r.minuto_desde == 0 && r.minuto_hasta == 1440,
        segmento => &r.segmento, activo => r.activo,
        compro_sku => history.map(|h| h.sku.clone()), compro_veces => history.map(|h| h.veces),
    }
}

/// The page, with the form empty, filled to edit rule `editing`, or as typed with its error.
async fn render(
    state: &AppState,
    b: &UiBrand,
    editing: Option<i64>,
    typed: Option<(RuleForm, String)>,
) -> Result<Response, AppError> {
    let (rules, products, categories, histories) = b
        .tenant
        .read(|c| {
            let products: Vec<(i64, String)> = c
                .prepare_cached("SELECT id, nombre FROM productos WHERE activo = 1 ORDER BY nombre LIMIT 1000")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let categories: Vec<String> = c
                .prepare_cached("SELECT DISTINCT categoria FROM productos WHERE categoria <> '' ORDER BY categoria LIMIT 200")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            Ok((store::rules(c)?, products, categories, store::histories(c)?))
        })
        .await?;
    let (form, error) = match typed {
        Some((f, e)) => (f, Some(e)),
        None => (
            editing
                .and_then(|id| rules.iter().find(|r| r.id == id))
                .map(|r| RuleForm::from_rule(r, histories.get(&r.id)))
                .unwrap_or_else(|| RuleForm {
                    tipo: "2x1".into(),
                    ..Default::default()
                }),
            None,
        ),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = context! {
        rules => rules.iter().map(|r| row(r, &products, histories.get(&r.id))).collect::<Vec<_>>(),
        products => products.iter().map(|(id, n)| context! { id, nombre => n }).collect::<Vec<_>>(),
        categories, segments => SEGMENTS, form, dias_form => form.days(), error, editing,
        can_edit => b.can(Access::Admin),
    };
    let html = b
        .page(state, "promotions/list.html", "promociones", ctx)
        .await?;
    Ok((status, html).into_response())
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    render(&state, &b, q.editar, None).await
}

/// Saves a rule (new when `id` is `None`); a bad form comes back with what was typed.
async fn save(
    state: &AppState,
    b: &UiBrand,
    headers: &HeaderMap,
    id: Option<i64>,
    form: RuleForm,
) -> Result<Response, AppError> {
    let typed = form.clone();
    let result = match form.into_rule(b) {
        Ok((rule, history)) => {
            b.tenant
                .write(move |c| {
                    if let Some(p) = rule.producto_id
                        && crate::products::store::get(c, p)?.is_none()
                    {
                        return Err(AppError::validation(
                            "producto_id",
                            "invalid_parameter",
                            msg("Producto inexistente.", "Unknown product."),
                        ));
                    }
                    let id = match id {
                        Some(id) => store::update_rule(c, id, &rule)?.id,
                        None => store::insert_rule(c, &rule, now_ms())?.id,
                    };
                    match &history {
                        Some(h) => store::set_history(c, id, h),
                        None => store::clear_history(c, id),
                    }
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(
            headers,
            &format!("/m/{}/promociones", b.slug().as_str()),
        )),
        Err(e) => match input_error(&e, b.ui.lang()) {
            Some(text) => render(state, b, id, Some((typed, text))).await,
            None => Err(e),
        },
    }
}

async fn create(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<RuleForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    save(&state, &b, &headers, None, form).await
}

async fn update(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<RuleForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    save(&state, &b, &headers, Some(id), form).await
}

#[derive(Deserialize)]
struct ToggleForm {
    #[serde(default)]
    activo: String,
}

async fn toggle(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<ToggleForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let on = form.activo == "1";
    b.tenant
        .write(move |c| store::set_rule_active(c, id, on))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/promociones")))
}
