//! Search and discovery: `GET /v1/suppliers` (filters, sorts, keyset pages), `/facets` (counts
//! over the same filters) and `/export` (every match, streamed as CSV or NDJSON).
//!
//! - `params`: the typed query parameters of the three operations, and their rules;
//! - `list`, `facets`, `export`: one operation each.

mod export;
mod facets;
mod list;
mod params;
mod visibility;

pub use export::export_suppliers;
pub use facets::{FacetCount, Facets, supplier_facets};
pub use list::list_suppliers;
pub use params::{ExportFormat, ExportParams, ListParams, SearchParams, SortParam};
pub use visibility::visibility as visibility_of;
