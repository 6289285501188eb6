//! Integration tests for ui, built as one test binary so CI links one executable per domain.

mod auth;
mod customers;
mod inbox;
mod orders;
mod support;
mod tickets;
