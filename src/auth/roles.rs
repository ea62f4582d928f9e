//! Roles and scopes: what an account may do, and which scopes a token of each role may carry.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an account may do. `admin`: everything; `agency`: read all, create, edit and verify
/// suppliers (limited to its `countries` when set) and create `supplier` users; `supplier`: its own
/// supplier profiles; `viewer`: read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Agency,
    Supplier,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Agency => "agency",
            Self::Supplier => "supplier",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Admin, Self::Agency, Self::Supplier, Self::Viewer]
            .into_iter()
            .find(|r| r.as_str() == raw)
    }

    /// The scopes a token of this role may carry (all of them unless the client asks for fewer).
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Self::Admin => &[Scope::Read, Scope::Write, Scope::Verify, Scope::Admin],
            Self::Agency => &[Scope::Read, Scope::Write, Scope::Verify],
            Self::Supplier => &[Scope::Read, Scope::Write],
            Self::Viewer => &[Scope::Read],
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("`{s}` is not one of admin, agency, supplier, viewer"))
    }
}

/// OAuth scopes: `read`, `write` (create and edit), `verify` (workflow decisions), `admin`
/// (accounts). A token's scopes are a subset of its role's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Write,
    Verify,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Verify => "verify",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Read, Self::Write, Self::Verify, Self::Admin]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// Parses a space-separated scope request against what `role` allows. `None` (no `scope`
/// parameter) means all of the role's scopes; an unknown or disallowed scope is an error.
pub fn grant_scopes(role: Role, requested: Option<&str>) -> Result<Vec<Scope>, String> {
    let allowed = role.scopes();
    let Some(requested) = requested.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(allowed.to_vec());
    };
    let mut granted = Vec::new();
    for item in requested.split(' ').filter(|s| !s.is_empty()) {
        match Scope::parse(item) {
            Some(scope) if allowed.contains(&scope) => {
                if !granted.contains(&scope) {
                    granted.push(scope);
                }
            }
            _ => return Err(format!("scope `{item}` is not available to this account")),
        }
    }
    Ok(granted)
}

pub fn scope_string(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_granted_within_the_role() {
        assert_eq!(grant_scopes(Role::Viewer, None).unwrap(), vec![Scope::Read]);
        assert_eq!(
            grant_scopes(Role::Admin, Some("read admin")).unwrap(),
            vec![Scope::Read, Scope::Admin]
        );
        assert!(grant_scopes(Role::Supplier, Some("read verify")).is_err());
        assert!(grant_scopes(Role::Admin, Some("everything")).is_err());
    }
}
