//! The state every handler can reach, built once at start-up and shared by all workers.

use std::sync::Arc;

use diesel_async::AsyncPgConnection;
use tokio::sync::OnceCell;

use crate::{
    auth::{secrets::DigestKey, tokens::Authority},
    config::Config,
    db::{Pool, SearchPools, search::AnswerCache},
    domain::size::SizeRule,
    error::ApiError,
    http::metrics::Metrics,
};

pub struct AppState {
    pub pool: Pool,
    /// The search's connections (see [`crate::db::SearchPools`]).
    pub search_pools: SearchPools,
    pub config: Arc<Config>,
    /// Also registered as its own app data, for the middleware that records requests.
    pub metrics: Arc<Metrics>,
    /// Issues and verifies access tokens (shared with the [`crate::auth::Verifier`]).
    pub authority: Arc<Authority>,
    /// Keys the digests of client secrets and refresh tokens, and cursors.
    pub digest_key: DigestKey,
    /// The OpenAPI document, serialized once.
    pub openapi_json: String,
    /// The MSME size rules, read from the database on first use (rules change by migration, so
    /// every instance reads the same ones).
    pub size_rules: OnceCell<Vec<SizeRule>>,
    /// Facet counts, by filters and visibility, while no change is committed.
    pub facets_cache: AnswerCache,
    /// Wakes this process's import worker when an import is queued here (other instances find it
    /// on their next look).
    pub import_queued: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub async fn size_rules(&self, conn: &mut AsyncPgConnection) -> Result<&[SizeRule], ApiError> {
        self.size_rules
            .get_or_try_init(|| async { crate::db::reference::load_size_rules(conn).await })
            .await
            .map(Vec::as_slice)
            .map_err(ApiError::Internal)
    }
}
