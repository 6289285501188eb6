//! Brand settings screens (details, staff accounts, integrations) and the summary page
//! each role lands on until the analytics dashboards take its place.

mod integrations;
pub mod pages;
mod summary;
