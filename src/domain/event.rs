//! A change-feed event as the API and webhook deliveries show it (the body of both).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::status::{EventType, SupplierStatus};

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
    /// What changed (see `EventData`).
    #[schema(value_type = EventData, example = json!({ "version": 4, "changed": ["employees"] }))]
    pub data: Value,
}

/// An event's `data`, by type. Every event carries the supplier's new `version`;
/// `supplier.updated` names the fields that `changed`; `supplier.status_changed` gives `from`,
/// `to` and the `reason` when there is one (and `changed` when an owner's edit sent a verified
/// profile back to `pending`); `supplier.archived` gives `from`; `supplier.merged` gives `from`
/// and the survivor it was merged `into`, and the survivor's `supplier.updated` names the
/// duplicate it was `merged_from`. Clients must tolerate fields added later.
// For the OpenAPI document: the write path builds the object itself.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EventData {
    /// The supplier's `version` after the change.
    #[schema(minimum = 1)]
    version: i32,
    /// The fields that changed (top-level names of the supplier document, or `owners`).
    changed: Option<Vec<String>>,
    /// The status before the change.
    from: Option<SupplierStatus>,
    /// The status after the change.
    to: Option<SupplierStatus>,
    /// Why (a rejection or suspension reason), when one was given.
    reason: Option<String>,
    /// `supplier.merged`: the survivor.
    into: Option<Uuid>,
    /// The survivor's `supplier.updated` of a merge: the duplicate.
    merged_from: Option<Uuid>,
}
