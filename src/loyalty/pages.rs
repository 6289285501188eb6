//! Redeeming at the counter: the ticket loads a small panel (balance and the rewards the
//! customer can afford) and its button adds the reward as a discount line on the order.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::{ledger, store};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::orders::Status;
use crate::time::now_ms;
use crate::web::ui::{Ui, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/pedidos/{id}/fidelidad", get(panel))
        .route("/m/{slug}/pedidos/{id}/canje", post(redeem))
}

async fn panel(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let now = now_ms();
    let (summary, rewards, open) = b
        .tenant
        .read(move |c| {
            let o = crate::orders::store::get(c, id)?.ok_or(AppError::NotFound("pedido"))?;
            let open = !matches!(o.status, Status::Cancelado | Status::Entregado);
            Ok((
                store::summary(c, o.customer_id, now)?,
                store::rewards(c)?,
                open,
            ))
        })
        .await?;
    let affordable: Vec<_> = match &summary {
        Some(s) => rewards
            .into_iter()
            .filter(|r| r.activo && r.costo <= s.saldo)
            .collect(),
        None => Vec::new(),
    };
    b.fragment(
        "loyalty/_redeem.html",
        context! { order_id => id, puntos => summary, rewards => affordable, open },
    )
}

#[derive(Deserialize)]
struct RedeemForm {
    recompensa_id: i64,
}

async fn redeem(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<RedeemForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    b.tenant
        .write(move |c| {
            let o = crate::orders::store::get(c, id)?.ok_or(AppError::NotFound("pedido"))?;
            ledger::redeem(c, o.customer_id, form.recompensa_id, Some(id), now_ms())
        })
        .await?;
    Ok(see_other(&headers, &format!("/m/{slug}/pedidos/{id}")))
}
