//! Integration tests for mirror, built as one test binary so CI links one executable per domain.

mod domains;
mod resilience;
mod support;
mod sync;
mod upgrade;
