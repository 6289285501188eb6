//! Integration tests for mirror, built as one test binary so CI links one executable per domain.

mod resilience;
mod support;
mod sync;
