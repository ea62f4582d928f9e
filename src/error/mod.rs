//! The one error type of the HTTP layer, [`ApiError`], and how diesel and pool errors become it.
//!
//! Which error type goes where:
//! - handlers and extractors return [`ApiError`]; `?` converts diesel and pool errors into it;
//! - code in `db/` returns `diesel::QueryResult`;
//! - the CLI, start-up and background workers use `anyhow::Result` with `.context("…")`.
//!
//! Every error response is `application/problem+json` ([`Problem`], built in `problem.rs`; the
//! response of each error is in `response.rs`). `http::observe` fills in `instance` and
//! `request_id`, logs the cause of every 5xx, and turns any error response that did not come from
//! here (actix's own) into a problem too. A 5xx body never carries the cause.

mod problem;
mod response;

use actix_web::http::Method;

pub use crate::domain::FieldError;
pub use problem::{PROBLEM_JSON, Problem, problem_type};

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
    /// The error of a computation that requests waited on together (a kept answer's), for one of
    /// them: the error itself when this request is the last to hold it, else the same answer
    /// (503 stays 503) with the cause left to the request that logs it.
    pub fn from_shared(err: std::sync::Arc<ApiError>) -> Self {
        std::sync::Arc::try_unwrap(err).unwrap_or_else(|shared| match &*shared {
            ApiError::Unavailable(detail) => ApiError::Unavailable(detail.clone()),
            other => ApiError::Internal(anyhow::anyhow!("a shared computation failed: {other}")),
        })
    }

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
