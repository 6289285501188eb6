//! Integration tests for automations (campaigns, surveys, reminders, reports), one test binary.

#[path = "../api/support.rs"]
mod support;

mod alerts;
mod announce;
mod audience_filters;
mod automatic;
mod campaign_queue;
mod campaigns;
mod fake_graph;
mod owners_report;
mod reports;
mod surveys;
mod ui_campaigns;
mod ui_jobs;

#[path = "../ui/support.rs"]
mod ui_support;
