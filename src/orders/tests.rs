//! Stock rules of the status machine on a real brand database.

use super::store::{self, NewOrder};
use super::{ItemInput, Status};
use crate::db::test_support::in_brand_write;

fn stock(c: &rusqlite::Connection) -> Option<i64> {
    c.query_row("SELECT stock FROM productos WHERE id = 1", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn cancelling_gives_back_only_what_was_taken() {
    in_brand_write(|c| {
        c.execute_batch(
            "INSERT INTO clientes (nombre, canal_adquisicion, creado_en, actualizado_en) VALUES ('Ana', 'web', 0, 0);
             INSERT INTO productos (sku, nombre, precio, stock, creado_en, actualizado_en) VALUES ('P', 'Pollo', 2590, NULL, 0, 0);",
        )?;
        let items = [ItemInput {
            producto_id: None,
            sku: Some("P".into()),
            cantidad: 3,
        }];
        let new = NewOrder {
            customer_id: 1,
            channel: "web",
            items: &items,
            notes: None,
            external_id: None,
            actor: "t",
            confirm: true,
        };
        // Confirmed while stock was not tracked: nothing taken.
        let untracked = store::create(c, &new, 1)?;
        c.execute("UPDATE productos SET stock = 5 WHERE id = 1", [])?;
        let tracked = store::create(c, &new, 2)?;
        assert_eq!(stock(c), Some(2));
        store::transition(c, untracked.id, Status::Cancelado, "t", None, 3)?;
        assert_eq!(stock(c), Some(2), "the untracked order gives nothing back");
        store::transition(c, tracked.id, Status::Cancelado, "t", None, 4)?;
        assert_eq!(
            stock(c),
            Some(5),
            "the tracked order gives back its 3 units"
        );
        Ok(())
    });
}
