//! SQL for brands in the control database.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Brand, BrandInput, BrandPatch, Slug};
use crate::error::{AppError, msg};

const COLUMNS: &str = "slug, nombre, moneda, zona_horaria, pais, idioma, archivada_en, creado_en";

fn from_row(row: &Row) -> rusqlite::Result<Brand> {
    let slug: String = row.get(0)?;
    Ok(Brand {
        // Stored slugs were validated on insert.
        slug: Slug::parse(&slug).map_err(|_| rusqlite::Error::InvalidQuery)?,
        nombre: row.get(1)?,
        moneda: row.get(2)?,
        zona_horaria: row.get(3)?,
        pais: row.get(4)?,
        idioma: row.get(5)?,
        archived_at: row.get(6)?,
        created_at: row.get(7)?,
    })
}

pub fn get(conn: &Connection, slug: &Slug) -> Result<Option<Brand>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM marcas WHERE slug = ?1");
    Ok(conn.query_row(&sql, [slug.as_str()], from_row).optional()?)
}

pub fn list(conn: &Connection, include_archived: bool) -> Result<Vec<Brand>, AppError> {
    let sql =
        format!("SELECT {COLUMNS} FROM marcas WHERE ?1 OR archivada_en IS NULL ORDER BY slug");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([include_archived], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn insert(conn: &Connection, input: &BrandInput, now: i64) -> Result<Brand, AppError> {
    let slug = Slug::parse(&input.slug)?;
    if get(conn, &slug)?.is_some() {
        return Err(AppError::Conflict {
            message: msg(
                format!("Ya existe una marca «{slug}»."),
                format!("A brand `{slug}` already exists."),
            ),
            existing_id: Some(slug.to_string()),
            allowed: None,
        });
    }
    conn.execute(
        "INSERT INTO marcas (slug, nombre, moneda, zona_horaria, pais, idioma, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            slug.as_str(),
            input.nombre.trim(),
            input.moneda,
            input.zona_horaria,
            input.pais.to_ascii_uppercase(),
            input.idioma,
            now
        ],
    )?;
    get(conn, &slug)?.ok_or_else(|| AppError::internal("brand vanished after insert"))
}

pub fn update(
    conn: &Connection,
    slug: &Slug,
    patch: &BrandPatch,
    now: i64,
) -> Result<Brand, AppError> {
    let changed = conn.execute(
        "UPDATE marcas SET
            nombre = COALESCE(?2, nombre),
            moneda = COALESCE(?3, moneda),
            zona_horaria = COALESCE(?4, zona_horaria),
            pais = COALESCE(?5, pais),
            idioma = COALESCE(?6, idioma),
            actualizado_en = ?7
         WHERE slug = ?1",
        params![
            slug.as_str(),
            patch.nombre.as_deref().map(str::trim),
            patch.moneda,
            patch.zona_horaria,
            patch.pais.as_deref().map(str::to_ascii_uppercase),
            patch.idioma,
            now
        ],
    )?;
    if changed == 0 {
        return Err(AppError::NotFound("marca"));
    }
    get(conn, slug)?.ok_or(AppError::NotFound("marca"))
}

pub fn set_archived(
    conn: &Connection,
    slug: &Slug,
    archived: bool,
    now: i64,
) -> Result<Brand, AppError> {
    let changed = conn.execute(
        "UPDATE marcas SET archivada_en = CASE WHEN ?2 THEN ?3 ELSE NULL END, actualizado_en = ?3
         WHERE slug = ?1",
        params![slug.as_str(), archived, now],
    )?;
    if changed == 0 {
        return Err(AppError::NotFound("marca"));
    }
    get(conn, slug)?.ok_or(AppError::NotFound("marca"))
}
