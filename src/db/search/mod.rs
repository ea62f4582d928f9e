//! Supplier search: one `WHERE` built from the filters (shared by the list, the facets and the
//! export), keyset pagination on the sort key and id, and facet counts over the same set.
//! Every value is a bind parameter; only fixed SQL fragments are concatenated.
//!
//! - `sql`: the statement builder, its binds, and the conditions of a search;
//! - `page`: the pages of the list (and the documents of a page);
//! - `facets`: the counts, and the generation an answer kept in memory is computed from;
//! - `cache`: facet answers kept in memory while the change feed stands still; `kept`: the
//!   public statistics' answers, kept by time;
//! - `export`: every match, as rows streamed to an export;
//! - `candidates`: the suppliers the matcher scores.

mod cache;
mod candidates;
mod export;
mod facets;
mod filters;
mod kept;
mod page;
mod sql;

pub use cache::{Answer, AnswerCache, Generation};
pub use candidates::{NEAREST_NAMES, Probe, candidates};
pub use export::{ExportRow, current_date, export_query};
pub use facets::{FacetRow, facets, generation};
pub use filters::{After, Filters, SearchError, Sort, Visibility};
pub use kept::KeptAnswers;
pub use page::{Hit, page, records};
