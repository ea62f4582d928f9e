//! Search and discovery: `GET /v1/suppliers` (filters, sorts, keyset pages), `/facets` (counts
//! over the same filters) and `/export` (every match, streamed as CSV or NDJSON).
//!
//! - `params`: the typed query parameters of the three operations, and their rules;
//! - `list`, `facets`, `export`: one operation each.

mod export;
mod facets;
mod list;
mod params;

pub use export::export_suppliers;
pub use facets::{FacetCount, Facets, supplier_facets};
pub use list::list_suppliers;
pub use params::{ExportFormat, ExportParams, ListParams, SearchParams, SortParam};

use crate::{
    auth::{Principal, PrincipalKind, Role},
    db::search::Visibility,
};

/// What a caller may find, as far as the search goes.
fn visibility(principal: Option<&Principal>) -> Visibility {
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
