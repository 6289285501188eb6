//! Customer screens: search-as-you-type list with filters, the customer page with its
//! timeline, create/edit, notes, merging duplicates, and CSV import/export.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{
    ACQUISITION_CHANNELS, Customer, CustomerInput, SEGMENTS, import_pages, merge_pages, store,
};
use crate::api::Cursor;
use crate::app::AppState;
use crate::auth::Access;
use crate::error::{AppError, msg};
use crate::interactions::{self, NewInteraction};
use crate::orders;
use crate::time::now_ms;
use crate::web::ui::{Ui, UiBrand, is_htmx, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/clientes", get(list).post(create))
        .route("/m/{slug}/clientes/nuevo", get(new_form))
        .route("/m/{slug}/clientes/exportar.csv", get(import_pages::export))
        .route(
            "/m/{slug}/clientes/importar",
            get(import_pages::import_form)
                .post(import_pages::import_preview)
                .layer(crate::web::csvkit::upload_limit()),
        )
        .route(
            "/m/{slug}/clientes/importar/confirmar",
            post(import_pages::import_confirm).layer(crate::web::csvkit::upload_limit()),
        )
        .route("/m/{slug}/clientes/{id}", get(show).post(update))
        .route("/m/{slug}/clientes/{id}/editar", get(edit_form))
        .route("/m/{slug}/clientes/{id}/notas", post(add_note))
        .route(
            "/m/{slug}/clientes/{id}/fusionar",
            get(merge_pages::merge_form).post(merge_pages::merge_confirm),
        )
}

pub(super) fn row(c: &Customer) -> Value {
    context! { id => c.id, nombre => &c.name, telefono => &c.phone, email => &c.email,
    direccion => &c.address, notas => &c.notes, etiquetas => &c.tags,
    consentimiento => c.marketing_consent, canal => &c.channel, segmento => &c.segment,
    pedidos => c.orders_count, total => c.total_spent, ultimo => c.last_order_at,
    creado => c.created_at }
}

#[derive(Deserialize, Default, Clone)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    segmento: String,
    #[serde(default)]
    canal: String,
    #[serde(default)]
    consentimiento: String,
    #[serde(default)]
    etiqueta: String,
    cursor: Option<String>,
    hecho: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let filter = store::Filter {
        search: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
        country: b.brand().country(),
        segment: Some(q.segmento.clone()).filter(|s| SEGMENTS.contains(&s.as_str())),
        channel: Some(q.canal.clone()).filter(|s| ACQUISITION_CHANNELS.contains(&s.as_str())),
        consent: match q.consentimiento.as_str() {
            "si" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        tag: Some(q.etiqueta.clone()).filter(|s| !s.trim().is_empty()),
        ..Default::default()
    };
    let cursor = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let sort = store::SortBy::NewestFirst;
    let (rows, next) = b
        .tenant
        .read(move |c| store::list(c, &filter, sort, cursor.as_ref(), 50))
        .await?;
    let ctx = context! {
        rows => rows.iter().map(row).collect::<Vec<_>>(),
        next => next.map(|n| n.encode()),
        q => &q.q, segmento => &q.segmento, canal => &q.canal, consentimiento => &q.consentimiento,
        etiqueta => &q.etiqueta, segments => SEGMENTS, channels => ACQUISITION_CHANNELS,
        flash => q.hecho.as_deref().and_then(flash),
    };
    if is_htmx(&headers) && !headers.contains_key("hx-boosted") {
        return b.fragment("customers/_rows.html", ctx);
    }
    b.page(&state, "customers/list.html", "clientes", ctx).await
}

/// Known confirmation messages after a redirect (`?hecho=`), so no text travels in URLs.
fn flash(code: &str) -> Option<&'static str> {
    match code {
        "creado" => Some("Cliente creado."),
        "guardado" => Some("Cambios guardados."),
        "nota" => Some("Nota añadida."),
        "fusionado" => Some("Clientes fusionados."),
        _ => None,
    }
}

pub(super) async fn customer_id(b: &UiBrand, id: i64) -> Result<Customer, AppError> {
    b.tenant
        .read(move |c| store::get(c, id))
        .await?
        .ok_or(AppError::NotFound("cliente"))
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    hecho: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let (customer, orders, notes, puntos) = b
        .tenant
        .read(move |c| {
            let customer = store::get(c, id)?.ok_or(AppError::NotFound("cliente"))?;
            let of = orders::store::Filter {
                customer_id: Some(id),
                ..Default::default()
            };
            let inf = interactions::store::Filter {
                customer_id: Some(id),
                ..Default::default()
            };
            Ok((
                customer,
                orders::store::list(c, &of, None, 50)?.0,
                interactions::store::list(c, &inf, None, 50)?.0,
                crate::loyalty::store::summary(c, id, crate::time::now_ms())?,
            ))
        })
        .await?;
    // One timeline, newest first: orders and interactions interleaved by time.
    let mut timeline: Vec<(i64, Value)> = orders
        .iter()
        .map(|o| {
            let items: Vec<String> = o
                .items
                .iter()
                .map(|i| format!("{}× {}", i.quantity, i.name))
                .collect();
            (
                o.created_at,
                context! { kind => "pedido", en => o.created_at, id => o.id,
                estado => o.status.label(), total => o.total, canal => &o.channel, items },
            )
        })
        .chain(notes.iter().map(|i| {
            (
                i.created_at,
                context! { kind => "interaccion", en => i.created_at, tipo => &i.kind,
                canal => &i.channel, direccion => &i.direction, cuerpo => &i.body },
            )
        }))
        .collect();
    timeline.sort_by_key(|t| std::cmp::Reverse(t.0));
    let ctx = context! {
        c => row(&customer),
        timeline => timeline.into_iter().map(|t| t.1).collect::<Vec<_>>(),
        flash => q.hecho.as_deref().and_then(flash),
        puntos,
    };
    b.page(&state, "customers/show.html", "clientes", ctx).await
}

/// The create/edit form's fields as posted.
#[derive(Deserialize, Default)]
struct CustomerForm {
    #[serde(default)]
    nombre: String,
    #[serde(default)]
    telefono: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    direccion: String,
    #[serde(default)]
    notas: String,
    #[serde(default)]
    etiquetas: String,
    consentimiento: Option<String>,
    #[serde(default)]
    canal: String,
}

impl CustomerForm {
    fn from_customer(c: &Customer) -> CustomerForm {
        CustomerForm {
            nombre: c.name.clone(),
            telefono: c.phone.clone().unwrap_or_default(),
            email: c.email.clone().unwrap_or_default(),
            direccion: c.address.clone().unwrap_or_default(),
            notas: c.notes.clone().unwrap_or_default(),
            etiquetas: c.tags.join(", "),
            consentimiento: c.marketing_consent.then(|| "si".into()),
            canal: c.channel.clone(),
        }
    }

    fn input(&self) -> CustomerInput {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        CustomerInput {
            nombre: self.nombre.clone(),
            telefono: opt(&self.telefono),
            email: opt(&self.email),
            direccion: opt(&self.direccion),
            notas: opt(&self.notas),
            etiquetas: self
                .etiquetas
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            consentimiento_marketing: self.consentimiento.is_some(),
            canal_adquisicion: opt(&self.canal),
        }
    }

    fn value(&self) -> Value {
        context! { nombre => &self.nombre, telefono => &self.telefono, email => &self.email,
        direccion => &self.direccion, notas => &self.notas, etiquetas => &self.etiquetas,
        consentimiento => self.consentimiento.is_some(), canal => &self.canal }
    }
}

/// Renders the form; `errors` maps field → message in the person's language.
async fn render_form(
    state: &AppState,
    b: &UiBrand,
    id: Option<i64>,
    form: &CustomerForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let en = b.ui.lang() == "en";
    let pick = |m: &crate::error::Msg| if en { m.en.clone() } else { m.es.clone() };
    let (errors, general, status): (Vec<(String, String)>, Option<String>, StatusCode) = match error
    {
        None => (Vec::new(), None, StatusCode::OK),
        Some(AppError::Validation(list)) => (
            list.iter()
                .map(|e| (e.field.clone(), pick(&e.message)))
                .collect(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Some(AppError::Conflict { message, .. }) => {
            (Vec::new(), Some(pick(&message)), StatusCode::CONFLICT)
        }
        Some(other) => return Err(other),
    };
    let errors: std::collections::BTreeMap<String, String> = errors.into_iter().collect();
    let ctx = context! { id, f => form.value(), errors, general, channels => ACQUISITION_CHANNELS };
    let mut resp = b
        .page(state, "customers/form.html", "clientes", ctx)
        .await?
        .into_response();
    *resp.status_mut() = status;
    Ok(resp)
}

async fn new_form(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let form = CustomerForm {
        canal: "presencial".into(),
        ..Default::default()
    };
    render_form(&state, &b, None, &form, None).await
}

async fn create(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<CustomerForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let key = b.slug().clone();
    let result = match form.input().validate(&b.brand()) {
        Ok(fields) => {
            b.tenant
                .write(move |c| store::insert(c, &key, &fields, now_ms()))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(see_other(
            &headers,
            &format!("/m/{slug}/clientes/{}?hecho=creado", c.id),
        )),
        Err(e) => render_form(&state, &b, None, &form, Some(e)).await,
    }
}

async fn edit_form(
    State(state): State<AppState>,
    ui: Ui,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let c = customer_id(&b, id).await?;
    render_form(&state, &b, Some(id), &CustomerForm::from_customer(&c), None).await
}

async fn update(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<CustomerForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let key = b.slug().clone();
    let result = match form.input().validate(&b.brand()) {
        Ok(fields) => {
            b.tenant
                .write(move |c| store::update(c, &key, id, &fields, now_ms()))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(
            &headers,
            &format!("/m/{slug}/clientes/{id}?hecho=guardado"),
        )),
        Err(AppError::NotFound(w)) => Err(AppError::NotFound(w)),
        Err(e) => render_form(&state, &b, Some(id), &form, Some(e)).await,
    }
}

#[derive(Deserialize)]
struct NoteForm {
    cuerpo: String,
}

async fn add_note(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Write).await?;
    let body = form.cuerpo.trim().to_string();
    if body.is_empty() || body.chars().count() > interactions::MAX_BODY_CHARS {
        return Err(AppError::validation(
            "cuerpo",
            "invalid_note",
            msg(
                "Escribe una nota (máx. 10 000 caracteres).",
                "Write a note (max 10,000 characters).",
            ),
        ));
    }
    let actor = b.tenant.actor();
    b.tenant
        .write(move |c| {
            store::get(c, id)?.ok_or(AppError::NotFound("cliente"))?;
            let new = NewInteraction {
                customer_id: id,
                channel: "sistema".into(),
                direction: "interna".into(),
                kind: "nota".into(),
                body,
                external_id: None,
                order_id: None,
                metadata: serde_json::json!({ "autor": actor }),
                at: now_ms(),
            };
            interactions::store::insert(c, &new)
        })
        .await?;
    Ok(see_other(
        &headers,
        &format!("/m/{slug}/clientes/{id}?hecho=nota"),
    ))
}
