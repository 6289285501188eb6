//! Customers in and out of spreadsheets: import with a column mapping, deduplicated by
//! phone and e-mail and reported row by row; export with every cell formula-safe.

use rusqlite::Connection;
use serde::Serialize;

use super::{CustomerInput, store};
use crate::error::AppError;
use crate::tenants::ids::CustomerId;
use crate::tenants::{Brand, Slug};
use crate::web::csvkit::{self, Table};

/// The customer fields a column can feed, with the header names recognised for each.
pub const TARGETS: &[(&str, &[&str])] = &[
    (
        "nombre",
        &[
            "nombre",
            "name",
            "cliente",
            "nombrecompleto",
            "fullname",
            "customer",
        ],
    ),
    (
        "telefono",
        &[
            "telefono", "phone", "tel", "celular", "movil", "mobile", "whatsapp",
        ],
    ),
    ("email", &["email", "correo", "mail", "correoelectronico"]),
    ("direccion", &["direccion", "address", "domicilio"]),
    (
        "notas",
        &["notas", "notes", "nota", "comentarios", "observaciones"],
    ),
    ("etiquetas", &["etiquetas", "tags", "etiqueta", "tag"]),
    (
        "consentimiento",
        &["consentimiento", "consent", "marketing", "acepta", "optin"],
    ),
];

/// Which column (by index) feeds each target; `None` leaves the field empty.
pub type Mapping = Vec<(String, Option<usize>)>;

/// Proposes a mapping from the header names.
pub fn guess_mapping(headers: &[String]) -> Mapping {
    TARGETS
        .iter()
        .map(|(target, names)| {
            let col = headers
                .iter()
                .position(|h| names.contains(&csvkit::fold(h).as_str()));
            (target.to_string(), col)
        })
        .collect()
}

/// The outcome of one data row (line numbers count the header as line 1).
#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    pub linea: usize,
    pub nombre: String,
    /// `creado`, `duplicado` or `error`.
    pub estado: &'static str,
    pub detalle_es: String,
    pub detalle_en: String,
    pub id: Option<i64>,
}

fn cell<'a>(row: &'a [String], mapping: &Mapping, target: &str) -> Option<&'a str> {
    mapping
        .iter()
        .find(|(t, _)| t == target)
        .and_then(|(_, c)| *c)
        .and_then(|c| row.get(c))
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
}

fn yes(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        matches!(
            csvkit::fold(v).as_str(),
            "si" | "s" | "yes" | "y" | "true" | "1" | "x" | "ok"
        )
    })
}

/// Imports every row inside the caller's transaction. Invalid rows and duplicates are
/// reported and skipped; the rest are created with channel `importacion`.
pub fn import(
    conn: &Connection,
    slug: &Slug,
    brand: &Brand,
    table: &Table,
    mapping: &Mapping,
    now: i64,
) -> Result<Vec<RowReport>, AppError> {
    let mut report = Vec::with_capacity(table.rows.len());
    for (n, row) in table.rows.iter().enumerate() {
        let name = cell(row, mapping, "nombre").unwrap_or("").to_string();
        let input = CustomerInput {
            nombre: name.clone(),
            telefono: cell(row, mapping, "telefono").map(str::to_string),
            email: cell(row, mapping, "email").map(str::to_string),
            direccion: cell(row, mapping, "direccion").map(str::to_string),
            notas: cell(row, mapping, "notas").map(str::to_string),
            etiquetas: cell(row, mapping, "etiquetas")
                .map(|t| {
                    t.split([',', '|', ';'])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            consentimiento_marketing: yes(cell(row, mapping, "consentimiento")),
            canal_adquisicion: Some("importacion".into()),
        };
        let line = n + 2;
        let fields = match input.validate(brand) {
            Ok(f) => f,
            Err(AppError::Validation(errors)) => {
                report.push(RowReport {
                    linea: line,
                    nombre: name,
                    estado: "error",
                    detalle_es: join(errors.iter().map(|e| e.message.es.as_str())),
                    detalle_en: join(errors.iter().map(|e| e.message.en.as_str())),
                    id: None,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let existing = match &fields.phone {
            Some(p) => store::find_by_phone(conn, p)?,
            None => None,
        };
        let existing = match (existing, &fields.email) {
            (None, Some(e)) => store::find_by_email(conn, e)?,
            (found, _) => found,
        };
        if let Some(found) = existing {
            let id = CustomerId::new(slug, found.id);
            report.push(RowReport {
                linea: line,
                nombre: name,
                estado: "duplicado",
                detalle_es: format!("Ya existe: {} ({id}); no se cambió.", found.name),
                detalle_en: format!("Already exists: {} ({id}); left unchanged.", found.name),
                id: Some(found.id),
            });
            continue;
        }
        let created = store::insert(conn, slug, &fields, now)?;
        report.push(RowReport {
            linea: line,
            nombre: name,
            estado: "creado",
            detalle_es: String::new(),
            detalle_en: String::new(),
            id: Some(created.id),
        });
    }
    Ok(report)
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    parts.collect::<Vec<_>>().join(" ")
}

pub const EXPORT_HEADERS: &[&str] = &[
    "id",
    "nombre",
    "telefono",
    "email",
    "direccion",
    "notas",
    "etiquetas",
    "consentimiento_marketing",
    "canal_adquisicion",
    "segmento",
    "pedidos",
    "total_gastado",
    "creado_en",
];

/// Every customer of the brand as CSV bytes (UTF-8 with BOM, formula-safe cells).
pub fn export(conn: &Connection, brand: &Brand) -> Result<Vec<u8>, AppError> {
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = store::list(
            conn,
            &store::Filter::default(),
            store::SortBy::OldestFirst,
            cursor.as_ref(),
            500,
        )?;
        for c in page {
            rows.push(vec![
                CustomerId::new(&brand.slug, c.id).to_string(),
                c.name,
                c.phone.unwrap_or_default(),
                c.email.unwrap_or_default(),
                c.address.unwrap_or_default(),
                c.notes.unwrap_or_default(),
                c.tags.join(", "),
                if c.marketing_consent { "si" } else { "no" }.into(),
                c.channel,
                c.segment,
                c.orders_count.to_string(),
                crate::web::decimal(c.total_spent, &brand.moneda),
                brand.format_time(c.created_at),
            ]);
        }
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    csvkit::write(EXPORT_HEADERS, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_is_guessed_from_spanish_and_english_headers() {
        let headers: Vec<String> = ["Nombre", "Teléfono", "E-mail", "Otro", "Consent"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = guess_mapping(&headers);
        let get = |t: &str| m.iter().find(|(k, _)| k == t).unwrap().1;
        assert_eq!(get("nombre"), Some(0));
        assert_eq!(get("telefono"), Some(1));
        assert_eq!(get("email"), Some(2));
        assert_eq!(get("direccion"), None);
        assert_eq!(get("consentimiento"), Some(4));
    }
}
