//! Stock changes staff make by hand on the stock screen: a receipt (`ingreso`, +N with an
//! optional note), an adjustment to a counted quantity or by ±N (`ajuste`, reason required)
//! and the low-stock threshold (`stock_minimo` attribute).
//!
//! The stock itself moves through [`products::store::adjust_stock`], the same call order
//! lines use, so the V16 triggers write the ledger row and, when stock goes from 0 to
//! positive, mark the waiting restock requests `listo` for the `avisos_reposicion` job —
//! exactly what an API stock change does. The note or reason has no column in the ledger;
//! it goes to the audit trail against the movement (`accion = 'nota'`), which the product
//! stock page reads back.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::{AppError, msg};
use crate::products::store as products;

/// Largest single receipt or counted quantity accepted from a form.
const MAX_QTY: i64 = 1_000_000;
const MAX_NOTE: usize = 500;

/// How an adjustment is written: the counted quantity, or a signed difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjust {
    To(i64),
    By(i64),
}

fn bad(field: &str, es: &str, en: &str) -> AppError {
    AppError::validation(field, "invalid", msg(es, en))
}

fn tracked_stock(c: &Connection, product: i64) -> Result<i64, AppError> {
    let p = products::get(c, product)?.ok_or(AppError::NotFound("producto"))?;
    p.stock.ok_or_else(|| {
        AppError::conflict(msg(
            "Este producto no controla stock: primero escriba su stock en Productos.",
            "This product's stock is not tracked: set its stock in Products first.",
        ))
    })
}

fn note_text(note: &str, field: &str, required: bool) -> Result<String, AppError> {
    let note = note.trim();
    if required && note.is_empty() {
        return Err(bad(
            field,
            "Escriba el motivo del ajuste.",
            "Write the reason for the adjustment.",
        ));
    }
    if note.chars().count() > MAX_NOTE {
        return Err(bad(
            field,
            "Nota de hasta 500 caracteres.",
            "Note of up to 500 characters.",
        ));
    }
    Ok(note.to_string())
}

/// The ledger row the last stock change of `product` wrote.
fn last_movement(c: &Connection, product: i64) -> Result<i64, AppError> {
    c.prepare_cached("SELECT MAX(id) FROM movimientos_stock WHERE producto_id = ?1")?
        .query_row([product], |r| r.get::<_, Option<i64>>(0))?
        .ok_or_else(|| AppError::internal("stock moved without a ledger row"))
}

fn record_note(c: &Connection, movement: i64, kind: &str, note: &str) -> Result<(), AppError> {
    if note.is_empty() {
        return Ok(());
    }
    crate::audit::record(
        c,
        "movimientos_stock",
        Some(movement),
        "nota",
        &serde_json::json!({ "tipo": kind, "nota": note }),
    )
}

/// A receipt of `qty` units. Returns the ledger row.
pub fn receive(
    c: &Connection,
    product: i64,
    qty: i64,
    note: &str,
    now: i64,
) -> Result<i64, AppError> {
    if !(1..=MAX_QTY).contains(&qty) {
        return Err(bad(
            "cantidad",
            "Cantidad recibida: un número entero de 1 a 1 000 000.",
            "Quantity received: a whole number from 1 to 1,000,000.",
        ));
    }
    let note = note_text(note, "nota", false)?;
    tracked_stock(c, product)?;
    products::adjust_stock(c, product, qty, now)?;
    let movement = last_movement(c, product)?;
    record_note(c, movement, "ingreso", &note)?;
    Ok(movement)
}

/// An adjustment after a count or a loss. Returns the ledger row.
pub fn adjust(
    c: &Connection,
    product: i64,
    how: Adjust,
    reason: &str,
    now: i64,
) -> Result<i64, AppError> {
    let reason = note_text(reason, "motivo", true)?;
    let current = tracked_stock(c, product)?;
    let delta = match how {
        Adjust::To(n) if (0..=MAX_QTY).contains(&n) => n - current,
        Adjust::By(d) if d != 0 && d.abs() <= MAX_QTY => d,
        _ => {
            return Err(bad(
                "cantidad",
                "Escriba el stock contado (0 o más) o una diferencia distinta de 0, como -2 o +3.",
                "Type the counted stock (0 or more) or a non-zero difference, like -2 or +3.",
            ));
        }
    };
    if delta == 0 {
        return Err(bad(
            "cantidad",
            "El stock ya es ese: no hay nada que ajustar.",
            "Stock is already that: nothing to adjust.",
        ));
    }
    if current + delta < 0 {
        return Err(bad(
            "cantidad",
            "El stock no puede quedar negativo.",
            "Stock cannot go below zero.",
        ));
    }
    products::adjust_stock(c, product, delta, now)?;
    let movement = last_movement(c, product)?;
    // The trigger labels every increase a receipt; a count that finds more is still an adjustment.
    c.prepare_cached("UPDATE movimientos_stock SET tipo = 'ajuste' WHERE id = ?1")?
        .execute([movement])?;
    record_note(c, movement, "ajuste", &reason)?;
    Ok(movement)
}

/// Sets (or, with `None`, removes) the low-stock threshold.
pub fn set_threshold(
    c: &Connection,
    product: i64,
    min: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    if min.is_some_and(|m| !(0..=MAX_QTY).contains(&m)) {
        return Err(bad(
            "stock_minimo",
            "Stock mínimo: un número entero de 0 a 1 000 000, o vacío.",
            "Low-stock threshold: a whole number from 0 to 1,000,000, or empty.",
        ));
    }
    products::get(c, product)?.ok_or(AppError::NotFound("producto"))?;
    let sql = match min {
        Some(_) => {
            "UPDATE productos SET atributos = json_set(atributos, '$.stock_minimo', ?2), actualizado_en = ?3 WHERE id = ?1"
        }
        None => {
            "UPDATE productos SET atributos = json_remove(atributos, '$.stock_minimo'), actualizado_en = ?3 WHERE id = ?1 AND ?2 IS NULL"
        }
    };
    c.prepare_cached(sql)?.execute(params![product, min, now])?;
    Ok(())
}

/// One tracked product on the stock screen.
#[derive(Debug, Clone, Serialize)]
pub struct StockRow {
    pub id: i64,
    pub sku: String,
    pub nombre: String,
    pub stock: i64,
    pub minimo: Option<i64>,
    pub bajo: bool,
    pub esperando: i64,
}

/// Every active product with tracked stock: the low ones first (as [`super::ledger::low_stock`]
/// orders them), then the rest by name.
pub fn overview(c: &Connection) -> Result<Vec<StockRow>, AppError> {
    let waiting: HashMap<i64, i64> = super::waiting_counts(c)?.into_iter().collect();
    let low: Vec<i64> = super::ledger::low_stock(c)?
        .into_iter()
        .map(|r| r.0)
        .collect();
    let mut rows: Vec<StockRow> = c
        .prepare_cached(
            "SELECT id, sku, nombre, stock, CAST(json_extract(atributos, '$.stock_minimo') AS INTEGER)
             FROM productos WHERE activo = 1 AND stock IS NOT NULL ORDER BY nombre, id LIMIT 2000",
        )?
        .query_map([], |r| {
            Ok(StockRow {
                id: r.get(0)?,
                sku: r.get(1)?,
                nombre: r.get(2)?,
                stock: r.get(3)?,
                minimo: r.get(4)?,
                bajo: false,
                esperando: 0,
            })
        })?
        .collect::<Result<_, _>>()?;
    for row in &mut rows {
        row.bajo = low.contains(&row.id);
        row.esperando = waiting.get(&row.id).copied().unwrap_or(0);
    }
    let rank = |id: i64| low.iter().position(|l| *l == id).unwrap_or(usize::MAX);
    rows.sort_by_key(|r| rank(r.id));
    Ok(rows)
}

/// The notes and reasons written with `product`'s movements, by movement id.
pub fn notes(c: &Connection, product: i64) -> Result<HashMap<i64, String>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT a.fila_id, json_extract(a.cambios, '$.nota') FROM auditoria a
         JOIN movimientos_stock m ON m.id = a.fila_id
         WHERE a.tabla = 'movimientos_stock' AND a.accion = 'nota' AND m.producto_id = ?1
         ORDER BY a.id DESC LIMIT 500",
    )?;
    Ok(stmt
        .query_map([product], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .filter_map(|r| match r {
            Ok((id, Some(n))) => Some(Ok((id, n))),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::in_brand_write;

    /// Runs `f` in a write on a fresh brand database with two products: id 1 tracked at 0,
    /// id 2 untracked.
    fn with_db(f: impl FnOnce(&Connection) -> Result<(), AppError> + Send + 'static) {
        in_brand_write(move |c| {
            c.execute_batch(
                "INSERT INTO productos (sku, nombre, precio, stock, creado_en, actualizado_en) VALUES ('A', 'Audífonos', 4990, 0, 1, 1);
                 INSERT INTO productos (sku, nombre, precio, stock, creado_en, actualizado_en) VALUES ('B', 'Funda', 990, NULL, 1, 1);",
            )?;
            f(c)
        });
    }

    fn ledger(c: &Connection) -> Vec<(i64, i64, String)> {
        c.prepare("SELECT delta, stock_resultante, tipo FROM movimientos_stock ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn receipt_and_adjustments_write_the_ledger_with_their_notes() {
        with_db(|c| {
            let m = receive(c, 1, 5, "Factura 12", 10)?;
            adjust(c, 1, Adjust::To(7), "Conteo", 11)?;
            adjust(c, 1, Adjust::By(-3), "Roto", 12)?;
            assert_eq!(
                ledger(c),
                vec![
                    (5, 5, "ingreso".into()),
                    (2, 7, "ajuste".into()),
                    (-3, 4, "ajuste".into())
                ]
            );
            assert_eq!(notes(c, 1)?.get(&m).map(String::as_str), Some("Factura 12"));
            Ok(())
        });
    }

    #[test]
    fn bad_input_changes_nothing() {
        with_db(|c| {
            assert!(receive(c, 1, 0, "", 10).is_err());
            assert!(adjust(c, 1, Adjust::By(-1), "x", 10).is_err());
            assert!(adjust(c, 1, Adjust::To(3), " ", 10).is_err());
            assert!(adjust(c, 1, Adjust::To(0), "x", 10).is_err());
            assert!(receive(c, 2, 1, "", 10).is_err(), "untracked stock");
            assert!(set_threshold(c, 1, Some(-1), 10).is_err());
            assert!(ledger(c).is_empty());
            Ok(())
        });
    }

    #[test]
    fn threshold_puts_the_product_first() {
        with_db(|c| {
            c.execute(
                "INSERT INTO productos (sku, nombre, precio, stock, creado_en, actualizado_en)
                 VALUES ('C', 'Cable', 990, 50, 1, 1)",
                [],
            )?;
            receive(c, 1, 9, "", 10)?;
            assert_eq!(overview(c)?[0].nombre, "Audífonos");
            set_threshold(c, 3, Some(60), 11)?;
            let rows = overview(c)?;
            assert_eq!((rows[0].nombre.as_str(), rows[0].bajo), ("Cable", true));
            set_threshold(c, 3, None, 12)?;
            assert!(!overview(c)?[0].bajo);
            Ok(())
        });
    }
}
