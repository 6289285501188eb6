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
    let report = match schema {
        Schema::Control => control::migrations::runner().run(conn),
        Schema::Tenant => tenant::migrations::runner().run(conn),
    };
    report
        .map(|_| ())
        .map_err(|e| AppError::Internal(format!("migration failed: {e}")))
}
