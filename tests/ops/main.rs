//! Integration tests for operations: `autonomo status` and the token-protected `/metrics`,
//! both through the real binary. One test binary for the domain.

mod allocator;
mod local_backup;
mod metrics;
mod status;
#[path = "../api/support.rs"]
mod support;
