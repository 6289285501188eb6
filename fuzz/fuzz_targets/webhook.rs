//! Fuzzes the webhook parser and signature check: any bytes must give Ok/Err, never a panic.
//! Run with `cargo +nightly fuzz run webhook` from the repository root.
#![no_main]

use autonomo::whatsapp::{parse_webhook, verify_signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(events) = parse_webhook(data) {
        for event in events {
            if let autonomo::whatsapp::Event::Message(m) = event {
                let _ = m.message.readable_summary();
            }
        }
    }
    let header = std::str::from_utf8(data.get(..71).unwrap_or(data)).ok();
    let _ = verify_signature(b"secret", data, header);
});
