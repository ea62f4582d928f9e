//! What a search asks for: who is asking ([`Visibility`]), the filters, the sort and the keyset
//! position after which a page starts; and how a search can fail ([`SearchError`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::status::SupplierStatus;

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
    pub statuses: Vec<SupplierStatus>,
    /// (lat, lon, radius in km).
    pub near: Option<(f64, f64, f64)>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Normalised; with `country`.
    pub tax_id: Option<String>,
    /// `(system, value)`, normalised: any of them.
    pub external_refs: Vec<(String, String)>,
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
