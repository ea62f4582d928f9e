//! A change-feed event as the API and webhook deliveries show it (the body of both).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::status::EventType;

/// A change.
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    /// Strictly increasing in commit order.
    pub id: i64,
    #[serde(rename = "type")]
    #[schema(example = "supplier.updated")]
    pub kind: EventType,
    pub occurred_at: DateTime<Utc>,
    pub supplier_id: Uuid,
    /// The new `version`, and per type: `changed` (fields), `from`/`to`/`reason` (status).
    #[schema(value_type = Object, example = json!({ "version": 4, "changed": ["employees"] }))]
    pub data: Value,
}
