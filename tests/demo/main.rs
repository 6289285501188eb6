//! Integration tests for demo, built as one test binary so CI links one executable per domain.

mod bulk;
mod cli;
mod data;
mod derived;
