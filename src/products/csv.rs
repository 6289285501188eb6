//! The catalogue in and out of spreadsheets: import upserts by SKU (prices as decimals in
//! the brand's currency), reporting each row; export writes formula-safe CSV.

use rusqlite::Connection;
use serde::Serialize;

use super::{ProductInput, store};
use crate::error::AppError;
use crate::tenants::{Brand, Slug};
use crate::web::csvkit::{self, Table};

const COLUMNS: &[(&str, &[&str])] = &[
    ("sku", &["sku", "codigo", "code", "ref", "referencia"]),
    (
        "nombre",
        &["nombre", "name", "producto", "product", "descripcion"],
    ),
    ("categoria", &["categoria", "category", "familia"]),
    ("precio", &["precio", "price", "pvp"]),
    ("stock", &["stock", "existencias", "cantidad", "inventario"]),
    ("activo", &["activo", "active", "disponible", "enabled"]),
];

#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    pub linea: usize,
    pub sku: String,
    /// `creado`, `actualizado` or `error`.
    pub estado: &'static str,
    pub detalle_es: String,
    pub detalle_en: String,
}

fn column(table: &Table, name: &str) -> Option<usize> {
    let aliases = COLUMNS.iter().find(|(n, _)| *n == name)?.1;
    table
        .headers
        .iter()
        .position(|h| aliases.contains(&csvkit::fold(h).as_str()))
}

/// Imports inside the caller's transaction: new SKUs are created, known ones updated.
pub fn import(
    conn: &Connection,
    slug: &Slug,
    brand: &Brand,
    table: &Table,
    now: i64,
) -> Result<Vec<RowReport>, AppError> {
    let cols: Vec<Option<usize>> = COLUMNS.iter().map(|(n, _)| column(table, n)).collect();
    if cols[0].is_none() || cols[1].is_none() || cols[3].is_none() {
        return Err(AppError::BadRequest(crate::error::msg(
            "El CSV necesita columnas sku, nombre y precio.",
            "The CSV needs sku, nombre (name) and precio (price) columns.",
        )));
    }
    let mut report = Vec::new();
    for (n, row) in table.rows.iter().enumerate() {
        let get = |i: usize| {
            cols[i]
                .and_then(|c| row.get(c))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        let line = n + 2;
        let sku = get(0).to_string();
        let fail = |es: String, en: String| RowReport {
            linea: line,
            sku: sku.clone(),
            estado: "error",
            detalle_es: es,
            detalle_en: en,
        };
        let Some(price) = crate::web::parse_money(get(3), &brand.moneda) else {
            report.push(fail(
                format!("Precio inválido: «{}».", get(3)),
                format!("Invalid price: `{}`.", get(3)),
            ));
            continue;
        };
        let stock = match get(4) {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    report.push(fail(
                        format!("Stock inválido: «{s}»."),
                        format!("Invalid stock: `{s}`."),
                    ));
                    continue;
                }
            },
        };
        let active = !matches!(csvkit::fold(get(5)).as_str(), "no" | "0" | "false" | "n");
        let existing = store::get_by_sku(conn, &sku)?;
        let input = ProductInput {
            sku: sku.clone(),
            nombre: get(1).to_string(),
            categoria: get(2).to_string(),
            precio: price,
            costo: existing.as_ref().and_then(|p| p.cost),
            stock,
            activo: active,
            atributos: existing
                .as_ref()
                .map(|p| p.attributes.clone())
                .unwrap_or_else(|| serde_json::json!({})),
        };
        let input = match input.validate() {
            Ok(i) => i,
            Err(AppError::Validation(errors)) => {
                let es = errors
                    .iter()
                    .map(|e| e.message.es.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let en = errors
                    .iter()
                    .map(|e| e.message.en.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                report.push(fail(es, en));
                continue;
            }
            Err(e) => return Err(e),
        };
        let estado = match existing {
            Some(p) => {
                store::update(conn, slug, p.id, &input, now)?;
                "actualizado"
            }
            None => {
                store::insert(conn, slug, &input, now)?;
                "creado"
            }
        };
        report.push(RowReport {
            linea: line,
            sku,
            estado,
            detalle_es: String::new(),
            detalle_en: String::new(),
        });
    }
    Ok(report)
}

/// The whole catalogue as CSV bytes.
pub fn export(conn: &Connection, brand: &Brand) -> Result<Vec<u8>, AppError> {
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = store::list(conn, &store::Filter::default(), cursor.as_ref(), 500)?;
        for p in page {
            rows.push(vec![
                p.sku,
                p.name,
                p.category,
                crate::web::decimal(p.price, &brand.moneda),
                p.stock.map(|s| s.to_string()).unwrap_or_default(),
                if p.active { "si" } else { "no" }.into(),
            ]);
        }
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    csvkit::write(
        &["sku", "nombre", "categoria", "precio", "stock", "activo"],
        &rows,
    )
}
