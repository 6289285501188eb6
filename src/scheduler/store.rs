//! SQL for jobs and their runs (control database).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// The stored state of one (job, brand).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobState {
    pub nombre: String,
    /// Empty for install-wide jobs.
    pub marca: String,
    pub ultimo_programado: i64,
    pub ultima_ejecucion_en: Option<i64>,
    pub resultado: Option<String>,
    pub detalle: Option<String>,
}

/// The state of (name, brand), registering it with `now` as its start when new, so a new
/// job waits for its first due time instead of running at once.
pub fn ensure(conn: &Connection, name: &str, brand: &str, now: i64) -> Result<JobState, AppError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO jobs (nombre, marca, ultimo_programado) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![name, brand, now])?;
    get(conn, name, brand)?.ok_or_else(|| AppError::internal("job row vanished"))
}

pub fn get(conn: &Connection, name: &str, brand: &str) -> Result<Option<JobState>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT nombre, marca, ultimo_programado, ultima_ejecucion_en, resultado, detalle FROM jobs WHERE nombre = ?1 AND marca = ?2",
        )?
        .query_row(params![name, brand], |r| {
            Ok(JobState {
                nombre: r.get(0)?,
                marca: r.get(1)?,
                ultimo_programado: r.get(2)?,
                ultima_ejecucion_en: r.get(3)?,
                resultado: r.get(4)?,
                detalle: r.get(5)?,
            })
        })
        .optional()?)
}

/// Marks a due time as taken and opens its run record; returns the run id.
pub fn start_run(
    conn: &Connection,
    name: &str,
    brand: &str,
    scheduled_for: Option<i64>,
    now: i64,
) -> Result<i64, AppError> {
    if let Some(due) = scheduled_for {
        conn.prepare_cached("UPDATE jobs SET ultimo_programado = MAX(ultimo_programado, ?3) WHERE nombre = ?1 AND marca = ?2")?
            .execute(params![name, brand, due])?;
    }
    conn.prepare_cached(
        "INSERT INTO job_runs (nombre, marca, programado_para, inicio) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![name, brand, scheduled_for, now])?;
    Ok(conn.last_insert_rowid())
}

pub fn finish_run(
    conn: &Connection,
    run_id: i64,
    name: &str,
    brand: &str,
    ok: bool,
    detail: &str,
    now: i64,
) -> Result<(), AppError> {
    let outcome = if ok { "ok" } else { "error" };
    conn.prepare_cached(
        "UPDATE job_runs SET fin = ?2, resultado = ?3, detalle = ?4 WHERE id = ?1",
    )?
    .execute(params![run_id, now, outcome, detail])?;
    conn.prepare_cached(
        "UPDATE jobs SET ultima_ejecucion_en = ?3, resultado = ?4, detalle = ?5 WHERE nombre = ?1 AND marca = ?2",
    )?
    .execute(params![name, brand, now, outcome, detail])?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<JobState>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT nombre, marca, ultimo_programado, ultima_ejecucion_en, resultado, detalle FROM jobs ORDER BY nombre, marca",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(JobState {
            nombre: r.get(0)?,
            marca: r.get(1)?,
            ultimo_programado: r.get(2)?,
            ultima_ejecucion_en: r.get(3)?,
            resultado: r.get(4)?,
            detalle: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many runs (name, brand) has recorded.
pub fn run_count(conn: &Connection, name: &str, brand: &str) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM job_runs WHERE nombre = ?1 AND marca = ?2",
        params![name, brand],
        |r| r.get(0),
    )?)
}
