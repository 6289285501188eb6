//! GDPR erasure of one customer: personal fields overwritten, message bodies cleared, and the
//! search indexes purged so the person's words are gone from the file, not just hidden.
//!
//! Used live by the "forget this customer" feature and replayed by `autonomo restore` on every
//! restored brand database (see `backup::erasure`), so it must be idempotent.

use rusqlite::{Connection, params};

use crate::error::AppError;

/// The name an erased customer keeps (orders stay for accounting and need a customer row).
pub const ERASED_NAME: &str = "Cliente olvidado";

/// Overwrites the personal data of customer `customer_id`; `false` when there is no such row.
///
/// Orders, amounts and dates stay (accounting). The FTS triggers replace the indexed text with
/// the neutral values; `optimize` then merges the index segments so the old terms, which a
/// delete only marks, are physically dropped.
pub fn anonymize(conn: &Connection, customer_id: i64) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE clientes SET nombre = ?2, telefono = NULL, email = NULL, direccion = NULL,
            notas = NULL, wa_id = NULL, etiquetas = '[]', consentimiento_marketing = 0,
            actualizado_en = ?3
         WHERE id = ?1",
        params![customer_id, ERASED_NAME, crate::time::now_ms()],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    conn.execute(
        "UPDATE interacciones SET cuerpo = '', metadatos = '{}'
         WHERE cliente_id = ?1 AND (cuerpo != '' OR metadatos != '{}')",
        [customer_id],
    )?;
    conn.execute_batch(
        "INSERT INTO clientes_fts (clientes_fts) VALUES ('optimize');
         INSERT INTO interacciones_fts (interacciones_fts) VALUES ('optimize');",
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Schema, migrations};

    #[test]
    fn erases_personal_data_and_search_terms() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::run(&mut c, Schema::Tenant).unwrap();
        c.execute_batch(
            "INSERT INTO clientes (id, nombre, telefono, email, direccion, notas, canal_adquisicion, creado_en, actualizado_en)
             VALUES (1, 'Zoraida Quispe', '+51987654321', 'zq@example.pe', 'Av. Sol 1', 'alérgica', 'web', 1, 1),
                    (2, 'Ana Torres', '+51911111111', NULL, NULL, NULL, 'web', 1, 1);
             INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
             VALUES (1, 'whatsapp', 'entrante', 'mensaje', 'mi tarjeta termina en 4242', 2),
                    (2, 'whatsapp', 'entrante', 'mensaje', 'hola tarjeta', 2);",
        )
        .unwrap();
        assert!(anonymize(&c, 1).unwrap());
        assert!(anonymize(&c, 1).unwrap(), "idempotent");
        assert!(!anonymize(&c, 99).unwrap());
        let row: (String, Option<String>, Option<String>, Option<String>) = c
            .query_row(
                "SELECT nombre, telefono, email, notas FROM clientes WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(row, (ERASED_NAME.to_string(), None, None, None));
        let hits = |q: &str, table: &str| -> i64 {
            c.query_row(
                &format!("SELECT count(*) FROM {table} WHERE {table} MATCH ?1"),
                [q],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(hits("Zoraida", "clientes_fts"), 0);
        assert_eq!(hits("4242", "interacciones_fts"), 0);
        assert_eq!(hits("tarjeta", "interacciones_fts"), 1, "others untouched");
        assert_eq!(hits("Ana", "clientes_fts"), 1);
        for t in ["clientes_fts", "interacciones_fts"] {
            c.execute(
                &format!("INSERT INTO {t} ({t}) VALUES ('integrity-check')"),
                [],
            )
            .unwrap();
        }
        // A later edit of the erased row keeps the index consistent.
        c.execute("UPDATE clientes SET notas = 'x' WHERE id = 1", [])
            .unwrap();
        c.execute(
            "INSERT INTO clientes_fts (clientes_fts) VALUES ('integrity-check')",
            [],
        )
        .unwrap();
    }
}
