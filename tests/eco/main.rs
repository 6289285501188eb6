//! Integration tests for Eco Eterno's playbooks (subscriptions, environmental impact), run
//! against the real binary with the fake Graph API.

#[path = "../api/support.rs"]
mod support;

#[path = "../automations/fake_graph.rs"]
mod fake_graph;

mod common;
mod impact;
mod series;
mod series_ui;
mod subscriptions;
mod ui;
mod wa_subscribe;

#[path = "../ui/support.rs"]
mod ui_support;
