//! Integration tests for the Goio playbook (issue 7, parts 5-7): restock alerts, warranties
//! and cross-selling, through the real server with a fake Graph API.

#[path = "../whatsapp/common.rs"]
mod common;
mod crosssell;
mod restock;
mod ui;
mod wa_cross_sell;
mod warranty;

#[path = "../ui/support.rs"]
mod ui_support;
