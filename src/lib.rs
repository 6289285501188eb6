//! Autónomo: a multi-tenant CRM for a mini PC. The library holds everything; `main.rs` only
//! parses the command line and calls [`cli::run`].
//!
//! Levels call downwards only: config/error → db/web → auth → tenants → domains → app/cli.

pub mod alerts;
pub mod analytics;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod campaigns;
pub mod cli;
pub mod config;
pub mod conversations;
pub mod crypto;
pub mod customers;
pub mod db;
pub mod demo;
pub mod education;
pub mod email;
pub mod error;
pub mod health;
pub mod impact;
pub mod interactions;
pub mod logging;
pub mod loyalty;
pub mod metrics;
pub mod mirror;
pub mod orders;
pub mod outbox;
pub mod products;
pub mod promotions;
pub mod reminders;
pub mod reports;
pub mod restock;
pub mod scheduler;
pub mod settings;
pub mod status;
pub mod subscriptions;
pub mod surveys;
pub mod telegram;
pub mod tenants;
pub mod time;
pub mod warranties;
pub mod web;
pub mod whatsapp;
