//! The subscriptions screen: MRR, churn over the last 30 days, upcoming orders, every
//! subscription with its actions, and a form to subscribe a customer to a plan.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::actions::{self, Action};
use super::{Period, store};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::tenants::Slug;
use crate::time::now_ms;
use crate::web::ui::{Ui, see_other};

const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct Upcoming {
    pub suscripcion_id: i64,
    pub cliente_id: String,
    pub cliente: String,
    pub plan: String,
    pub fecha: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    /// Monthly recurring revenue of active subscriptions (minor units).
    pub mrr: i64,
    pub activas: i64,
    pub pausadas: i64,
    pub canceladas_30d: i64,
    /// Cancelled in the last 30 days over those live at the start of the window (0-1).
    pub churn_30d: f64,
    /// Next order date of each active subscription, soonest first (max 20).
    pub proximos: Vec<Upcoming>,
}

pub fn summary(
    c: &Connection,
    slug: &Slug,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<Summary, AppError> {
    let mut stmt = c.prepare(
        "SELECT s.id, s.estado, s.inicio, s.proximo_periodo, s.cancelada_en, s.creado_en, p.precio, p.periodo,
                p.cada_semanas, p.nombre, s.cliente_id, cl.nombre
         FROM suscripciones s JOIN suscripcion_planes p ON p.id = s.plan_id JOIN clientes cl ON cl.id = s.cliente_id",
    )?;
    let mut rows = stmt.query([])?;
    let (mut mrr, mut active, mut paused, mut cancelled, mut live_at_start) = (0, 0, 0, 0, 0);
    let mut upcoming = Vec::new();
    let window = now - 30 * DAY_MS;
    while let Some(r) = rows.next()? {
        let status: String = r.get(1)?;
        let cancelled_at: Option<i64> = r.get(4)?;
        let created: i64 = r.get(5)?;
        let Some(period) = Period::parse(&r.get::<_, String>(7)?, r.get(8)?) else {
            continue;
        };
        if created < window && cancelled_at.is_none_or(|t| t >= window) {
            live_at_start += 1;
        }
        match status.as_str() {
            "activa" => {
                active += 1;
                mrr += period.monthly_revenue(r.get(6)?);
                if let Some(date) = period.date(r.get(2)?, r.get(3)?, tz) {
                    upcoming.push(Upcoming {
                        suscripcion_id: r.get(0)?,
                        cliente_id: crate::tenants::ids::CustomerId::new(slug, r.get(10)?)
                            .to_string(),
                        cliente: r.get(11)?,
                        plan: r.get(9)?,
                        fecha: date,
                    });
                }
            }
            "pausada" => paused += 1,
            _ => {
                if cancelled_at.is_some_and(|t| t >= window) {
                    cancelled += 1;
                }
            }
        }
    }
    upcoming.sort_by_key(|u| u.fecha);
    upcoming.truncate(20);
    let base = live_at_start.max(cancelled);
    Ok(Summary {
        mrr,
        activas: active,
        pausadas: paused,
        canceladas_30d: cancelled,
        churn_30d: if base == 0 {
            0.0
        } else {
            cancelled as f64 / base as f64
        },
        proximos: upcoming,
    })
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/suscripciones", get(page).post(subscribe))
        .route("/m/{slug}/suscripciones/{id}/{accion}", post(act))
}

#[derive(Deserialize)]
struct PageQuery {
    /// Prefills the subscribe form (the customer page links here).
    cliente: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let (s, tz) = (b.tenant.slug().clone(), b.tenant.brand().tz());
    let (summary, subs, plans) = b
        .tenant
        .read(move |c| {
            Ok((
                summary(c, &s, tz, now_ms())?,
                store::list(c, &s, tz, None)?,
                store::list_plans(c, &s)?,
            ))
        })
        .await?;
    let churn = format!("{:.1} %", summary.churn_30d * 100.0);
    b.page(
        &state,
        "subscriptions/list.html",
        "suscripciones",
        context! { summary, churn, subs, plans, cliente => q.cliente },
    )
    .await
}

#[derive(Deserialize)]
struct SubscribeForm {
    plan_id: i64,
    cliente: String,
    #[serde(default)]
    inicio: String,
}

async fn subscribe(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<SubscribeForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    // The customer page posts `cli_eco_7`; the screen's form may post the number alone.
    let local = form
        .cliente
        .trim()
        .rsplit('_')
        .next()
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or(AppError::NotFound("cliente"))?;
    super::api::subscribe_customer(&b.tenant, form.plan_id, local, Some(&form.inicio)).await?;
    Ok(see_other(&headers, &format!("/m/{slug}/suscripciones")))
}

async fn act(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id, action)): Path<(String, i64, String)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let action = Action::parse(&action).ok_or(AppError::NotFound("accion"))?;
    let tz = b.tenant.brand().tz();
    b.tenant
        .write(move |c| actions::apply(c, id, action, tz, now_ms()))
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/suscripciones")))
}
