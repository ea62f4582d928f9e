//! A supplier's lifecycle: [`SupplierStatus`], the [`Transition`]s of the verification workflow
//! (which states each leaves from and where it goes), and the [`EventType`]s of the change feed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a supplier is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupplierStatus {
    Draft,
    Pending,
    Verified,
    Rejected,
    Suspended,
    Archived,
}

impl SupplierStatus {
    pub const ALL: [Self; 6] = [
        Self::Draft,
        Self::Pending,
        Self::Verified,
        Self::Rejected,
        Self::Suspended,
        Self::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
            Self::Archived => "archived",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// An owner's change to one of [`VERIFIED_FIELDS`] sends a verified profile back here.
    pub fn after_owner_edit(self, changed: &[&str]) -> Option<Self> {
        (self == Self::Verified && changed.iter().any(|f| VERIFIED_FIELDS.contains(f)))
            .then_some(Self::Pending)
    }
}

impl std::fmt::Display for SupplierStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fields whose change by an owner sends a verified profile back to `pending`.
pub const VERIFIED_FIELDS: &[&str] = &[
    "legal_name",
    "tax_id",
    "country",
    "capabilities",
    "certifications",
];

/// A move of the verification workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    Verify,
    Reject,
    Suspend,
    Reinstate,
}

impl Transition {
    /// Its name, as in its path and in the audit entry's `action`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Verify => "verify",
            Self::Reject => "reject",
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
        }
    }

    /// The states it leaves from.
    pub fn from(self) -> &'static [SupplierStatus] {
        use SupplierStatus::*;
        match self {
            Self::Submit => &[Draft, Rejected],
            Self::Verify | Self::Reject => &[Pending],
            Self::Suspend => &[Verified],
            Self::Reinstate => &[Suspended],
        }
    }

    /// The state it goes to.
    pub fn to(self) -> SupplierStatus {
        match self {
            Self::Submit => SupplierStatus::Pending,
            Self::Verify | Self::Reinstate => SupplierStatus::Verified,
            Self::Reject => SupplierStatus::Rejected,
            Self::Suspend => SupplierStatus::Suspended,
        }
    }

    /// Whether it takes a reason (shown as `status_reason`).
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Reject | Self::Suspend)
    }

    /// The state it leads to from `current`, or `None` when it cannot start there.
    pub fn apply(self, current: SupplierStatus) -> Option<SupplierStatus> {
        self.from().contains(&current).then(|| self.to())
    }
}

/// The kind of a change-feed event (and of a webhook delivery).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "supplier.created")]
    SupplierCreated,
    #[serde(rename = "supplier.updated")]
    SupplierUpdated,
    #[serde(rename = "supplier.status_changed")]
    SupplierStatusChanged,
    #[serde(rename = "supplier.archived")]
    SupplierArchived,
    /// The supplier was merged into another as its duplicate (`data: { "into" }`).
    #[serde(rename = "supplier.merged")]
    SupplierMerged,
}

impl EventType {
    pub const ALL: [Self; 5] = [
        Self::SupplierCreated,
        Self::SupplierUpdated,
        Self::SupplierStatusChanged,
        Self::SupplierArchived,
        Self::SupplierMerged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SupplierCreated => "supplier.created",
            Self::SupplierUpdated => "supplier.updated",
            Self::SupplierStatusChanged => "supplier.status_changed",
            Self::SupplierArchived => "supplier.archived",
            Self::SupplierMerged => "supplier.merged",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in SupplierStatus::ALL {
            assert_eq!(SupplierStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
    }

    #[test]
    fn transitions_leave_only_from_their_states() {
        use SupplierStatus::*;
        assert_eq!(Transition::Submit.apply(Draft), Some(Pending));
        assert_eq!(Transition::Submit.apply(Rejected), Some(Pending));
        assert_eq!(Transition::Submit.apply(Verified), None);
        assert_eq!(Transition::Verify.apply(Pending), Some(Verified));
        assert_eq!(Transition::Reject.apply(Draft), None);
        assert_eq!(Transition::Suspend.apply(Verified), Some(Suspended));
        assert_eq!(Transition::Reinstate.apply(Suspended), Some(Verified));
        assert_eq!(Transition::Reinstate.apply(Archived), None);
    }

    #[test]
    fn an_owner_edit_of_a_verified_field_goes_back_to_pending() {
        use SupplierStatus::*;
        assert_eq!(
            Verified.after_owner_edit(&["city", "tax_id"]),
            Some(Pending)
        );
        assert_eq!(Verified.after_owner_edit(&["city"]), None);
        assert_eq!(Draft.after_owner_edit(&["tax_id"]), None);
    }
}
