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

/// Tenant V24's ledger triggers: a loyalty note may be sealed or erased, nothing else of the
/// ledger changes. Keep in step with `migrations/tenant/V24__cifrado_resto.sql`.
pub const LEDGER_NOTES_ERASABLE: &str = "
DROP TRIGGER IF EXISTS fidelidad_movimientos_no_update;
CREATE TRIGGER fidelidad_movimientos_no_update
BEFORE UPDATE OF id, tipo, puntos, pedido_id, recompensa_id, vence_en, creado_en ON fidelidad_movimientos
BEGIN SELECT RAISE(ABORT, 'fidelidad_movimientos is append-only'); END;
DROP TRIGGER IF EXISTS fidelidad_movimientos_nota_sellada;
CREATE TRIGGER fidelidad_movimientos_nota_sellada
BEFORE UPDATE OF nota ON fidelidad_movimientos
WHEN new.nota IS NOT NULL AND new.nota NOT LIKE 'enc1:%'
BEGIN SELECT RAISE(ABORT, 'fidelidad_movimientos is append-only (a note can only be sealed or erased)'); END;
";

/// A restored file from before tenant V24 refuses any change of a loyalty note, so the
/// erasure (which clears the person's notes) could not be replayed on it: give it V24's
/// triggers first. The migration re-creates them (unchanged) when the file is next opened.
fn ledger_notes_erasable(conn: &Connection) -> Result<(), AppError> {
    let (ledger, v24): (bool, bool) = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fidelidad_movimientos'),
                EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'fidelidad_movimientos_nota_sellada')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if ledger && !v24 {
        conn.execute_batch(LEDGER_NOTES_ERASABLE)?;
    }
    Ok(())
}

/// Re-applies the erasures of one brand to its (restored) database; returns how many
/// customers were present and anonymised. Runs in one transaction.
pub fn replay(conn: &mut Connection, customer_ids: &[i64]) -> Result<usize, AppError> {
    if customer_ids.is_empty() {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    ledger_notes_erasable(&tx)?;
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
        // A file from before tenant V24, whose ledger refused any change of a note.
        t.execute_batch(
            "DROP TRIGGER fidelidad_movimientos_nota_sellada;
             DROP TRIGGER fidelidad_movimientos_no_update;
             CREATE TRIGGER fidelidad_movimientos_no_update
             BEFORE UPDATE OF id, tipo, puntos, pedido_id, recompensa_id, nota, vence_en, creado_en ON fidelidad_movimientos
             BEGIN SELECT RAISE(ABORT, 'fidelidad_movimientos is append-only'); END;
             INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, nota, creado_en)
             VALUES (7, 'ajuste', 5, 'cumple de Rosa', 1);",
        )
        .unwrap();
        assert_eq!(replay(&mut t, &[7, 9]).unwrap(), 1);
        let (name, note, points): (String, Option<String>, i64) = t
            .query_row(
                "SELECT c.nombre, f.nota, f.puntos FROM clientes c JOIN fidelidad_movimientos f ON f.cliente_id = c.id WHERE c.id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (name.as_str(), note, points),
            (crate::customers::ERASED_NAME, None, 5)
        );
        // Still append-only: points cannot change, a note cannot be rewritten in clear.
        assert!(
            t.execute("UPDATE fidelidad_movimientos SET puntos = 50", [])
                .is_err()
        );
        assert!(
            t.execute("UPDATE fidelidad_movimientos SET nota = 'otra'", [])
                .is_err()
        );
    }
}
