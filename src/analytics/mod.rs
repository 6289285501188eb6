//! Analytics computed from rows the storage layer hands in: lifecycle segments, RFM scores
//! and groups, predictive customer lifetime value (BG/NBD + Gamma-Gamma), monthly cohort
//! retention and product cross-selling. Pure functions: no database, no HTTP, no clock.
//!
//! Conventions: money is `i64` minor units (cents) on input and output; instants are
//! `DateTime<Utc>` and are bucketed into days/months in the brand's `chrono_tz::Tz`;
//! customers and products are identified by their `i64` row ids. Outputs derive
//! `Serialize` with Spanish JSON field names (documented on each type) for the UI and API.

pub mod api;
pub mod charts;
pub mod clv;
pub mod cohorts;
pub mod combined;
pub mod conversion;
pub mod crosssell;
pub mod dashboard_charts;
pub mod impact_totals;
pub mod jobs;
pub mod metrics;
pub mod monthly;
mod nightly;
mod optimize;
pub mod pages;
pub mod period;
pub mod png;
pub mod png_pages;
pub mod refresh;
pub mod report;
pub mod rfm;
pub mod rollups;
pub mod satisfaction;
pub mod segments;
pub mod span;
mod special;
pub mod thresholds;
mod thresholds_pages;
pub mod zone;
