//! Integration tests for demo, built as one test binary so CI links one executable per domain.

mod cli;
mod data;
