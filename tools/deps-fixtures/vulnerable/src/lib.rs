//! Fixture: see Cargo.toml.
