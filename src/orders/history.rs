//! Importing past orders from a spreadsheet or a previous POS, so analytics start with the
//! brand's history. Idempotent on `external_id`; missing customers are created (found by
//! phone, then e-mail); each order keeps its own date; nothing is notified and no stock
//! moves (these sales already happened). One report line per data row.
//!
//! Columns (header names are matched loosely, accents and case ignored): `external_id`,
//! `telefono` and/or `email`, `fecha` (ISO date, taken as noon in the brand's zone, or a
//! date-time; without an offset it is local time), `total` (decimal in the brand's
//! currency); optional `nombre`, `canal` (whatsapp, web, telefono, presencial; default
//! presencial), `estado` (default entregado; `cancelado` keeps it out of revenue) and
//! `items` (`SKU x2; OTRO x1`, a catalogue SKU takes its current price, an unknown one is
//! kept with price 0).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::Status;
use crate::customers::{CustomerInput, store as customers};
use crate::error::{AppError, FieldError, msg};
use crate::tenants::{Brand, Slug};
use crate::web::csvkit;

const COLUMNS: &[(&str, &[&str])] = &[
    (
        "external_id",
        &[
            "externalid",
            "id",
            "idpedido",
            "pedido",
            "orderid",
            "numero",
            "nro",
        ],
    ),
    (
        "telefono",
        &["telefono", "phone", "tel", "celular", "movil", "whatsapp"],
    ),
    ("email", &["email", "correo", "mail", "correoelectronico"]),
    ("nombre", &["nombre", "name", "cliente", "customer"]),
    (
        "fecha",
        &["fecha", "date", "fechapedido", "creadoen", "createdat"],
    ),
    ("total", &["total", "importe", "monto", "amount"]),
    ("canal", &["canal", "channel"]),
    ("estado", &["estado", "status"]),
    (
        "items",
        &["items", "productos", "detalle", "lineas", "lines"],
    ),
];

/// A parsed file: which column feeds each field, and the data rows with their line numbers.
pub struct HistoryFile {
    columns: Vec<(&'static str, Option<usize>)>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// The outcome of one row. `estado`: `creado`, `duplicado` or `error`.
#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    pub linea: usize,
    pub external_id: String,
    pub estado: &'static str,
    pub detalle_es: String,
    pub detalle_en: String,
    pub pedido_id: Option<i64>,
    pub cliente_creado: bool,
}

fn bad_file(es: &str, en: &str) -> AppError {
    AppError::validation("archivo", "invalid_file", msg(es, en))
}

/// Reads the file (UTF-8 or Windows-1252, `,` or `;`) and checks the required columns.
pub fn read(bytes: &[u8]) -> Result<HistoryFile, AppError> {
    let (text, _) = csvkit::decode(bytes);
    let delimiter = csvkit::sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(u8::try_from(delimiter).unwrap_or(b','))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| {
            bad_file(
                "No se pudo leer la cabecera.",
                "Cannot read the header row.",
            )
        })?
        .iter()
        .map(csvkit::fold)
        .collect();
    let columns: Vec<(&'static str, Option<usize>)> = COLUMNS
        .iter()
        .map(|(field, names)| {
            (
                *field,
                headers.iter().position(|h| names.contains(&h.as_str())),
            )
        })
        .collect();
    let has = |f: &str| columns.iter().any(|(n, c)| *n == f && c.is_some());
    if !has("external_id") || !has("fecha") || !has("total") || !(has("telefono") || has("email")) {
        return Err(bad_file(
            "Faltan columnas: se necesitan external_id, fecha, total y telefono o email.",
            "Missing columns: external_id, fecha, total and telefono or email are required.",
        ));
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            bad_file(
                &format!("CSV inválido cerca de la línea {}: {e}", n + 2),
                &format!("Invalid CSV near line {}: {e}", n + 2),
            )
        })?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push((n + 2, record.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(HistoryFile { columns, rows })
}

impl HistoryFile {
    fn cell<'a>(&self, row: &'a [String], field: &str) -> Option<&'a str> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, c)| *c)
            .and_then(|c| row.get(c))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// The instant of a `fecha` cell in the brand's zone.
pub fn parse_date(value: &str, tz: chrono_tz::Tz) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.timestamp_millis());
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(12, 0, 0))
    })?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp_millis())
}

struct Line {
    product_id: Option<i64>,
    sku: String,
    name: String,
    quantity: i64,
    price: i64,
}

fn parse_items(conn: &Connection, text: &str) -> Result<Vec<Line>, String> {
    let mut lines = Vec::new();
    for part in text
        .split([';', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (sku, qty) = match part.rsplit_once([' ', ':', '*']) {
            Some((s, q)) if q.trim_start_matches(['x', 'X']).parse::<i64>().is_ok() => (
                s.trim(),
                q.trim_start_matches(['x', 'X']).parse::<i64>().unwrap_or(1),
            ),
            _ => (part, 1),
        };
        let sku = sku.trim_end_matches([' ', 'x', 'X']).trim();
        if sku.is_empty() || !(1..=super::MAX_QUANTITY).contains(&qty) {
            return Err(part.to_string());
        }
        let product: Option<(i64, String, i64)> = conn
            .prepare_cached("SELECT id, nombre, precio FROM productos WHERE sku = ?1")
            .and_then(|mut s| s.query_row([sku], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
            .ok();
        lines.push(match product {
            Some((id, name, price)) => Line {
                product_id: Some(id),
                sku: sku.to_string(),
                name,
                quantity: qty,
                price,
            },
            None => Line {
                product_id: None,
                sku: sku.to_string(),
                name: sku.to_string(),
                quantity: qty,
                price: 0,
            },
        });
    }
    Ok(lines)
}

fn row_error(line: usize, ext: &str, es: String, en: String) -> RowReport {
    RowReport {
        linea: line,
        external_id: ext.to_string(),
        estado: "error",
        detalle_es: es,
        detalle_en: en,
        pedido_id: None,
        cliente_creado: false,
    }
}

fn joined(errors: &[FieldError]) -> (String, String) {
    let es: Vec<&str> = errors.iter().map(|e| e.message.es.as_str()).collect();
    let en: Vec<&str> = errors.iter().map(|e| e.message.en.as_str()).collect();
    (es.join(" "), en.join(" "))
}

/// Imports `rows` (a slice of the file) inside the caller's transaction, each row in its
/// own savepoint so a failing row leaves nothing behind.
pub fn import(
    conn: &Connection,
    slug: &Slug,
    brand: &Brand,
    file: &HistoryFile,
    rows: &[(usize, Vec<String>)],
    now: i64,
) -> Result<Vec<RowReport>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        conn.execute_batch("SAVEPOINT fila_historial")?;
        let result = import_row(conn, slug, brand, file, *line, row, now);
        match &result {
            Ok(r) if r.estado == "creado" => conn.execute_batch("RELEASE fila_historial")?,
            _ => conn.execute_batch("ROLLBACK TO fila_historial; RELEASE fila_historial")?,
        }
        out.push(match result {
            Ok(r) => r,
            Err(AppError::Validation(errors)) => {
                let (es, en) = joined(&errors);
                row_error(*line, file.cell(row, "external_id").unwrap_or(""), es, en)
            }
            Err(e) => return Err(e),
        });
    }
    Ok(out)
}

fn import_row(
    conn: &Connection,
    slug: &Slug,
    brand: &Brand,
    file: &HistoryFile,
    line: usize,
    row: &[String],
    now: i64,
) -> Result<RowReport, AppError> {
    let ext = file.cell(row, "external_id").unwrap_or("");
    let fail = |es: &str, en: &str| Ok(row_error(line, ext, es.into(), en.into()));
    if ext.is_empty() {
        return fail("Falta external_id.", "external_id is missing.");
    }
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM pedidos WHERE external_id = ?1")?
        .query_row([ext], |r| r.get(0))
        .ok();
    if let Some(id) = existing {
        return Ok(RowReport {
            linea: line,
            external_id: ext.to_string(),
            estado: "duplicado",
            detalle_es: "Ya importado; no se cambió.".into(),
            detalle_en: "Already imported; left unchanged.".into(),
            pedido_id: Some(id),
            cliente_creado: false,
        });
    }
    let Some(at) = file
        .cell(row, "fecha")
        .and_then(|v| parse_date(v, brand.tz()))
    else {
        return fail(
            "Fecha inválida (AAAA-MM-DD o fecha y hora ISO 8601).",
            "Invalid date (YYYY-MM-DD or an ISO 8601 date-time).",
        );
    };
    let Some(total) = file
        .cell(row, "total")
        .and_then(|v| crate::web::parse_money(v, &brand.moneda))
    else {
        return fail("Total inválido.", "Invalid total.");
    };
    let channel = file
        .cell(row, "canal")
        .unwrap_or("presencial")
        .to_lowercase();
    if !["whatsapp", "web", "telefono", "presencial"].contains(&channel.as_str()) {
        return fail(
            "Canal desconocido (whatsapp, web, telefono, presencial).",
            "Unknown channel (whatsapp, web, telefono, presencial).",
        );
    }
    let status = match file.cell(row, "estado") {
        None => Status::Entregado,
        Some(s) => match Status::parse(&s.to_lowercase()) {
            Some(st) => st,
            None => return fail("Estado desconocido.", "Unknown status."),
        },
    };
    let items = match file
        .cell(row, "items")
        .map(|t| parse_items(conn, t))
        .transpose()
    {
        Ok(items) => items.unwrap_or_default(),
        Err(part) => {
            return Ok(row_error(
                line,
                ext,
                format!("Línea de productos inválida: «{part}» (use SKU x2)."),
                format!("Invalid item: “{part}” (use SKU x2)."),
            ));
        }
    };
    let phone = file.cell(row, "telefono");
    let email = file.cell(row, "email");
    if phone.is_none() && email.is_none() {
        return fail(
            "Falta el teléfono o el e-mail del cliente.",
            "The customer's phone or e-mail is missing.",
        );
    }
    let fields = CustomerInput {
        nombre: file
            .cell(row, "nombre")
            .or(phone)
            .or(email)
            .unwrap_or("")
            .to_string(),
        telefono: phone.map(str::to_string),
        email: email.map(str::to_string),
        direccion: None,
        notas: None,
        etiquetas: Vec::new(),
        consentimiento_marketing: false,
        canal_adquisicion: Some("importacion".into()),
    }
    .validate(brand)?;
    let found = match &fields.phone {
        Some(p) => customers::find_by_phone(conn, p)?,
        None => None,
    };
    let found = match (found, &fields.email) {
        (None, Some(e)) => customers::find_by_email(conn, e)?,
        (f, _) => f,
    };
    let (customer, created) = match found {
        Some(c) => (c.id, false),
        None => (customers::insert(conn, slug, &fields, now)?.id, true),
    };
    let subtotal: i64 = items.iter().map(|l| l.price * l.quantity).sum();
    conn.prepare_cached(
        "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, notas, external_id, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'importado', ?7, ?8, ?8)",
    )?
    .execute(params![customer, channel, status.as_str(), subtotal.max(total), (subtotal - total).max(0), total, ext, at])?;
    let order = conn.last_insert_rowid();
    let mut insert_item = conn.prepare_cached(
        "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for l in &items {
        insert_item.execute(params![
            order,
            l.product_id,
            l.sku,
            l.name,
            l.quantity,
            l.price,
            l.price * l.quantity
        ])?;
    }
    conn.prepare_cached(
        "INSERT INTO pedido_estados (pedido_id, estado, anterior, actor, nota, creado_en)
         VALUES (?1, ?2, NULL, 'importacion', 'importado', ?3)",
    )?
    .execute(params![order, status.as_str(), at])?;
    if status != Status::Cancelado {
        conn.prepare_cached(
            "UPDATE clientes SET pedidos_count = pedidos_count + 1, total_gastado = total_gastado + ?2,
                primer_pedido_en = COALESCE(MIN(primer_pedido_en, ?3), ?3),
                ultimo_pedido_en = MAX(COALESCE(ultimo_pedido_en, ?3), ?3)
             WHERE id = ?1",
        )?
        .execute(params![customer, total, at])?;
    }
    let unknown: Vec<&str> = items
        .iter()
        .filter(|l| l.product_id.is_none())
        .map(|l| l.sku.as_str())
        .collect();
    let (es, en) = if unknown.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!(
                "Productos fuera del catálogo (precio 0): {}.",
                unknown.join(", ")
            ),
            format!(
                "Products not in the catalogue (price 0): {}.",
                unknown.join(", ")
            ),
        )
    };
    Ok(RowReport {
        linea: line,
        external_id: ext.to_string(),
        estado: "creado",
        detalle_es: es,
        detalle_en: en,
        pedido_id: Some(order),
        cliente_creado: created,
    })
}
