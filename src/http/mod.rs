//! HTTP plumbing shared by every resource; no business rules here.

pub mod etag;
pub mod fallback;
pub mod headers;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod observe;
pub mod pagination;
pub mod request_id;
pub mod retire;

pub use json::JsonBody;
pub use request_id::RequestId;
