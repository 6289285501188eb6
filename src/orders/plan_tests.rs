//! What an order's creation runs on the brand's single writer must reach its rows through a
//! key or an index, triggers included: one full scan of a table that grows with the brand
//! (orders, their lines and history, customers, interactions, the change feed, the audit
//! trail, the rollups) turns each order into a pass over 100k+ rows and stalls every other
//! write of the brand. The check counts SQLite's own full-scan steps
//! (`SQLITE_STMTSTATUS_FULLSCAN_STEP`, which includes the trigger programs a statement runs)
//! on a brand with a few hundred orders: no timing involved.

use rusqlite::{Connection, StatementStatus};

use super::store::{self, NewOrder};
use super::{ItemInput, Status};
use crate::db::test_support::with_brand;

/// Orders (and interactions) the brand holds before the statements are measured; a full scan
/// of any of those tables takes at least this many steps.
const ROWS: i64 = 400;
/// Steps allowed per statement: reading the last audit row (`ORDER BY id DESC LIMIT 1`) and
/// one-row derived tables count a step or two each.
const ALLOWED_STEPS: i32 = 20;

/// What `orders::store::create` (and the promotions, loyalty and stock hooks it calls) runs,
/// plus the segment updater's per-customer read, which runs on every order's customer.
const ORDER_PATH: &[&str] = &[
    "SELECT id FROM pedidos WHERE external_id = ?1",
    "SELECT id FROM clientes WHERE id = ?1",
    "SELECT id FROM productos WHERE sku = ?1",
    "SELECT id FROM productos WHERE id = ?1",
    "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, notas, external_id, creado_en, actualizado_en)
     VALUES (?1, 'web', 'recibido', ?2, 0, ?2, pii_seal('n'), NULL, ?3, ?3)",
    "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
     VALUES (?1, ?2, 'P', 'Pollo', ?3, ?4, ?5)",
    "INSERT INTO pedido_estados (pedido_id, estado, anterior, actor, nota, creado_en)
     VALUES (?1, 'recibido', NULL, 'a', pii_seal(NULL), ?2)",
    "UPDATE clientes SET pedidos_count = pedidos_count + 1, total_gastado = total_gastado + ?2,
        primer_pedido_en = COALESCE(MIN(primer_pedido_en, ?3), ?3),
        ultimo_pedido_en = MAX(COALESCE(ultimo_pedido_en, ?3), ?3)
     WHERE id = ?1",
    "SELECT i.producto_id, COALESCE(p.categoria, ''), i.nombre, i.cantidad, i.precio_unitario
     FROM pedido_items i LEFT JOIN productos p ON p.id = i.producto_id
     WHERE i.pedido_id = ?1 ORDER BY i.id",
    "SELECT segmento FROM clientes WHERE id = ?1",
    "SELECT COUNT(DISTINCT p.id) FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
     WHERE p.cliente_id = ?1 AND p.estado <> 'cancelado' AND i.sku = 'P' AND p.creado_en < ?2",
    "INSERT INTO pedido_descuentos (pedido_id, origen, motivo, monto, creado_en) VALUES (?1, 'promocion', 'm', ?2, ?3)",
    "UPDATE pedidos SET descuento = descuento + ?2, total = total - ?2, actualizado_en = ?3 WHERE id = ?1",
    "UPDATE clientes SET total_gastado = total_gastado - ?2 WHERE id = ?1",
    "UPDATE pedidos SET estado = 'confirmado', actualizado_en = ?2 WHERE id = ?1",
    "UPDATE pedido_items SET stock_tomado = ?2 WHERE id = ?1",
    "UPDATE productos SET stock = stock - ?2, actualizado_en = ?3 WHERE id = ?1",
    "SELECT id, cliente_id, total FROM pedidos WHERE id = ?1",
    "SELECT id FROM pedido_items WHERE pedido_id = ?1 ORDER BY id",
    "SELECT estado FROM pedido_estados WHERE pedido_id = ?1 ORDER BY id",
    "SELECT 1 FROM fidelidad_movimientos WHERE pedido_id = ?1 AND tipo = 'gana'",
    "INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, pedido_id, recompensa_id, nota, vence_en, creado_en)
     VALUES (?1, 'gana', ?2, ?3, NULL, NULL, NULL, ?4)",
    "SELECT id, puntos FROM fidelidad_movimientos WHERE cliente_id = ?1 ORDER BY id",
    "SELECT COALESCE(pii_open(wa_id), pii_open(bsuid)) FROM wa_contactos WHERE cliente_id = ?1",
    crate::analytics::refresh::CUSTOMER_ORDERS_SQL,
];

/// A brand with `ROWS` customers, orders (through the real code) and interactions.
fn seed(c: &Connection) -> Result<(), crate::error::AppError> {
    c.execute(
        "INSERT INTO productos (sku, nombre, precio, stock, creado_en, actualizado_en) VALUES ('P', 'Pollo', 2590, 1000000, 0, 0)",
        [],
    )?;
    for i in 1..=ROWS {
        c.execute(
            "INSERT INTO clientes (nombre, canal_adquisicion, creado_en, actualizado_en) VALUES (pii_seal('Ana'), 'web', ?1, ?1)",
            [i],
        )?;
        let items = [ItemInput {
            producto_id: None,
            sku: Some("P".into()),
            cantidad: 1,
        }];
        let new = NewOrder {
            customer_id: i,
            channel: "web",
            items: &items,
            notes: Some("nota"),
            external_id: None,
            actor: "t",
            confirm: i % 2 == 0,
        };
        let order = store::create(c, &new, 1_000 + i)?;
        if i % 5 == 0 {
            store::transition(c, order.id, Status::Cancelado, "t", None, 2_000 + i)?;
        }
        c.execute(
            "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, pedido_id, creado_en)
             VALUES (?1, 'whatsapp', 'entrante', 'mensaje', pii_seal('hola'), ?2, ?3)",
            rusqlite::params![i, order.id, 3_000 + i],
        )?;
    }
    Ok(())
}

/// Full-scan steps `sql` takes, its triggers included (every parameter 1: the first
/// customer, order, line and product, or an amount of 1).
fn scan_steps(c: &Connection, sql: &str) -> i32 {
    let mut stmt = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let params = vec![1i64; stmt.parameter_count()];
    let mut rows = stmt.query(rusqlite::params_from_iter(params)).unwrap();
    while rows.next().unwrap().is_some() {}
    drop(rows);
    stmt.get_status(StatementStatus::FullscanStep)
}

#[test]
fn order_creation_and_its_triggers_scan_no_growing_table() {
    with_brand(|db| async move {
        let (control, found) = db
            .write(|c| {
                seed(c)?;
                // The check itself must see a scan: a statement that does one.
                let control = scan_steps(c, "SELECT COUNT(*) FROM pedidos WHERE notas IS NOT NULL");
                let mut found = Vec::new();
                for sql in ORDER_PATH {
                    let steps = scan_steps(c, sql);
                    if steps > ALLOWED_STEPS {
                        found.push(format!(
                            "{steps} steps  ←  {}",
                            sql.split_whitespace().collect::<Vec<_>>().join(" ")
                        ));
                    }
                }
                Ok((control, found))
            })
            .await
            .unwrap();
        // A scan steps from each row to the next: one step fewer than rows.
        assert!(
            i64::from(control) >= ROWS - 1,
            "control scan counted {control} steps"
        );
        assert!(
            found.is_empty(),
            "full scans on the order path:\n{}",
            found.join("\n")
        );
    });
}

/// The plan of `sql`, one line per step.
fn plan(c: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    stmt.query_map([1], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_segment_updater_reads_one_customer_through_the_index() {
    with_brand(|db| async move {
        let steps = db
            .read(|c| Ok(plan(c, crate::analytics::refresh::CUSTOMER_ORDERS_SQL)))
            .await
            .unwrap();
        assert!(
            steps
                .iter()
                .any(|s| s.contains("USING INDEX pedidos_cliente")),
            "{steps:?}"
        );
        assert!(
            !steps.iter().any(|s| s.starts_with("SCAN pedidos")),
            "{steps:?}"
        );
    });
}
