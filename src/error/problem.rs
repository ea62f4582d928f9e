//! [`Problem`]: the RFC 9457 body of every error response, and the stable `type` of each kind.

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::FieldError;

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

    pub(super) fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
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
