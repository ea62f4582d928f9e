//! Retiring an operation inside `/v1` (the versioning policy in the README). An operation that
//! the document marks `deprecated: true` answers with `Deprecation` (RFC 9745: the time it was
//! deprecated, `@<unix seconds>`), `Sunset` (RFC 8594: the HTTP date after which it may stop
//! answering, from the operation's `x-sunset`) and `Link: <successor>; rel="successor-version"`
//! (from `x-successor`), so that clients and gateways see a retirement coming in every answer.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ResourceDef, ServiceRequest, ServiceResponse},
    http::{
        Method,
        header::{HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// What a deprecated operation says about its retirement.
#[derive(Debug, Clone, PartialEq)]
pub struct Retirement {
    pub deprecated_since: DateTime<Utc>,
    pub sunset: Option<DateTime<Utc>>,
    pub successor: Option<String>,
}

impl Retirement {
    fn headers(&self) -> Vec<(HeaderName, String)> {
        let mut headers = vec![(
            HeaderName::from_static("deprecation"),
            format!("@{}", self.deprecated_since.timestamp()),
        )];
        if let Some(sunset) = self.sunset {
            headers.push((
                HeaderName::from_static("sunset"),
                sunset.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ));
        }
        if let Some(successor) = &self.successor {
            headers.push((
                HeaderName::from_static("link"),
                format!("<{successor}>; rel=\"successor-version\""),
            ));
        }
        headers
    }
}

/// The deprecated operations of a document, by method and path template.
#[derive(Default)]
pub struct Retirements(Vec<(Method, ResourceDef, Retirement)>);

impl Retirements {
    /// Reads every operation with `deprecated: true` and an `x-deprecated-since` RFC 3339 time;
    /// `x-sunset` (RFC 3339) and `x-successor` (a path or URL) are optional.
    pub fn from_document(doc: &Value) -> Self {
        let time = |v: &Value| {
            v.as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let mut all = Vec::new();
        let paths = doc.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                    continue;
                };
                if op.get("deprecated") != Some(&Value::Bool(true)) {
                    continue;
                }
                let Some(deprecated_since) = op.get("x-deprecated-since").and_then(time) else {
                    continue;
                };
                let retirement = Retirement {
                    deprecated_since,
                    sunset: op.get("x-sunset").and_then(time),
                    successor: op
                        .get("x-successor")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                };
                all.push((method, ResourceDef::new(path.as_str()), retirement));
            }
        }
        Self(all)
    }

    pub fn find(&self, method: &Method, path: &str) -> Option<&Retirement> {
        self.0
            .iter()
            .find(|(m, def, _)| m == method && def.is_match(path))
            .map(|(_, _, r)| r)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Adds the retirement headers to the answers of deprecated operations.
pub async fn mark(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let found = req
        .app_data::<web::Data<Retirements>>()
        .and_then(|all| all.find(req.method(), req.path()).cloned());
    let mut res = next.call(req).await?;
    for (name, value) in found.iter().flat_map(Retirement::headers) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, value);
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, middleware::from_fn, test as http};
    use serde_json::json;

    use super::*;

    fn document() -> Value {
        json!({ "paths": {
            "/v1/old/{id}": {
                "get": {
                    "deprecated": true,
                    "x-deprecated-since": "2026-12-01T00:00:00Z",
                    "x-sunset": "2027-06-30T00:00:00Z",
                    "x-successor": "/v1/new/{id}"
                },
                "post": { "deprecated": false }
            },
            "/v1/new/{id}": { "get": {} }
        }})
    }

    #[test]
    fn only_deprecated_operations_with_a_date_are_read() {
        let all = Retirements::from_document(&document());
        assert!(all.find(&Method::GET, "/v1/old/42").is_some());
        assert!(all.find(&Method::POST, "/v1/old/42").is_none());
        assert!(all.find(&Method::GET, "/v1/new/42").is_none());
        // The service's own document retires nothing today.
        assert!(Retirements::from_document(&crate::openapi::document()).is_empty());
    }

    #[actix_web::test]
    async fn a_deprecated_operation_answers_with_deprecation_sunset_and_successor() {
        let app = http::init_service(
            App::new()
                .app_data(web::Data::new(Retirements::from_document(&document())))
                .wrap(from_fn(mark))
                .route("/v1/old/{id}", web::get().to(HttpResponse::Ok))
                .route("/v1/new/{id}", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let old =
            http::call_service(&app, http::TestRequest::get().uri("/v1/old/7").to_request()).await;
        let header = |name: &str| {
            old.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("deprecation").as_deref(), Some("@1796083200"));
        assert_eq!(
            header("sunset").as_deref(),
            Some("Wed, 30 Jun 2027 00:00:00 GMT")
        );
        assert_eq!(
            header("link").as_deref(),
            Some("</v1/new/{id}>; rel=\"successor-version\"")
        );
        let new =
            http::call_service(&app, http::TestRequest::get().uri("/v1/new/7").to_request()).await;
        assert!(new.headers().get("deprecation").is_none());
    }
}
