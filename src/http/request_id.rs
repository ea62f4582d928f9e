//! The request id: taken from the client's `X-Request-Id` when it is a sensible token, generated
//! (UUIDv7) otherwise. It is echoed on every response, written on every log line of the request,
//! and put in every problem body.

use std::fmt;

use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    dev::Payload,
    http::header::{HeaderMap, HeaderName, HeaderValue},
};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied id we echo; a longer one is replaced by a generated id.
const MAX_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The client's id, when it is 1–128 characters of letters, digits and `-_.:/+=`.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let raw = headers.get(X_REQUEST_ID)?.to_str().ok()?.trim();
        let acceptable = !raw.is_empty()
            && raw.len() <= MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b));
        acceptable.then(|| Self(raw.to_owned()))
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn header_value(&self) -> HeaderValue {
        // Only visible ASCII gets here (checked above, or a UUID).
        HeaderValue::from_str(&self.0).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Handlers may take the request id as an argument (for audit entries).
impl FromRequest for RequestId {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::generate);
        std::future::ready(Ok(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(X_REQUEST_ID, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn sensible_client_ids_are_kept() {
        let id = RequestId::from_headers(&headers("abc-123_x.y:z")).unwrap();
        assert_eq!(id.as_str(), "abc-123_x.y:z");
    }

    #[test]
    fn odd_or_long_client_ids_are_replaced() {
        assert!(RequestId::from_headers(&headers("a b")).is_none());
        assert!(RequestId::from_headers(&headers("<script>")).is_none());
        assert!(RequestId::from_headers(&headers(&"a".repeat(129))).is_none());
        assert!(RequestId::from_headers(&HeaderMap::new()).is_none());
    }
}
