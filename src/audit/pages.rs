//! The audit screen (owners and managers): the brand's trail, newest first, filtered by
//! actor, table, action or row, with the chain's verification on top.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use minijinja::context;

use super::Filter;
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::web::ui::Ui;

const PAGE: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/m/{slug}/auditoria", get(screen))
}

#[derive(serde::Deserialize, Default)]
struct Params {
    actor: Option<String>,
    tabla: Option<String>,
    accion: Option<String>,
    /// Text, so an empty field of the form is "any" instead of a 400.
    fila: Option<String>,
    antes_de: Option<i64>,
}

async fn screen(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(p): Query<Params>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let filter = Filter {
        actor: p.actor.clone(),
        tabla: p.tabla.clone(),
        accion: p.accion.clone(),
        fila_id: p.fila.as_deref().and_then(|f| f.trim().parse().ok()),
        antes_de: p.antes_de,
    };
    let (rows, check, tables) = b
        .tenant
        .read(move |c| {
            let rows = super::list(c, &filter, PAGE)?;
            let check = super::verify(c)?;
            let mut stmt = c.prepare_cached("SELECT DISTINCT tabla FROM auditoria ORDER BY 1")?;
            let tables = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((rows, check, tables))
        })
        .await?;
    let next = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    b.page(
        &state,
        "audit/list.html",
        "auditoria",
        context! {
            rows, tables, next,
            ok => check.broken.is_none(), total => check.rows,
            roto => check.broken.map(|(id, why)| format!("#{id}: {why}")),
            actor => p.actor.unwrap_or_default(), tabla => p.tabla.unwrap_or_default(),
            accion => p.accion.unwrap_or_default(), fila => p.fila.unwrap_or_default(),
        },
    )
    .await
}
