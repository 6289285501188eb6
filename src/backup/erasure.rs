//! The GDPR erasure log (control database, table `erasures`) and its replay on restored files.
//!
//! Backups are immutable history: a person forgotten today is still inside last week's
//! snapshot. So every erasure is logged in the control database (itself replicated), and every
//! restore re-applies the whole log for that brand before the file is handed over.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::AppError;
use crate::tenants::Slug;

/// One forgotten customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub id: i64,
    pub marca: String,
    pub cliente_id: i64,
    pub creado_en: i64,
}

/// Logs that `cliente_id` of brand `marca` was erased. Call it on the control database in the
/// same request that runs [`crate::customers::anonymize`] on the brand database.
pub fn record(
    conn: &Connection,
    marca: &Slug,
    cliente_id: i64,
    now_ms: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO erasures (marca, cliente_id, creado_en) VALUES (?1, ?2, ?3)",
        params![marca.as_str(), cliente_id, now_ms],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The log, oldest first; only brand `marca` when given.
pub fn list(conn: &Connection, marca: Option<&str>) -> Result<Vec<Erasure>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT id, marca, cliente_id, creado_en FROM erasures
         WHERE ?1 IS NULL OR marca = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([marca], |r| {
            Ok(Erasure {
                id: r.get(0)?,
                marca: r.get(1)?,
                cliente_id: r.get(2)?,
                creado_en: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Re-applies the erasures of one brand to its (restored) database; returns how many
/// customers were present and anonymised. Runs in one transaction.
pub fn replay(conn: &mut Connection, customer_ids: &[i64]) -> Result<usize, AppError> {
    if customer_ids.is_empty() {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    let mut n = 0;
    for &id in customer_ids {
        if crate::customers::anonymize(&tx, id)? {
            n += 1;
        }
    }
    tx.commit()?;
    // Free pages still hold the old bytes: rewrite the file so they are gone too.
    conn.execute_batch("VACUUM")?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Schema, migrations};

    #[test]
    fn record_list_and_replay() {
        let mut control = Connection::open_in_memory().unwrap();
        migrations::run(&mut control, Schema::Control).unwrap();
        let gollos = Slug::parse("gollos").unwrap();
        record(&control, &gollos, 7, 1000).unwrap();
        record(&control, &Slug::parse("goio").unwrap(), 8, 1001).unwrap();
        let all = list(&control, None).unwrap();
        assert_eq!(all.len(), 2);
        let mine = list(&control, Some("gollos")).unwrap();
        assert_eq!((mine.len(), mine[0].cliente_id), (1, 7));

        let dir = tempfile::tempdir().unwrap();
        let mut t = Connection::open(dir.path().join("t.db")).unwrap();
        migrations::run(&mut t, Schema::Tenant).unwrap();
        t.execute(
            "INSERT INTO clientes (id, nombre, telefono, canal_adquisicion, creado_en, actualizado_en)
             VALUES (7, 'Rosa Huamán', '+51999000111', 'web', 1, 1)",
            [],
        )
        .unwrap();
        assert_eq!(replay(&mut t, &[7, 9]).unwrap(), 1);
        let name: String = t
            .query_row("SELECT nombre FROM clientes WHERE id = 7", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, crate::customers::ERASED_NAME);
    }
}
