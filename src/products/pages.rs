//! Catalogue screens: products by category with search, inline price and stock edits,
//! adding products, and CSV import/export.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{Product, ProductInput, csv, store};
use crate::app::AppState;
use crate::auth::Access;
use crate::error::{AppError, msg};
use crate::time::now_ms;
use crate::web::csvkit;
use crate::web::ui::{Ui, UiBrand, is_htmx, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/productos", get(list).post(create))
        .route("/m/{slug}/productos/exportar.csv", get(export))
        .route(
            "/m/{slug}/productos/importar",
            get(import_form)
                .post(import_preview)
                .layer(crate::web::csvkit::upload_limit()),
        )
        .route(
            "/m/{slug}/productos/importar/confirmar",
            post(import_confirm).layer(crate::web::csvkit::upload_limit()),
        )
        .route("/m/{slug}/productos/{id}", post(update))
}

fn row(p: &Product) -> Value {
    context! { id => p.id, sku => &p.sku, nombre => &p.name, categoria => &p.category,
    precio => p.price, stock => p.stock, activo => p.active }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    categoria: Option<String>,
    #[serde(default)]
    q: String,
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
        category: q.categoria.clone(),
        search: Some(q.q.trim().to_string()).filter(|s| !s.is_empty()),
        active: None,
    };
    let (products, categories) = b
        .tenant
        .read(move |c| {
            let products = store::list(c, &filter, None, 500)?.0;
            let all = store::list(c, &store::Filter::default(), None, 500)?.0;
            let mut cats: Vec<String> = all.into_iter().map(|p| p.category).collect();
            cats.dedup();
            Ok((products, cats))
        })
        .await?;
    let ctx = context! {
        products => products.iter().map(row).collect::<Vec<_>>(), categories,
        categoria => q.categoria, q => q.q,
        flash => q.hecho.as_deref().filter(|h| *h == "creado").map(|_| "Producto creado."),
    };
    if is_htmx(&headers) {
        return b.fragment("products/_table.html", ctx);
    }
    b.page(&state, "products/list.html", "productos", ctx).await
}

#[derive(Deserialize)]
struct NewProduct {
    sku: String,
    nombre: String,
    #[serde(default)]
    categoria: String,
    precio: String,
    #[serde(default)]
    stock: String,
}

fn money_field(b: &UiBrand, text: &str) -> Result<i64, AppError> {
    crate::web::parse_money(text, &b.brand().moneda).ok_or_else(|| {
        AppError::validation(
            "precio",
            "invalid_price",
            msg("Precio inválido; p. ej. 12.50", "Invalid price; e.g. 12.50"),
        )
    })
}

fn stock_field(text: &str) -> Result<Option<i64>, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i64>().map(Some).map_err(|_| {
        AppError::validation(
            "stock",
            "invalid_stock",
            msg(
                "Stock: un número entero o vacío (sin control).",
                "Stock: a whole number, or empty (not tracked).",
            ),
        )
    })
}

async fn create(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<NewProduct>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let input = ProductInput {
        sku: form.sku,
        nombre: form.nombre,
        categoria: form.categoria,
        precio: money_field(&b, &form.precio)?,
        costo: None,
        stock: stock_field(&form.stock)?,
        activo: true,
        atributos: serde_json::json!({}),
    }
    .validate()?;
    let key = b.slug().clone();
    b.tenant
        .write(move |c| store::insert(c, &key, &input, now_ms()))
        .await?;
    Ok(see_other(
        &headers,
        &format!("/m/{slug}/productos?hecho=creado"),
    ))
}

#[derive(Deserialize)]
struct InlineEdit {
    precio: Option<String>,
    stock: Option<String>,
    activo: Option<String>,
    /// Present when the row form was sent (a missing checkbox then means "inactive").
    #[serde(default)]
    fila: String,
}

/// Inline edit from the catalogue row: price, stock and active flag; htmx gets the row.
async fn update(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<InlineEdit>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let price = form
        .precio
        .as_deref()
        .map(|p| money_field(&b, p))
        .transpose()?;
    let stock = form.stock.as_deref().map(stock_field).transpose()?;
    let active = (!form.fila.is_empty()).then_some(form.activo.is_some());
    let key = b.slug().clone();
    let updated = b
        .tenant
        .write(move |c| {
            let current = store::get(c, id)?.ok_or(AppError::NotFound("producto"))?;
            let patch = super::ProductPatch {
                precio: price,
                stock,
                activo: active,
                ..Default::default()
            };
            let input = patch.apply(&current)?;
            store::update(c, &key, id, &input, now_ms())
        })
        .await?;
    if is_htmx(&headers) {
        return Ok(b
            .fragment(
                "products/_row.html",
                context! { p => row(&updated), saved => true },
            )?
            .into_response());
    }
    Ok(see_other(&headers, &format!("/m/{slug}/productos")))
}

async fn export(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let brand = b.brand();
    let bytes = b.tenant.read(move |c| csv::export(c, &brand)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"productos-{slug}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

async fn import_form(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    b.page(&state, "products/import.html", "productos", context! {})
        .await
}

async fn import_preview(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let bytes = crate::customers::uploaded_file(multipart).await?;
    let (text, encoding) = csvkit::decode(&bytes);
    let table = csvkit::parse(&text, csvkit::sniff_delimiter(&text), encoding)?;
    let ctx = context! {
        headers => &table.headers, preview => table.rows.iter().take(8).collect::<Vec<_>>(),
        total => table.rows.len(), encoding => table.encoding, delimiter => table.delimiter.to_string(),
        datos => text,
    };
    b.page(&state, "products/import_preview.html", "productos", ctx)
        .await
}

#[derive(Deserialize)]
struct ImportConfirm {
    datos: String,
    #[serde(default)]
    delimitador: String,
    #[serde(default)]
    codificacion: String,
}

async fn import_confirm(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Form(form): Form<ImportConfirm>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let delimiter = if form.delimitador == ";" { ';' } else { ',' };
    let encoding = if form.codificacion == "Windows-1252" {
        "Windows-1252"
    } else {
        "UTF-8"
    };
    let table = csvkit::parse(&form.datos, delimiter, encoding)?;
    let (key, brand) = (b.slug().clone(), b.brand());
    let report = b
        .tenant
        .write(move |c| csv::import(c, &key, &brand, &table, now_ms()))
        .await?;
    let count = |s: &str| report.iter().filter(|r| r.estado == s).count();
    let ctx = context! {
        creados => count("creado"), actualizados => count("actualizado"), errores => count("error"), report,
    };
    b.page(&state, "products/import_report.html", "productos", ctx)
        .await
}
