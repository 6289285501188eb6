//! JSON API plumbing shared by every domain: extractors whose rejections are problems,
//! cursor pagination, the OpenAPI document and the router that assembles `/api`.

pub mod extract;
pub mod openapi;
pub mod page;

pub use extract::{ApiJson, ApiQuery};
pub use page::{Cursor, Page};
