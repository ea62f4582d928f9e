//! The one error type of the HTTP layer and its RFC 9457 problem bodies.
//!
//! Which error type goes where:
//! - handlers and extractors return [`ApiError`]; `?` converts diesel and pool errors into it;
//! - code in `db/` returns `diesel::QueryResult`;
//! - the CLI, start-up and background workers use `anyhow::Result` with `.context("…")`.
//!
//! Every error response is `application/problem+json` ([`Problem`]). `http::observe` fills in
//! `instance` and `request_id`, logs the cause of every 5xx, and turns any error response that did
//! not come from here (actix's own) into a problem too. A 5xx body never carries the cause.

use actix_web::{
    HttpResponse, ResponseError,
    http::{Method, StatusCode, header},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::domain::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document, the body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI that identifies the kind of problem; stable for each kind.
    #[serde(rename = "type")]
    #[schema(example = "tag:supplier-registry,2026:problem:validation")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Unprocessable Content")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The path of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/v1/suppliers")]
    pub instance: Option<String>,
    /// The request id, also sent in the `X-Request-Id` header and written on every log line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Each broken rule, for 400 and 422.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a 409 duplicate: the id of the resource that already exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<uuid::Uuid>,
}

impl Problem {
    /// A problem of a plain HTTP status (used for errors that did not come from [`ApiError`]).
    pub fn for_status(status: StatusCode) -> Self {
        let (slug, detail) = match status.as_u16() {
            400 => ("bad-request", "The request could not be understood."),
            401 => ("unauthorized", "Authentication is required."),
            403 => ("forbidden", "You are not allowed to do this."),
            404 => ("not-found", "No resource at this address."),
            405 => ("method-not-allowed", "This method is not allowed here."),
            408 => ("request-timeout", "The request took too long to arrive."),
            413 => ("payload-too-large", "The request body is too large."),
            429 => (
                "rate-limited",
                "Too many requests; retry after `Retry-After` seconds.",
            ),
            415 => (
                "unsupported-media-type",
                "This media type is not supported.",
            ),
            431 => ("headers-too-large", "The request headers are too large."),
            503 => (
                "unavailable",
                "The service is unavailable; try again shortly.",
            ),
            s if s >= 500 => ("internal", "An internal error occurred."),
            _ => ("client-error", "The request was not accepted."),
        };
        Self::new(status, slug, detail)
    }

    fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: problem_type(slug),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            request_id: None,
            errors: Vec::new(),
            existing_id: None,
        }
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn to_body(&self) -> Vec<u8> {
        // Serializing plain strings and numbers cannot fail; an empty body would still be an error
        // response with the right status.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The stable `type` URI of a kind of problem.
pub fn problem_type(slug: &str) -> String {
    format!("tag:supplier-registry,2026:problem:{slug}")
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: unparsable JSON or a bad query or path parameter.
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 401: no usable credentials. `challenge` is the `WWW-Authenticate` value.
    #[error("unauthorized: {detail}")]
    Unauthorized { detail: String, challenge: String },
    /// 403: authenticated, but not allowed. `challenge` is set for a missing scope.
    #[error("forbidden: {detail}")]
    Forbidden {
        detail: String,
        challenge: Option<String>,
    },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<Method> },
    /// 409: a duplicate, an illegal state change, or a racing request.
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        existing_id: Option<uuid::Uuid>,
    },
    /// 412: `If-Match` does not match the current version.
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("payload too large (limit {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed JSON that breaks a rule.
    #[error("unprocessable: {detail}")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 428: `If-Match` is required here.
    #[error("precondition required")]
    PreconditionRequired,
    /// 429: too many requests from this caller.
    #[error("too many requests")]
    TooManyRequests { retry_after: u32 },
    /// 503: the database is down or no connection was free in time.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: anything unexpected. The cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden {
            detail: detail.into(),
            challenge: None,
        }
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            existing_id: None,
        }
    }

    pub fn bad_request(field: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest {
            detail: format!("Invalid `{field}`: {message}"),
            errors: vec![FieldError::new(field, code, message)],
        }
    }

    pub fn unprocessable(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("Invalid `{}`: {}", one.field, one.message),
            _ => format!("{} fields break the rules; see `errors`.", errors.len()),
        };
        Self::Unprocessable { detail, errors }
    }

    /// The problem body, without `instance` and `request_id` (added by `http::observe`).
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        match self {
            Self::BadRequest { detail, errors } => Problem {
                errors: errors.clone(),
                ..Problem::new(status, "bad-request", detail.clone())
            },
            Self::Unauthorized { detail, .. } => {
                Problem::new(status, "unauthorized", detail.clone())
            }
            Self::Forbidden { detail, .. } => Problem::new(status, "forbidden", detail.clone()),
            Self::NotFound(detail) => Problem::new(status, "not-found", detail.clone()),
            Self::Conflict {
                detail,
                existing_id,
            } => Problem {
                existing_id: *existing_id,
                ..Problem::new(status, "conflict", detail.clone())
            },
            Self::PreconditionFailed => Problem::new(
                status,
                "precondition-failed",
                "`If-Match` does not match the current version; fetch the resource again.",
            ),
            Self::PreconditionRequired => Problem::new(
                status,
                "precondition-required",
                "Send `If-Match` with the resource's current `ETag`.",
            ),
            Self::TooManyRequests { retry_after } => Problem::new(
                status,
                "rate-limited",
                format!("Too many requests; retry in {retry_after} s."),
            ),
            Self::MethodNotAllowed { allow } => {
                let allowed: Vec<&str> = allow.iter().map(Method::as_str).collect();
                Problem::new(
                    status,
                    "method-not-allowed",
                    format!("Allowed methods: {}.", allowed.join(", ")),
                )
            }
            Self::PayloadTooLarge { limit } => Problem::new(
                status,
                "payload-too-large",
                format!("The request body is larger than {limit} bytes."),
            ),
            Self::UnsupportedMediaType(detail) => {
                Problem::new(status, "unsupported-media-type", detail.clone())
            }
            Self::Unprocessable { detail, errors } => Problem {
                errors: errors.clone(),
                ..Problem::new(status, "validation", detail.clone())
            },
            Self::Unavailable(detail) => Problem::new(status, "unavailable", detail.clone()),
            Self::Internal(_) => Problem::new(status, "internal", "An internal error occurred."),
        }
    }

    /// Seconds a client should wait before trying again, where that applies.
    fn retry_after(&self) -> Option<u32> {
        match self {
            Self::Unavailable(_) => Some(1),
            Self::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        if let Self::MethodNotAllowed { allow } = self {
            let allowed: Vec<&str> = allow.iter().map(Method::as_str).collect();
            response.insert_header((header::ALLOW, allowed.join(", ")));
        }
        match self {
            Self::Unauthorized { challenge, .. }
            | Self::Forbidden {
                challenge: Some(challenge),
                ..
            } => {
                response.insert_header((header::WWW_AUTHENTICATE, challenge.as_str()));
            }
            _ => {}
        }
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(self.problem().to_body())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match &err {
            Error::NotFound => Self::NotFound("No such resource.".into()),
            Error::DatabaseError(Kind::UnableToSendCommand | Kind::ClosedConnection, _) => {
                Self::Unavailable("The database is unreachable; try again shortly.".into())
            }
            Error::DatabaseError(Kind::UniqueViolation, _) => {
                Self::conflict("A resource with these values already exists.")
            }
            Error::DatabaseError(Kind::SerializationFailure, _) => {
                Self::Unavailable("The request conflicted with another; try again.".into())
            }
            Error::DatabaseError(Kind::Unknown, info) if is_transient(info.message()) => {
                Self::Unavailable("The database could not answer in time; try again.".into())
            }
            _ => Self::Internal(anyhow::Error::new(err).context("database query failed")),
        }
    }
}

impl From<crate::db::search::SearchError> for ApiError {
    fn from(err: crate::db::search::SearchError) -> Self {
        match err {
            crate::db::search::SearchError::Pool(e) => e.into(),
            crate::db::search::SearchError::Query(e) => e.into(),
        }
    }
}

/// Whether a database error goes away on retry: the connection was lost or closed, the
/// transaction lost a serialization conflict, or the server gave up on the statement (the same
/// cases that answer 503 above).
pub fn is_retryable(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as Kind, Error};
    match err {
        Error::DatabaseError(
            Kind::UnableToSendCommand | Kind::ClosedConnection | Kind::SerializationFailure,
            _,
        ) => true,
        Error::DatabaseError(Kind::Unknown, info) => is_transient(info.message()),
        _ => false,
    }
}

/// Server messages of errors that go away on retry: statement timeout, shutdown, deadlock.
fn is_transient(message: &str) -> bool {
    [
        "canceling statement",
        "terminating connection",
        "deadlock detected",
    ]
    .iter()
    .any(|m| message.starts_with(m))
}

impl From<crate::db::PoolError> for ApiError {
    fn from(err: crate::db::PoolError) -> Self {
        use diesel_async::pooled_connection::deadpool::PoolError;
        match err {
            PoolError::Timeout(_) => {
                Self::Unavailable("No database connection was available in time.".into())
            }
            PoolError::Backend(_) | PoolError::Closed | PoolError::PostCreateHook(_) => {
                tracing::warn!(error = %err, "could not get a database connection");
                Self::Unavailable("The database is unreachable; try again shortly.".into())
            }
            PoolError::NoRuntimeSpecified => {
                Self::Internal(anyhow::Error::new(err).context("pool misconfigured"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_cause() {
        let err = ApiError::Internal(anyhow::anyhow!("relation \"x\" does not exist"));
        let body = String::from_utf8(err.problem().to_body()).unwrap();
        assert!(!body.contains("relation"));
        assert!(body.contains("\"status\":500"));
    }

    #[test]
    fn one_field_error_is_named_in_the_detail() {
        let err = ApiError::unprocessable(vec![FieldError::new("name", "required", "is required")]);
        assert_eq!(err.problem().detail, "Invalid `name`: is required");
        assert_eq!(err.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
