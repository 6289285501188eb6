//! CSV screens for customers: export (owners and managers), and import in three steps —
//! upload, preview with column mapping, per-row report.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;

use super::csv;
use crate::app::AppState;
use crate::auth::Access;
use crate::error::{AppError, msg};
use crate::time::now_ms;
use crate::web::csvkit;
use crate::web::ui::Ui;

pub async fn export(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    // Exports carry every customer's personal data: owners and managers only.
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let brand = b.brand();
    let bytes = b.tenant.read(move |c| csv::export(c, &brand)).await?;
    let name = format!("attachment; filename=\"clientes-{slug}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

pub async fn import_form(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    b.page(&state, "customers/import.html", "clientes", context! {})
        .await
}

/// Reads the `archivo` field of an upload form.
pub async fn uploaded_file(mut multipart: Multipart) -> Result<Vec<u8>, AppError> {
    while let Some(field) = multipart.next_field().await.map_err(|_| bad_upload())? {
        if field.name() == Some("archivo") {
            return Ok(field.bytes().await.map_err(|_| bad_upload())?.to_vec());
        }
    }
    Err(bad_upload())
}

fn bad_upload() -> AppError {
    AppError::BadRequest(msg(
        "Elige un archivo CSV para subir.",
        "Choose a CSV file to upload.",
    ))
}

pub async fn import_preview(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let bytes = uploaded_file(multipart).await?;
    let (text, encoding) = csvkit::decode(&bytes);
    let table = csvkit::parse(&text, csvkit::sniff_delimiter(&text), encoding)?;
    let mapping = csv::guess_mapping(&table.headers);
    let ctx = context! {
        headers => &table.headers, preview => table.rows.iter().take(5).collect::<Vec<_>>(),
        total => table.rows.len(), encoding => table.encoding, delimiter => table.delimiter.to_string(),
        mapping => mapping, datos => text,
    };
    b.page(&state, "customers/import_preview.html", "clientes", ctx)
        .await
}

pub async fn import_confirm(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let text = get("datos").unwrap_or("");
    let delimiter = if get("delimitador") == Some(";") {
        ';'
    } else {
        ','
    };
    let encoding = if get("codificacion") == Some("Windows-1252") {
        "Windows-1252"
    } else {
        "UTF-8"
    };
    let table = csvkit::parse(text, delimiter, encoding)?;
    let mapping: csv::Mapping = csv::TARGETS
        .iter()
        .map(|(t, _)| {
            let col = get(&format!("map_{t}"))
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|c| *c < table.headers.len());
            (t.to_string(), col)
        })
        .collect();
    if !mapping.iter().any(|(t, c)| t == "nombre" && c.is_some()) {
        return Err(AppError::validation(
            "map_nombre",
            "name_column_required",
            msg("Elige la columna del nombre.", "Choose the name column."),
        ));
    }
    let (key, brand) = (b.slug().clone(), b.brand());
    let report = b
        .tenant
        .write(move |c| csv::import(c, &key, &brand, &table, &mapping, now_ms()))
        .await?;
    let count = |s: &str| report.iter().filter(|r| r.estado == s).count();
    let ctx = context! {
        creados => count("creado"), duplicados => count("duplicado"), errores => count("error"),
        report => report,
    };
    b.page(&state, "customers/import_report.html", "clientes", ctx)
        .await
}
