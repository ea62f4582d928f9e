//! Two middlewares around every request. [`check_input`] refuses a path or query string holding a
//! control character (400 naming the parameter, before any handler or stream starts); [`secure`]
//! adds the security headers: `X-Content-Type-Options: nosniff` on every response,
//! `Cache-Control: no-store` on every authenticated or token response that set no caching of its
//! own, and a Content-Security-Policy on the Swagger UI pages under `/docs`.

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
};
use percent_encoding::percent_decode_str;

use crate::{domain::text, error::ApiError};

/// The Swagger UI is served from the binary and loads only its own scripts, styles and images
/// (`data:` ones from its stylesheet); it fetches `/openapi.json` and "try it out" calls same-origin.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// 400 for a control character in the path (`path`) or in a query parameter (named by its key).
/// The token endpoints (`/v1/auth/*`) answer in their own format and check their own input.
pub async fn check_input(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    if req.path().starts_with("/v1/auth/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    match refused(req.path(), req.query_string()) {
        // Carrying the error, as a handler's would, for `observe` to make it a full problem.
        Some(error) => Ok(req.error_response(error).map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// The first control character in the decoded path or query, as the error that names it.
fn refused(path: &str, query: &str) -> Option<ApiError> {
    let bad = |field: &str| {
        ApiError::bad_request(
            field,
            "control_character",
            "must not contain a NUL or another control character",
        )
    };
    if text::has_control(&percent_decode_str(path).decode_utf8_lossy()) {
        return Some(bad("path"));
    }
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, value)| text::has_control(key) || text::has_control(value))
        .map(|(key, _)| bad(&text::join("", &key)))
}

/// Adds the security headers to every response.
pub async fn secure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let private = req.headers().contains_key(header::AUTHORIZATION)
        || req.path().starts_with("/v1/auth/token");
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if private && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if docs {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(path: &str, query: &str) -> Option<String> {
        refused(path, query).map(|e| e.problem().errors[0].field.clone())
    }

    #[test]
    fn controls_in_the_path_or_query_are_named() {
        assert_eq!(field("/v1/suppliers", "q=abc&limit=5"), None);
        assert_eq!(field("/v1/suppliers", "q=a%09b"), None);
        assert_eq!(field("/v1/suppliers", "q=%00"), Some("q".into()));
        assert_eq!(
            field("/v1/suppliers", "limit=1&country=%1b"),
            Some("country".into())
        );
        assert_eq!(field("/v1/suppliers/a%00b", ""), Some("path".into()));
        assert_eq!(field("/v1/suppliers", "a%00=1"), Some("a\\u0000".into()));
    }
}
