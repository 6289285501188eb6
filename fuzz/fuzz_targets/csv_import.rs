//! Fuzzes the customer CSV import end to end on an in-memory brand database: decoding
//! (UTF-8 / Windows-1252), delimiter sniffing, column guessing, row validation and the
//! inserts. Bad files and rows are reported, never a panic; every input is rolled back.
#![no_main]

use std::cell::RefCell;

use autonomo::customers::csv::{guess_mapping, import};
use autonomo::db::{Schema, migrations};
use autonomo::tenants::{Brand, Slug};
use autonomo::web::csvkit;
use libfuzzer_sys::fuzz_target;
use rusqlite::Connection;

thread_local! {
    static DB: RefCell<Connection> = RefCell::new({
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        autonomo::db::functions::register(&conn, "fuzz").expect("functions");
        migrations::run(&mut conn, Schema::Tenant).expect("tenant migrations");
        conn
    });
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(table) = csvkit::read(bytes) else {
        return;
    };
    let mapping = guess_mapping(&table.headers);
    let brand = Brand {
        slug: Slug::parse("fuzz").expect("slug"),
        nombre: "Fuzz".into(),
        moneda: "PEN".into(),
        zona_horaria: "America/Lima".into(),
        pais: "PE".into(),
        idioma: "es".into(),
        archived_at: None,
        created_at: 0,
    };
    DB.with(|db| {
        let mut conn = db.borrow_mut();
        let tx = conn.transaction().expect("transaction");
        let _ = import(&tx, &brand.slug, &brand, &table, &mapping, 1_800_000_000_000);
        tx.rollback().expect("rollback");
    });
});
