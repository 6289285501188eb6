//! Autónomo: a multi-tenant CRM for a mini PC. The library holds everything; `main.rs` only
//! parses the command line and calls into it.
pub mod whatsapp;
