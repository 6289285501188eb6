//! Embedded refinery migrations for the control database and for each brand database.
//! Files under `migrations/` are never edited once landed; a change is a new `V{n}__` file.

use rusqlite::Connection;

use super::Schema;
use crate::error::AppError;

mod control {
    refinery::embed_migrations!("migrations/control");
}
mod tenant {
    refinery::embed_migrations!("migrations/tenant");
}

/// Brings `conn` to the latest schema of its kind.
pub fn run(conn: &mut Connection, schema: Schema) -> Result<(), AppError> {
    // The audit triggers need their functions; a connection opened elsewhere (in-memory
    // tests, tools) gets them here, with the file's stem (or nothing) as the brand.
    let brand = conn
        .path()
        .map(|p| super::functions::brand_of(std::path::Path::new(p)))
        .unwrap_or_default();
    super::functions::register(conn, &brand)?;
    if is_current(conn, schema) {
        return Ok(());
    }
    let report = match schema {
        Schema::Control => control::migrations::runner().run(conn),
        Schema::Tenant => tenant::migrations::runner().run(conn),
    };
    report
        .map(|_| ())
        .map_err(|e| AppError::Internal(format!("migration failed: {e}")))
}

/// The highest version embedded in this binary for `schema` (computed once).
fn latest_embedded(schema: Schema) -> Option<i64> {
    use std::sync::OnceLock;
    static CONTROL: OnceLock<Option<i64>> = OnceLock::new();
    static TENANT: OnceLock<Option<i64>> = OnceLock::new();
    let (cell, runner): (_, fn() -> refinery::Runner) = match schema {
        Schema::Control => (&CONTROL, control::migrations::runner),
        Schema::Tenant => (&TENANT, tenant::migrations::runner),
    };
    *cell.get_or_init(|| {
        runner()
            .get_migrations()
            .iter()
            .map(|m| i64::from(m.version()))
            .max()
    })
}

/// Whether the file already carries exactly the newest embedded migration, so opening it can
/// skip refinery's runner (which reads and checksums the whole history on every open: with
/// 100 brands that dominated cold start). Anything else — no history table, an older file, a
/// file newer than this binary — goes through the runner, which migrates or reports.
fn is_current(conn: &Connection, schema: Schema) -> bool {
    let Some(latest) = latest_embedded(schema) else {
        return false;
    };
    let applied: Option<i64> = conn
        .query_row(
            "SELECT MAX(version) FROM refinery_schema_history",
            [],
            |r| r.get(0),
        )
        .ok()
        .flatten();
    applied == Some(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_current_schema_skips_the_runner_and_an_older_one_does_not() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert!(!is_current(&conn, Schema::Tenant), "no history table yet");
        run(&mut conn, Schema::Tenant).unwrap();
        assert!(is_current(&conn, Schema::Tenant));
        // A file one migration behind must go through the runner again.
        let latest = latest_embedded(Schema::Tenant).unwrap();
        conn.execute(
            "DELETE FROM refinery_schema_history WHERE version = ?1",
            [latest],
        )
        .unwrap();
        assert!(!is_current(&conn, Schema::Tenant));
        // A file newer than this binary is not "current" either: the runner reports it.
        conn.execute(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (?1, 'future', '', '0')",
            [latest + 1],
        )
        .unwrap();
        assert!(!is_current(&conn, Schema::Tenant));
    }
}
