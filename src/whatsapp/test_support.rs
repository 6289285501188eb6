//! Test-only helpers: locating the shared WhatsApp fixtures from the crate root.

use std::path::PathBuf;

/// The `fixtures/whatsapp` folder: `../shared` beside the checkout when it exists, else `/work/shared`.
/// Resolved at run time because a worktree and a CI clone sit at different depths.
pub fn fixtures_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        root.join("../shared/fixtures/whatsapp"),
        PathBuf::from("/work/shared/fixtures/whatsapp"),
    ];
    candidates
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| panic!("no WhatsApp fixtures found in {candidates:?}"))
}

pub fn fixture_bytes(rel: &str) -> Vec<u8> {
    let path = fixtures_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn fixture_json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture_bytes(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every `*.json` file name under `inbound/` except the signature vectors.
pub fn inbound_fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join("inbound"))
        .expect("inbound dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "signature_vectors.json")
        .collect();
    names.sort();
    names
}
