//! Integration tests for analytics, built as one test binary so CI links one executable per domain.

mod bench_data;
mod cdnow;
mod clv_bench;
mod dashboard_bench;
mod dashboard_extras;
mod http;
mod import;
mod periods;
mod recompute;
mod rollups;
mod segment_times;
#[path = "../api/support.rs"]
mod support;
mod ui_dashboard;
mod ui_extras;
mod ui_png;
#[path = "../ui/support.rs"]
mod ui_support;
