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
    let report = match schema {
        Schema::Control => control::migrations::runner().run(conn),
        Schema::Tenant => tenant::migrations::runner().run(conn),
    };
    report
        .map(|_| ())
        .map_err(|e| AppError::Internal(format!("migration failed: {e}")))
}
