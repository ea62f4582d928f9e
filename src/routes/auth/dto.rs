//! The OAuth endpoints' bodies: token and revocation requests, the token response and the
//! RFC 6749 §5.2 error.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A token request (`application/x-www-form-urlencoded`, or JSON). Which fields apply depends on
/// `grant_type`. Client credentials may come in HTTP Basic instead of the body (not both).
#[derive(Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `client_credentials`, `password` or `refresh_token`.
    #[schema(example = "client_credentials")]
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The e-mail address (password grant).
    pub username: Option<String>,
    pub password: Option<String>,
    pub refresh_token: Option<String>,
    /// Space-separated subset of the account's scopes (`read write verify admin`); all by default.
    pub scope: Option<String>,
}

/// A successful token response (RFC 6749 §5.1). No `Debug`: it holds tokens.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// An EdDSA-signed JWT (`typ: at+jwt`).
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    #[schema(example = "read write")]
    pub scope: String,
    /// For the password and refresh grants: the next refresh token (each is good once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// An RFC 6749 §5.2 error.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`,
    /// `invalid_scope` (RFC 6749 §5.2); with 429, 500 and 503 also `temporarily_unavailable` and
    /// `server_error` (RFC 6749 §4.1.2.1).
    #[schema(example = "invalid_grant")]
    pub error: String,
    pub error_description: String,
}

/// A revocation request (RFC 7009).
#[derive(Default, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// A refresh token, or an access token of a person's login.
    #[schema(example = "rt_mJ3xV9q2cLk8Yw4TzB7nRf")]
    pub token: Option<String>,
    /// `refresh_token` or `access_token` (a hint; both are tried).
    pub token_type_hint: Option<String>,
}
