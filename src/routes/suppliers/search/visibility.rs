//! Who may find what: a caller's [`Visibility`] in the search.

use crate::{
    auth::{Principal, PrincipalKind, Role},
    db::search::Visibility,
};

/// What a caller may find, as far as the search goes.
pub fn visibility(principal: Option<&Principal>) -> Visibility {
    match principal {
        None => Visibility::Public,
        Some(p) => match (p.role, p.kind) {
            (Role::Admin | Role::Agency, _) => Visibility::All,
            (Role::Viewer, _) => Visibility::AllButArchived,
            (Role::Supplier, PrincipalKind::User) => Visibility::Owner(p.id),
            (Role::Supplier, PrincipalKind::Client) => Visibility::Public,
        },
    }
}
