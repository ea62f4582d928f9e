//! The response of each [`ApiError`]: its status, headers (`Allow`, `WWW-Authenticate`,
//! `Retry-After`) and problem body.

use actix_web::{
    HttpResponse, ResponseError,
    http::{Method, StatusCode, header},
};

use super::{
    ApiError,
    problem::{PROBLEM_JSON, Problem},
};

impl ApiError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldError;

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
