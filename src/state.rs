//! The state every handler can reach, built once at start-up and shared by all workers.

use std::sync::Arc;

use crate::{
    auth::{secrets::DigestKey, tokens::Authority},
    config::Config,
    db::Pool,
    http::{fallback::RouteTable, metrics::Metrics},
};

pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub metrics: Metrics,
    /// Issues and verifies access tokens.
    pub authority: Authority,
    /// Keys the digests of client secrets and refresh tokens, and cursors.
    pub digest_key: DigestKey,
    /// Paths and methods of the API, for 405 answers.
    pub routes: RouteTable,
    /// The OpenAPI document, serialized once.
    pub openapi_json: String,
}
