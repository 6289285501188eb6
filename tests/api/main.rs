//! Integration tests for api, built as one test binary so CI links one executable per domain.

mod bad_input;
mod cli;
mod concurrency;
mod crud;
mod docs;
mod durability;
mod harness;
mod isolation;
mod support;
