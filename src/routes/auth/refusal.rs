//! How an OAuth request fails (`Refusal`, answered as RFC 6749 §5.2 JSON), and reading the
//! form or JSON body of the token and revocation endpoints.

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    http::{StatusCode, header},
};
use serde::de::DeserializeOwned;

use super::dto::{OAuthError, TokenRequest};
use crate::{db, error::ApiError};

/// How a token request failed.
pub(super) enum Refusal {
    InvalidRequest(String),
    InvalidClient,
    InvalidGrant(&'static str),
    UnsupportedGrant,
    InvalidScope(String),
    /// Too many failed attempts: 429 with `Retry-After`, under the grant's own error code.
    Throttled(&'static str, i64),
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Self::Api(e.into())
    }
}

impl From<db::PoolError> for Refusal {
    fn from(e: db::PoolError) -> Self {
        Self::Api(e.into())
    }
}

/// A response that no cache may keep (RFC 6749 §5.1: token answers carry `no-store`).
pub(super) fn uncached(status: StatusCode) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    builder
}

fn oauth_response(status: StatusCode, error: &str, description: String) -> HttpResponse {
    uncached(status).json(OAuthError {
        error: error.to_owned(),
        error_description: description,
    })
}

impl Refusal {
    /// A throttled refusal under the grant's own error code (`invalid_grant`, `invalid_client`).
    pub(super) fn under(self, code: &'static str) -> Self {
        match self {
            Self::Throttled(_, seconds) => Self::Throttled(code, seconds),
            other => other,
        }
    }

    /// The RFC 6749 answer; database trouble and the like stay problem documents (503 with
    /// `Retry-After`).
    pub(super) fn into_response(self) -> Result<HttpResponse, ApiError> {
        Ok(match self {
            Self::InvalidRequest(d) => {
                oauth_response(StatusCode::BAD_REQUEST, "invalid_request", d)
            }
            Self::InvalidClient => with_header(
                oauth_response(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "Client authentication failed.".into(),
                ),
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"supplier-registry\""),
            ),
            Self::InvalidGrant(d) => {
                oauth_response(StatusCode::BAD_REQUEST, "invalid_grant", d.into())
            }
            Self::UnsupportedGrant => oauth_response(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be client_credentials, password or refresh_token.".into(),
            ),
            Self::InvalidScope(d) => oauth_response(StatusCode::BAD_REQUEST, "invalid_scope", d),
            Self::Throttled(code, seconds) => with_header(
                oauth_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    code,
                    format!("Too many failed attempts; try again in {seconds} s."),
                ),
                header::RETRY_AFTER,
                header::HeaderValue::from(seconds.max(1)),
            ),
            Self::Api(e) => return Err(e),
        })
    }
}

fn with_header(
    mut resp: HttpResponse,
    name: header::HeaderName,
    value: header::HeaderValue,
) -> HttpResponse {
    resp.headers_mut().insert(name, value);
    resp
}

/// Reads a form (`application/x-www-form-urlencoded`) or JSON body; an empty body without a
/// content type is the default (every field absent).
pub(super) fn parse_body<T: DeserializeOwned + Default>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<T, Refusal> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        // serde's message could repeat a submitted value (a password): say only what failed.
        serde_urlencoded::from_bytes(body)
            .map_err(|_| Refusal::InvalidRequest("The form could not be read.".into()))
    } else if content_type.starts_with("application/json") {
        serde_json::from_slice(body).map_err(|_| {
            Refusal::InvalidRequest(
                "The JSON body could not be read (all fields are strings).".into(),
            )
        })
    } else if body.is_empty() {
        Ok(T::default())
    } else {
        Err(Refusal::InvalidRequest(
            "Send application/x-www-form-urlencoded (or application/json).".into(),
        ))
    }
}

/// 400 `invalid_request` naming `field` when `value` holds a NUL or another C0/C1 control other
/// than tab, line feed and carriage return (such text never reaches the database).
pub(super) fn plain(field: &str, value: &str) -> Result<(), Refusal> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(Refusal::InvalidRequest(format!(
            "{field} must not contain control characters."
        )));
    }
    Ok(())
}

/// Every text field of a token request, checked with [`plain`].
pub(super) fn plain_form(form: &TokenRequest) -> Result<(), Refusal> {
    let fields = [
        ("grant_type", &form.grant_type),
        ("client_id", &form.client_id),
        ("client_secret", &form.client_secret),
        ("username", &form.username),
        ("password", &form.password),
        ("refresh_token", &form.refresh_token),
        ("scope", &form.scope),
    ];
    for (field, value) in fields {
        if let Some(value) = value {
            plain(field, value)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tab_line_feed_and_carriage_return_pass_among_controls() {
        assert!(plain("f", "a\tb\r\nc é").is_ok());
        for bad in ["\0", "a\u{1}", "\u{7f}", "\u{85}", "\u{9f}x"] {
            assert!(
                matches!(plain("f", bad), Err(Refusal::InvalidRequest(_))),
                "{bad:?}"
            );
        }
    }
}
