//! Integration tests for backup, built as one test binary so CI links one executable per domain.

mod common;
mod e2e;
mod litestream;
mod outage;
mod restart;
