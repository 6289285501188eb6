//! Merging duplicate customers from the customer page: pick the duplicate among the customers
//! found by name (or any search), confirm, and the duplicate's history moves to the kept one.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::pages::{customer_id, row};
use super::{merge, store};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::time::now_ms;
use crate::web::ui::{Ui, see_other};

#[derive(Deserialize, Default)]
pub(super) struct MergeQuery {
    #[serde(default)]
    q: String,
}

pub(super) async fn merge_form(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<MergeQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let keep = customer_id(&b, id).await?;
    let search = if q.q.trim().is_empty() {
        keep.name.clone()
    } else {
        q.q.clone()
    };
    let country = b.brand().country();
    let candidates = b
        .tenant
        .read(move |c| {
            let f = store::Filter {
                search: Some(search),
                country,
                ..Default::default()
            };
            Ok(store::list(c, &f, store::SortBy::Name, None, 20)?.0)
        })
        .await?;
    let candidates: Vec<Value> = candidates.iter().filter(|c| c.id != id).map(row).collect();
    let ctx = context! { c => row(&keep), candidates, q => &q.q };
    b.page(&state, "customers/merge.html", "clientes", ctx)
        .await
}

#[derive(Deserialize)]
pub(super) struct MergeForm {
    duplicado: i64,
}

pub(super) async fn merge_confirm(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<MergeForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let actor = b.tenant.actor();
    b.tenant
        .write(move |c| merge::merge(c, id, form.duplicado, &actor, now_ms()))
        .await?;
    Ok(see_other(
        &headers,
        &format!("/m/{slug}/clientes/{id}?hecho=fusionado"),
    ))
}
