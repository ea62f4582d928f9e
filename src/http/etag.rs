//! Strong ETags from a row's `version`, and the `If-Match` precondition: required on PATCH and
//! DELETE (428 without it), checked where sent (412 when stale). Parsing is actix's
//! [`header::IfMatch`]; comparison is strong ([`EntityTag::strong_eq`]), so weak tags never match.

use actix_web::{
    FromRequest, HttpRequest,
    dev::Payload,
    http::header::{self, EntityTag, Header},
};

use crate::error::ApiError;

/// The ETag of a version: `"3"`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// A sent `If-Match` header: `*` or a list of entity tags; `None` inside when it does not parse
/// (400 when checked).
#[derive(Debug, Clone)]
pub struct IfMatch(Option<header::IfMatch>);

impl IfMatch {
    /// The request's `If-Match`; `None` when it is absent or empty.
    fn of(req: &HttpRequest) -> Option<Self> {
        // An empty value is read as no header (some clients send `If-Match:` for "none"); one
        // that is not visible ASCII is malformed.
        let Ok(raw) = req.headers().get(header::IF_MATCH)?.to_str() else {
            return Some(Self(None));
        };
        if raw.trim().is_empty() {
            return None;
        }
        // actix skips the items it cannot read: a header with none left is malformed.
        let parsed = header::IfMatch::parse(req)
            .ok()
            .filter(|m| !matches!(m, header::IfMatch::Items(tags) if tags.is_empty()));
        Some(Self(parsed))
    }

    /// Whether the resource at `version` matches.
    pub fn matches(&self, version: i32) -> bool {
        match &self.0 {
            None => false,
            Some(header::IfMatch::Any) => true,
            Some(header::IfMatch::Items(tags)) => {
                let current = EntityTag::new_strong(version.to_string());
                tags.iter().any(|tag| tag.strong_eq(&current))
            }
        }
    }

    /// 400 when the header is not `*` or a list of entity tags; 412 unless `version` matches.
    pub fn check(&self, version: i32) -> Result<(), ApiError> {
        if self.0.is_none() {
            return Err(ApiError::bad_request(
                "If-Match",
                "invalid",
                "must be `*` or a list of entity tags, like \"3\"",
            ));
        }
        if self.matches(version) {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed)
        }
    }
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
        std::future::ready(Ok(Self(IfMatch::of(req))))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn if_match(value: &str) -> Option<IfMatch> {
        IfMatch::of(
            &TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request(),
        )
    }

    fn matches(value: &str, version: i32) -> bool {
        if_match(value).is_some_and(|m| m.matches(version))
    }

    #[test]
    fn if_match_compares_strong_tags() {
        assert!(matches("\"3\"", 3));
        assert!(matches("\"2\", \"3\"", 3));
        assert!(matches("\"2\",\"3\"", 3));
        assert!(!matches("W/\"3\"", 3));
        assert!(!matches("\"4\"", 3));
        assert!(matches("*", 9));
        assert!(matches(" * ", 9));
    }

    #[test]
    fn a_malformed_if_match_is_sent_but_matches_nothing() {
        assert!(if_match("3").is_some());
        assert!(!matches("3", 3));
        assert!(!matches("", 3));
        assert!(!matches("\"3\" junk", 3));
    }

    #[test]
    fn no_if_match_is_none() {
        assert!(IfMatch::of(&TestRequest::default().to_http_request()).is_none());
    }
}
