//! Security tests through the real binary: the audit trail, GDPR erasure and export, and the
//! tests that try to break things (kill -9 loop, erasure sweep, XSS payloads).

#[path = "../api/support.rs"]
mod support;
#[path = "../ui/support.rs"]
mod ui_support;

mod audit;
mod control_audit;
mod diskfull;
mod encryption;
mod gdpr;
mod kill9;
mod limits;
mod screens;
mod xss;
