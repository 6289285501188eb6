//! Fuzzes the Spanish order parser with arbitrary text against a small catalogue.
//! Run with `cargo +nightly fuzz run order_text` from the repository root.
#![no_main]

use autonomo::whatsapp::order_text::{CatalogItem, parse_order};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let catalogue = [
        CatalogItem::new("BROASTER", "Pollo broaster", &["broaster"]),
        CatalogItem::new("CUARTO", "1/4 Pollo a la brasa", &["cuarto de pollo"]),
        CatalogItem::new("INCA", "Inca Kola 1.5L", &["gaseosa"]),
    ];
    let _ = parse_order(text, &catalogue);
});
