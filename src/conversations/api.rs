//! JSON handlers for the inbox: list conversations, one thread, staff changes and replies.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ConversationView;
use super::store::{self, Filter, Patch};
use crate::api::{ApiJson, ApiQuery, Cursor, Page, page};
use crate::app::AppState;
use crate::auth::{Access, Caller};
use crate::error::{AppError, msg};
use crate::interactions::InteractionView;
use crate::tenants::ids::CustomerId;
use crate::tenants::{Slug, TenantCtx};
use crate::time::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation, patch_conversation))
        .routes(routes!(reply))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only conversations with unread messages.
    #[serde(default)]
    no_leidos: bool,
    /// Only conversations waiting for a person.
    #[serde(default)]
    necesita_humano: bool,
    /// `yo` for the caller, or a staff name.
    asignado_a: Option<String>,
    /// abierta | cerrada
    estado: Option<String>,
    cursor: Option<String>,
    limite: Option<u32>,
}

#[utoipa::path(get, path = "/api/marcas/{slug}/conversaciones", tag = "conversaciones",
    params(("slug" = String, Path), ListParams),
    responses((status = 200, body = Page<ConversationView>), (status = 404)), security(("bearer" = [])))]
async fn list_conversations(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<axum::Json<Page<ConversationView>>, AppError> {
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound("marca"))?;
    let tenant = TenantCtx::open(&state.registry, &caller, &slug, Access::Read).await?;
    let brand = tenant.brand();
    let filter = Filter {
        unread: p.no_leidos,
        needs_human: p.necesita_humano,
        assigned_to: p
            .asignado_a
            .map(|a| if a == "yo" { caller.actor() } else { a }),
        status: p.estado,
    };
    let after = match p.cursor.as_deref().map(Cursor::decode).transpose()? {
        Some(c) => Some((c.key.as_i64().unwrap_or(i64::MAX), c.id)),
        None => None,
    };
    let limit = page::limit(p.limite)?;
    let rows = tenant
        .read(move |c| store::list(c, &filter, after, limit + 1))
        .await?;
    let now = now_ms();
    let more = rows.len() > limit as usize;
    let items: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = more.then(|| items.last()).flatten().map(|c| {
        Cursor {
            key: c.last_message_at.into(),
            id: c.customer_id,
        }
        .encode()
    });
    Ok(axum::Json(Page {
        items: items
            .into_iter()
            .map(|c| ConversationView::new(c, &brand, now))
            .collect(),
        next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadView {
    pub conversacion: ConversationView,
    /// The latest messages, oldest first.
    pub mensajes: Vec<InteractionView>,
}

async fn open(
    state: &AppState,
    caller: &Caller,
    id: &str,
    access: Access,
) -> Result<(TenantCtx, i64), AppError> {
    let id: CustomerId = id.parse()?;
    let tenant = TenantCtx::open(&state.registry, caller, &id.slug, access).await?;
    Ok((tenant, id.local))
}

#[utoipa::path(get, path = "/api/conversaciones/{id}", tag = "conversaciones",
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, body = ThreadView), (status = 404)), security(("bearer" = [])))]
async fn get_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ThreadView>, AppError> {
    let (tenant, local) = open(&state, &caller, &id, Access::Read).await?;
    let brand = tenant.brand();
    let (conv, messages) = tenant
        .read(move |c| {
            let conv = store::get(c, local)?.ok_or(AppError::NotFound("conversación"))?;
            let filter = crate::interactions::store::Filter {
                customer_id: Some(local),
                search: None,
                channel: Some("whatsapp".into()),
                kind: None,
                from: None,
                to: None,
            };
            let (mut rows, _) = crate::interactions::store::list(c, &filter, None, 100)?;
            rows.sort_by_key(|i| (i.created_at, i.id));
            Ok((conv, rows))
        })
        .await?;
    Ok(axum::Json(ThreadView {
        conversacion: ConversationView::new(conv, &brand, now_ms()),
        mensajes: messages
            .into_iter()
            .map(|i| InteractionView::new(i, &brand))
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    /// Staff name; `yo` for the caller; `null` to unassign.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub asignado_a: Option<Option<String>>,
    /// abierta | cerrada
    pub estado: Option<String>,
    /// false hands the conversation back to the bot.
    pub necesita_humano: Option<bool>,
    /// true marks every message read.
    #[serde(default)]
    pub leido: bool,
}

/// A field that is present (even as `null`) is `Some`; an absent one stays `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[utoipa::path(patch, path = "/api/conversaciones/{id}", tag = "conversaciones",
    params(("id" = String, Path, description = "Customer id")), request_body = ConversationPatch,
    responses((status = 200, body = ConversationView), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn patch_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ConversationPatch>,
) -> Result<axum::Json<ConversationView>, AppError> {
    if let Some(e) = &p.estado
        && e != "abierta"
        && e != "cerrada"
    {
        return Err(AppError::validation(
            "estado",
            "one_of",
            msg("Usa abierta o cerrada.", "Use abierta or cerrada."),
        ));
    }
    let (tenant, local) = open(&state, &caller, &id, Access::Write).await?;
    let brand = tenant.brand();
    let me = caller.actor();
    let patch = Patch {
        assigned_to: p
            .asignado_a
            .map(|a| a.map(|a| if a == "yo" { me.clone() } else { a })),
        status: p.estado,
        needs_human: p.necesita_humano,
        read: p.leido,
    };
    let now = now_ms();
    let conv = tenant
        .write(move |c| {
            store::update(c, local, &patch, now)?;
            store::get(c, local)?.ok_or(AppError::NotFound("conversación"))
        })
        .await?;
    Ok(axum::Json(ConversationView::new(conv, &brand, now)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyInput {
    /// Free text (inside the 24-hour window only).
    pub texto: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyView {
    /// The queued message's outbox id.
    pub outbox_id: i64,
}

#[utoipa::path(post, path = "/api/conversaciones/{id}/respuestas", tag = "conversaciones",
    params(("id" = String, Path, description = "Customer id")), request_body = ReplyInput,
    responses((status = 202, body = ReplyView), (status = 404), (status = 409, description = "Outside the 24-hour window"), (status = 422)),
    security(("bearer" = [])))]
async fn reply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReplyInput>,
) -> Result<(axum::http::StatusCode, axum::Json<ReplyView>), AppError> {
    let reply = super::reply::text(&input.texto)?;
    let (tenant, local) = open(&state, &caller, &id, Access::Write).await?;
    let now = now_ms();
    let key = format!("staff:{local}:{now}:{}", rand::random::<u32>());
    let outbox_id = tenant
        .write(move |c| super::reply::queue(c, local, &reply, &key, now))
        .await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        axum::Json(ReplyView { outbox_id }),
    ))
}
