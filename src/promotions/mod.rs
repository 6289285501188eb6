//! Promotions: rules by day of week and hours, on a product or a category, optionally for
//! one customer segment, applied automatically when an order is created. Each order line
//! gets at most its best rule; the reason is stored as a discount line and printed.

pub mod announce;
pub mod api;
pub mod engine;
pub mod pages;
pub mod store;

pub use engine::{Applied, Line, Rule};
