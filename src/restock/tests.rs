//! The 0 -> positive trigger and the request rules on a real brand database.

use crate::db::test_support::in_brand_write;

fn states(c: &rusqlite::Connection) -> Vec<String> {
    let mut s = c
        .prepare("SELECT estado FROM avisos_reposicion ORDER BY id")
        .unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn only_zero_to_positive_marks_requests_ready_and_requests_are_not_duplicated() {
    in_brand_write(|c| {
        c.execute_batch(
            "INSERT INTO clientes (nombre, canal_adquisicion, creado_en, actualizado_en) VALUES ('Ana', 'web', 0, 0);
             INSERT INTO productos (sku, nombre, precio, stock, creado_en, actualizado_en) VALUES ('A', 'Audífonos', 9900, 0, 0, 0);
             INSERT INTO productos (sku, nombre, precio, stock, creado_en, actualizado_en) VALUES ('B', 'Cargador', 2900, 3, 0, 0);",
        )?;
        // In stock: refused.
        assert!(super::request(c, 1, 2, "personal", 1).is_err());
        let (first, fresh) = super::request(c, 1, 1, "personal", 1)?;
        assert!(fresh);
        let (again, fresh) = super::request(c, 1, 1, "whatsapp", 2)?;
        assert!(!fresh);
        assert_eq!(first.id, again.id);
        // Untracked -> positive is not a restock.
        c.execute("UPDATE productos SET stock = NULL WHERE id = 1", [])?;
        c.execute("UPDATE productos SET stock = 4 WHERE id = 1", [])?;
        assert_eq!(states(c), ["esperando"]);
        c.execute("UPDATE productos SET stock = 0 WHERE id = 1", [])?;
        c.execute(
            "UPDATE productos SET stock = 2, actualizado_en = 7 WHERE id = 1",
            [],
        )?;
        assert_eq!(states(c), ["listo"]);
        // No WhatsApp identity: held, not sent.
        let d = super::dispatch(c, 10)?;
        assert_eq!(d, super::Dispatched { sent: 0, held: 1 });
        assert_eq!(states(c), ["listo"]);
        Ok(())
    });
}

#[test]
fn counter_hints_rank_by_confidence_and_skip_cancelled_orders() {
    let hints = in_brand_write(|c| {
        c.execute_batch(
            "INSERT INTO clientes (nombre, canal_adquisicion, creado_en, actualizado_en) VALUES ('Ana', 'web', 0, 0);
             INSERT INTO productos (id, sku, nombre, precio, creado_en, actualizado_en) VALUES
                (1, 'A', 'Celular', 1, 0, 0), (2, 'B', 'Funda', 1, 0, 0), (3, 'C', 'Cargador', 1, 0, 0);",
        )?;
        // A+B three times, A+C twice, A+C twice more but cancelled.
        let baskets: [(&str, &[i64]); 7] = [
            ("entregado", &[1, 2]),
            ("entregado", &[1, 2]),
            ("entregado", &[1, 2, 3]),
            ("entregado", &[1, 3]),
            ("entregado", &[3]),
            ("cancelado", &[1, 3]),
            ("cancelado", &[1, 3]),
        ];
        for (n, (status, items)) in baskets.iter().enumerate() {
            c.execute(
                "INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en)
                 VALUES (?1, 1, 'web', ?2, 0, 0, ?1, ?1)",
                rusqlite::params![n as i64 + 1, status],
            )?;
            for p in *items {
                c.execute(
                    "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
                     VALUES (?1, ?2, 'x', 'x', 1, 1, 1)",
                    rusqlite::params![n as i64 + 1, p],
                )?;
            }
        }
        crate::restock::suggestions::names_for_all(c, 2)
    });
    // P(B|A) = 3/4 > P(C|A) = 2/4; cancelled orders would have made C first.
    assert_eq!(hints[&1], ["Funda", "Cargador"]);
    assert_eq!(
        hints[&2],
        ["Celular"],
        "B+C only once: below the minimum of 2"
    );
}
