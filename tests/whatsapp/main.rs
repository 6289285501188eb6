//! Integration tests for whatsapp, built as one test binary so CI links one executable per domain.

mod audit;
mod bench;
mod bot;
mod burst;
mod common;
mod delivery;
mod encryption;
mod handoff_alert;
mod public_api;
mod webhook;
