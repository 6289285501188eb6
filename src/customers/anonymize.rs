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
    // The identifiers that raw WhatsApp webhook bodies carry, read before they are erased.
    let handles: Vec<String> = conn
        .query_row(
            "SELECT pii_open(c.telefono), pii_open(c.wa_id), pii_open(w.wa_id), pii_open(w.bsuid) FROM clientes c
             LEFT JOIN wa_contactos w ON w.cliente_id = c.id WHERE c.id = ?1",
            [customer_id],
            |r| {
                Ok([
                    r.get::<_, Option<String>>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                ])
            },
        )
        .map(|row| row.into_iter().flatten().collect())
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(Vec::new()),
            e => Err(e),
        })?;
    let changed = conn.execute(
        "UPDATE clientes SET nombre = ?2, telefono = NULL, email = NULL, direccion = NULL,
            notas = NULL, telefono_bi = NULL, email_bi = NULL, wa_id = NULL, wa_id_bi = NULL, etiquetas = '[]', consentimiento_marketing = 0,
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
    erase_around(conn, customer_id, &handles)?;
    conn.execute_batch("INSERT INTO clientes_fts (clientes_fts) VALUES ('optimize');")?;
    Ok(true)
}

/// Everything around the customer row that may hold their words or identifiers: order and
/// status notes, support tickets, outbound payloads and errors (pending sends are cancelled),
/// the inbox preview and handoff reason, the WhatsApp identity and bot memory, loyalty notes,
/// and the raw webhook bodies that mention them.
fn erase_around(conn: &Connection, customer_id: i64, handles: &[String]) -> Result<(), AppError> {
    conn.execute(
        "UPDATE pedidos SET notas = NULL WHERE cliente_id = ?1 AND notas IS NOT NULL",
        [customer_id],
    )?;
    conn.execute(
        "UPDATE pedido_estados SET nota = NULL WHERE nota IS NOT NULL
           AND pedido_id IN (SELECT id FROM pedidos WHERE cliente_id = ?1)",
        [customer_id],
    )?;
    // Goio support tickets hold the customer's words; pending restock alerts must not go out.
    conn.execute(
        "UPDATE tickets_soporte SET asunto = '', detalle = '' WHERE cliente_id = ?1",
        [customer_id],
    )?;
    conn.execute(
        "UPDATE avisos_reposicion SET estado = 'cancelado'
         WHERE cliente_id = ?1 AND estado IN ('esperando', 'listo')",
        [customer_id],
    )?;
    conn.execute(
        "UPDATE outbox SET destino = '', cuerpo = '{}', ultimo_error = NULL,
            estado = CASE WHEN estado IN ('pendiente', 'enviando') THEN 'cancelado' ELSE estado END
         WHERE cliente_id = ?1 AND (destino != '' OR cuerpo != '{}' OR ultimo_error IS NOT NULL)",
        [customer_id],
    )?;
    // Provider errors about those messages can echo them (status callbacks, delivery state).
    conn.execute(
        "UPDATE wa_estados SET errores = NULL WHERE errores IS NOT NULL AND wamid IN
           (SELECT s.wamid FROM wa_salientes s JOIN outbox o ON o.id = s.outbox_id WHERE o.cliente_id = ?1)",
        [customer_id],
    )?;
    conn.execute(
        "UPDATE wa_salientes SET error_detalle = NULL WHERE error_detalle IS NOT NULL
           AND outbox_id IN (SELECT id FROM outbox WHERE cliente_id = ?1)",
        [customer_id],
    )?;
    conn.execute(
        "UPDATE conversaciones SET ultimo_resumen = '', motivo_humano = NULL
         WHERE cliente_id = ?1 AND (ultimo_resumen != '' OR motivo_humano IS NOT NULL)",
        [customer_id],
    )?;
    conn.execute(
        "DELETE FROM wa_contactos WHERE cliente_id = ?1",
        [customer_id],
    )?;
    conn.execute("DELETE FROM wa_bot WHERE cliente_id = ?1", [customer_id])?;
    // Free text the person wrote or staff wrote about them: survey comments, reminders and
    // loyalty notes. Scores and points stay (figures that say nothing about who answered; the
    // ledger stays append-only apart from its notes, tenant V24).
    conn.execute(
        "UPDATE fidelidad_movimientos SET nota = NULL WHERE cliente_id = ?1 AND nota IS NOT NULL",
        [customer_id],
    )?;
    conn.execute(
        "UPDATE encuestas SET comentario = NULL WHERE cliente_id = ?1 AND comentario IS NOT NULL",
        [customer_id],
    )?;
    conn.execute(
        "UPDATE recordatorios SET texto = '' WHERE cliente_id = ?1",
        [customer_id],
    )?;
    // A forgotten customer leaves the impact leaderboard and gets no more subscription orders.
    conn.execute(
        "DELETE FROM impacto_ranking WHERE cliente_id = ?1",
        [customer_id],
    )?;
    conn.execute(
        "UPDATE suscripciones SET estado = 'cancelada', cancelada_en = CAST(strftime('%s', 'now') AS INTEGER) * 1000
         WHERE cliente_id = ?1 AND estado != 'cancelada'",
        [customer_id],
    )?;
    // A phone is stored as +E.164; webhook bodies carry it without the plus. Bodies are
    // sealed, so each is opened to look (erasures are rare; the table is pruned).
    let digits: Vec<String> = handles
        .iter()
        .map(|h| h.trim_start_matches('+').to_owned())
        .filter(|d| d.len() >= 6)
        .collect();
    if !digits.is_empty() {
        let mut stmt = conn.prepare("SELECT id, pii_open(cuerpo) FROM wa_eventos")?;
        let mentioning: Vec<i64> = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?
            .filter_map(|row| match row {
                Ok((id, body)) => {
                    let body = String::from_utf8_lossy(&body);
                    digits
                        .iter()
                        .any(|d| body.contains(d.as_str()))
                        .then_some(Ok(id))
                }
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()?;
        for id in mentioning {
            conn.execute("DELETE FROM wa_eventos WHERE id = ?1", [id])?;
        }
    }
    Ok(())
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
                    (2, 'whatsapp', 'entrante', 'mensaje', 'hola tarjeta', 2);
             INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en)
             VALUES (1, 1, 'web', 'entregado', 100, 100, 1, 1);
             INSERT INTO encuestas (pedido_id, cliente_id, estado, csat, comentario, enviada_en)
             VALUES (1, 1, 'completa', 2, 'el repartidor Zoraida esperó', 3);
             INSERT INTO recordatorios (cliente_id, texto, vence_en, creado_por, creado_en)
             VALUES (1, 'llamar a Zoraida al 987654321', 5, 'user:1', 3);
             INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, nota, creado_en)
             VALUES (1, 'ajuste', 3, pii_seal('regalo por el cumple de Zoraida'), 3),
                    (2, 'ajuste', 4, pii_seal('regalo de Ana'), 3);",
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
        let left: (Option<String>, i64, String) = c
            .query_row(
                "SELECT e.comentario, e.csat, r.texto FROM encuestas e, recordatorios r WHERE e.cliente_id = 1 AND r.cliente_id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            left,
            (None, 2, String::new()),
            "comments and reminders erased, score kept"
        );
        let notes: Vec<(i64, Option<String>)> = c
            .prepare("SELECT puntos, pii_open(nota) FROM fidelidad_movimientos ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            notes,
            [(3, None), (4, Some("regalo de Ana".to_string()))],
            "loyalty note erased, points kept; others untouched"
        );
        let hits = |q: &str, table: &str| -> i64 {
            c.query_row(
                &format!("SELECT count(*) FROM {table} WHERE {table} MATCH ?1"),
                [q],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(hits("Zoraida", "clientes_fts"), 0);
        assert_eq!(hits("Ana", "clientes_fts"), 1, "others untouched");
        let bodies: Vec<String> = c
            .prepare("SELECT cuerpo FROM interacciones ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            bodies,
            ["", "hola tarjeta"],
            "erased body; others untouched"
        );
        c.execute(
            "INSERT INTO clientes_fts (clientes_fts) VALUES ('integrity-check')",
            [],
        )
        .unwrap();
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
