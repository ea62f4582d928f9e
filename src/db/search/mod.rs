//! Supplier search: one `WHERE` built from the filters (shared by the list, the facets and the
//! export), keyset pagination on the sort key and id, and facet counts over the same set.
//! Every value is a bind parameter; only fixed SQL fragments are concatenated.
//!
//! - `sql`: the statement builder, its binds, and the conditions of a search;
//! - `page`: the pages of the list (and the documents of a page);
//! - `facets`: the counts, and the generation an answer kept in memory is computed from;
//! - `cache`: facet answers kept in memory while the change feed stands still;
//! - `export`: every match, as rows streamed to an export.

mod cache;
mod export;
mod facets;
mod page;
mod sql;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use cache::{Answer, AnswerCache, Generation};
pub use export::{ExportRow, current_date, export_query};
pub use facets::{FacetRow, facets, generation};
pub use page::{Hit, page, records};

/// Who is searching, as far as visibility goes.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Verified suppliers only.
    Public,
    /// Verified suppliers and those this user owns.
    Owner(Uuid),
    /// Everything but archived suppliers.
    AllButArchived,
    /// Everything.
    All,
}

/// The search, as parsed from the query string.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Already lower-cased and unaccented by the database, from the raw text.
    pub q: Option<String>,
    pub capabilities: Vec<String>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
    pub size_classes: Vec<String>,
    pub certification: Option<String>,
    pub statuses: Vec<String>,
    /// (lat, lon, radius in km).
    pub near: Option<(f64, f64, f64)>,
    pub updated_since: Option<DateTime<Utc>>,
}

/// The order of a page: by legal name, most recently changed first, nearest first, best match
/// of `q` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    UpdatedDesc,
    Distance,
    Relevance,
}

/// Where the previous page ended: the sort key and the id (tagged, so that a time is never read
/// back as text).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum After {
    Text(String, Uuid),
    Time(DateTime<Utc>, Uuid),
    Number(f64, Uuid),
}

/// A search that failed: no connection, or the query.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Pool(#[from] crate::db::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}
