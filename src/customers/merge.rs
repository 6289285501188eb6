//! Merging two records of the same person: the duplicate's orders and interactions move
//! to the kept customer, missing contact details are filled in from the duplicate, totals
//! are added up, and the duplicate is deleted — all inside the caller's one transaction.

use rusqlite::{Connection, params};

use super::store;
use crate::error::{AppError, msg};

/// What a merge did, for the confirmation message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    pub orders_moved: usize,
    pub interactions_moved: usize,
}

/// Merges `drop` into `keep`. Must run inside one write (`db.write`), so a failure
/// anywhere leaves both records exactly as they were.
pub fn merge(
    conn: &Connection,
    keep: i64,
    drop: i64,
    actor: &str,
    now: i64,
) -> Result<Merged, AppError> {
    if keep == drop {
        return Err(AppError::validation(
            "duplicado",
            "same_customer",
            msg(
                "Elige dos clientes distintos.",
                "Pick two different customers.",
            ),
        ));
    }
    let k = store::get(conn, keep)?.ok_or(AppError::NotFound("cliente"))?;
    let d = store::get(conn, drop)?.ok_or(AppError::NotFound("cliente"))?;
    let orders_moved = conn.execute(
        "UPDATE pedidos SET cliente_id = ?1 WHERE cliente_id = ?2",
        params![keep, drop],
    )?;
    let interactions_moved = conn.execute(
        "UPDATE interacciones SET cliente_id = ?1 WHERE cliente_id = ?2",
        params![keep, drop],
    )?;
    conn.execute(
        "UPDATE fidelidad_movimientos SET cliente_id = ?1 WHERE cliente_id = ?2",
        params![keep, drop],
    )?;
    // The duplicate goes first, so its phone and e-mail are free for the kept record.
    conn.execute("DELETE FROM clientes WHERE id = ?1", [drop])?;
    let mut tags = k.tags.clone();
    for t in d.tags {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let notes = match (k.notes, d.notes) {
        (Some(a), Some(b)) if a != b => Some(format!("{a}\n\n{b}")),
        (a, b) => a.or(b),
    };
    let first = [k.first_order_at, d.first_order_at]
        .into_iter()
        .flatten()
        .min();
    let last = [k.last_order_at, d.last_order_at]
        .into_iter()
        .flatten()
        .max();
    conn.execute(
        "UPDATE clientes SET telefono = pii_seal(?2), email = pii_seal(?3), direccion = pii_seal(?4),
            notas = pii_seal(?5), telefono_bi = pii_bi('telefono', ?2), email_bi = pii_bi('email', ?3),
            etiquetas = ?6, consentimiento_marketing = ?7, pedidos_count = ?8, total_gastado = ?9,
            primer_pedido_en = ?10, ultimo_pedido_en = ?11, actualizado_en = ?12
         WHERE id = ?1",
        params![
            keep,
            k.phone.or(d.phone),
            k.email.or(d.email),
            k.address.or(d.address),
            notes,
            serde_json::to_string(&tags).map_err(AppError::internal)?,
            k.marketing_consent || d.marketing_consent,
            k.orders_count + d.orders_count,
            k.total_spent + d.total_spent,
            first,
            last,
            now
        ],
    )?;
    conn.execute(
        "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, metadatos, creado_en)
         VALUES (?1, 'sistema', 'interna', 'nota', pii_seal(?2), ?3, ?4)",
        params![
            keep,
            format!("Fusionado con «{}» (#{drop}): {orders_moved} pedidos y {interactions_moved} interacciones movidos.", d.name),
            serde_json::json!({ "fusion": drop, "actor": actor }).to_string(),
            now
        ],
    )?;
    Ok(Merged {
        orders_moved,
        interactions_moved,
    })
}
