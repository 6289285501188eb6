//! SQL for products.

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use super::{Product, ProductInput};
use crate::api::page::Cursor;
use crate::error::{AppError, msg};
use crate::tenants::Slug;
use crate::tenants::ids::ProductId;

const COLUMNS: &str = "id, sku, nombre, categoria, precio, costo, stock, activo, atributos, creado_en, actualizado_en";

fn from_row(row: &Row) -> rusqlite::Result<Product> {
    let attributes: String = row.get(8)?;
    Ok(Product {
        id: row.get(0)?,
        sku: row.get(1)?,
        name: row.get(2)?,
        category: row.get(3)?,
        price: row.get(4)?,
        cost: row.get(5)?,
        stock: row.get(6)?,
        active: row.get(7)?,
        attributes: serde_json::from_str(&attributes).unwrap_or_else(|_| serde_json::json!({})),
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Product>, AppError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM productos WHERE id = ?1"))?;
    Ok(stmt.query_row([id], from_row).optional()?)
}

pub fn get_by_sku(conn: &Connection, sku: &str) -> Result<Option<Product>, AppError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM productos WHERE sku = ?1"))?;
    Ok(stmt.query_row([sku], from_row).optional()?)
}

fn check_sku_free(
    conn: &Connection,
    slug: &Slug,
    sku: &str,
    except: Option<i64>,
) -> Result<(), AppError> {
    if let Some(other) = get_by_sku(conn, sku)?.filter(|p| Some(p.id) != except) {
        let existing = ProductId::new(slug, other.id).to_string();
        return Err(AppError::Conflict {
            message: msg(
                format!("El SKU {sku} ya lo usa {existing}."),
                format!("SKU {sku} is already used by {existing}."),
            ),
            existing_id: Some(existing),
            allowed: None,
        });
    }
    Ok(())
}

pub fn insert(
    conn: &Connection,
    slug: &Slug,
    p: &ProductInput,
    now: i64,
) -> Result<Product, AppError> {
    check_sku_free(conn, slug, &p.sku, None)?;
    conn.prepare_cached(
        "INSERT INTO productos (sku, nombre, categoria, precio, costo, stock, activo, atributos, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![p.sku, p.nombre, p.categoria, p.precio, p.costo, p.stock, p.activo, p.atributos.to_string(), now])?;
    let id = conn.last_insert_rowid();
    get(conn, id)?.ok_or_else(|| AppError::internal("product vanished after insert"))
}

pub fn update(
    conn: &Connection,
    slug: &Slug,
    id: i64,
    p: &ProductInput,
    now: i64,
) -> Result<Product, AppError> {
    check_sku_free(conn, slug, &p.sku, Some(id))?;
    let changed = conn
        .prepare_cached(
            "UPDATE productos SET sku = ?2, nombre = ?3, categoria = ?4, precio = ?5, costo = ?6, stock = ?7,
                activo = ?8, atributos = ?9, actualizado_en = ?10 WHERE id = ?1",
        )?
        .execute(params![id, p.sku, p.nombre, p.categoria, p.precio, p.costo, p.stock, p.activo, p.atributos.to_string(), now])?;
    if changed == 0 {
        return Err(AppError::NotFound("producto"));
    }
    get(conn, id)?.ok_or(AppError::NotFound("producto"))
}

/// Moves tracked stock by `delta`; refuses to go below zero. Untracked stock is left alone.
/// Returns whether stock is tracked (and so was moved).
pub fn adjust_stock(conn: &Connection, id: i64, delta: i64, now: i64) -> Result<bool, AppError> {
    let Some(product) = get(conn, id)? else {
        return Err(AppError::NotFound("producto"));
    };
    let Some(stock) = product.stock else {
        return Ok(false);
    };
    let next = stock + delta;
    if next < 0 {
        return Err(AppError::conflict(msg(
            format!(
                "Stock insuficiente de {} ({}): hay {stock}, se piden {}.",
                product.name, product.sku, -delta
            ),
            format!(
                "Not enough stock of {} ({}): {stock} left, {} requested.",
                product.name, product.sku, -delta
            ),
        )));
    }
    conn.prepare_cached("UPDATE productos SET stock = ?2, actualizado_en = ?3 WHERE id = ?1")?
        .execute(params![id, next, now])?;
    Ok(true)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub category: Option<String>,
    pub active: Option<bool>,
    pub search: Option<String>,
}

/// Lists products by category then name.
pub fn list(
    conn: &Connection,
    filter: &Filter,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<Product>, Option<Cursor>), AppError> {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(c) = &filter.category {
        clauses.push("categoria = ?");
        args.push(Box::new(c.clone()));
    }
    if let Some(a) = filter.active {
        clauses.push("activo = ?");
        args.push(Box::new(a));
    }
    if let Some(q) = &filter.search {
        clauses.push("(nombre LIKE ? ESCAPE '\\' OR sku LIKE ? ESCAPE '\\')");
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        args.push(Box::new(pattern.clone()));
        args.push(Box::new(pattern));
    }
    if let Some(c) = cursor {
        let key = c.key.as_str().unwrap_or_default().to_string();
        clauses.push("(categoria || char(31) || nombre, id) > (?, ?)");
        args.push(Box::new(key));
        args.push(Box::new(c.id));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM productos {where_sql} ORDER BY categoria || char(31) || nombre, id LIMIT {}",
        limit + 1
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
    let mut rows: Vec<Product> = stmt
        .query_map(params.as_slice(), from_row)?
        .collect::<Result<_, _>>()?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|p| Cursor {
            key: format!("{}\u{1f}{}", p.category, p.name).into(),
            id: p.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}
