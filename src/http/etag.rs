//! Strong ETags from a row's `version`, and the `If-Match` precondition: required on PATCH and
//! DELETE (428 without it), checked where sent (412 when stale).

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};

use crate::error::ApiError;

/// The ETag of a version: `"3"`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The `If-Match` header: `*` or a list of strong entity tags.
#[derive(Debug, Clone)]
pub enum IfMatch {
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    fn parse(raw: &str) -> Self {
        if raw.trim() == "*" {
            return Self::Any;
        }
        Self::Tags(raw.split(',').map(|t| t.trim().to_owned()).collect())
    }

    /// Whether the resource at `version` matches (strong comparison: weak tags never match).
    pub fn matches(&self, version: i32) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|t| *t == etag(version)),
        }
    }

    /// 412 unless `version` matches.
    pub fn check(&self, version: i32) -> Result<(), ApiError> {
        if self.matches(version) {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed)
        }
    }
}

fn header_value(req: &HttpRequest) -> Option<IfMatch> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(IfMatch::parse)
}

/// An `If-Match` read but not yet required, so that a handler can answer 401/403 before 428.
pub struct OptionalIfMatch(pub Option<IfMatch>);

impl OptionalIfMatch {
    /// 428 when the header is missing.
    pub fn required(self) -> Result<IfMatch, ApiError> {
        self.0.ok_or(ApiError::PreconditionRequired)
    }
}

impl FromRequest for OptionalIfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self(header_value(req))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_strong_tags() {
        assert!(IfMatch::parse("\"3\"").matches(3));
        assert!(IfMatch::parse("\"2\", \"3\"").matches(3));
        assert!(!IfMatch::parse("W/\"3\"").matches(3));
        assert!(!IfMatch::parse("\"4\"").matches(3));
        assert!(IfMatch::parse("*").matches(9));
    }
}
