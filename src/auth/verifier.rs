//! [`Verifier`]: what checking a bearer token needs (the token authority, and the pool that reads
//! the account behind it). It is its own app data, so the principal extractor and the rate limiter
//! never reach into the application state.

use std::sync::Arc;

use super::tokens::{AccessClaims, Authority, TokenError};
use crate::db::Pool;

pub struct Verifier {
    authority: Arc<Authority>,
    pool: Pool,
}

impl Verifier {
    pub fn new(authority: Arc<Authority>, pool: Pool) -> Self {
        Self { authority, pool }
    }

    /// The claims of a valid, unexpired access token.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        self.authority.verify(token)
    }

    /// The pool that reads the caller's account.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}
