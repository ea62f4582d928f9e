//! JSON request bodies: [`JsonBody`] reads a body within `MAX_BODY_BYTES` and reports problems the
//! way the contract says — 415 for another media type, 413 for a body too large, 400 for bytes that
//! are not JSON, 422 (naming the field, as in `contacts[0].email`) for JSON that does not fit.
//! The error handlers for actix's own extractors are here too.

use actix_web::{
    FromRequest, HttpRequest,
    dev::Payload,
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::header::CONTENT_LENGTH,
    web,
};
use futures_util::{StreamExt, future::LocalBoxFuture};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::{ApiError, FieldError};

mod scan;

/// The body limit, set once as app data from `Config::max_body_bytes`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body, read within `MAX_BODY_BYTES` (413 at once when larger) and parsed only
/// when the handler asks, so that authentication and authorization answer first (a caller who
/// may not do something learns that, not how its body would have been judged). Accepts
/// `application/json` and any `application/*+json` (`application/merge-patch+json` for PATCH).
pub struct JsonBody {
    bytes: web::Bytes,
    is_json: bool,
}

impl JsonBody {
    /// Whether the request had no body at all.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The body as `T`: 415 for another media type, 400 for bytes that are not JSON, 422 naming
    /// the field for JSON that does not fit.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if !self.is_json {
            return Err(ApiError::UnsupportedMediaType(UNSUPPORTED.into()));
        }
        parse(&self.bytes)
    }
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(1024 * 1024, |BodyLimit(n)| *n);
        let declared = check_declared_length(req, limit);
        let is_json = is_json(req);
        let mut payload = payload.take();
        Box::pin(async move {
            declared?;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request("body", "unreadable", format!("could not be read: {e}"))
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(JsonBody {
                bytes: body.freeze(),
                is_json,
            })
        })
    }
}

fn is_json(req: &HttpRequest) -> bool {
    use actix_web::HttpMessage;
    req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.type_() == mime::APPLICATION
            && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
    })
}

const UNSUPPORTED: &str = "The body must be JSON: send `Content-Type: application/json`.";

fn check_declared_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(ApiError::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

/// Deserializes `bytes`, turning serde's message into a field error. The body must be exactly
/// one JSON value (trailing data is 400), with no key twice in an object (400 naming it) and no
/// control character in any string or key (422 naming each, see `domain::text`).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    scan::one_value(bytes)?;
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        json_error(&path, e.inner())
    })?;
    Ok(value)
}

/// Deserializes an already-parsed JSON value; a mismatch is 422 naming the field.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::unprocessable(vec![data_error(&path, e.inner())])
    })
}

fn json_error(path: &str, err: &serde_json::Error) -> ApiError {
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request("body", "json_syntax", format!("is not valid JSON ({err})"))
        }
        Category::Data => ApiError::unprocessable(vec![data_error(path, err)]),
    }
}

fn data_error(path: &str, err: &serde_json::Error) -> FieldError {
    FieldError::from_serde(path, err)
}

/// For merge-patch fields: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
/// Use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// A merge-patch field that may be left out but not cleared: `null` is a 422 naming it.
pub fn not_null<T>(
    field: &str,
    value: Option<Option<T>>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match value {
        Some(None) => {
            errors.push(FieldError::new(field, "not_null", "cannot be null"));
            None
        }
        other => other.flatten(),
    }
}

/// For actix's `web::Json` (used by no handler of ours, but kept consistent).
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _| match err {
            JsonPayloadError::OverflowKnownLength { limit, .. }
            | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit }.into(),
            JsonPayloadError::ContentType => {
                ApiError::UnsupportedMediaType(UNSUPPORTED.into()).into()
            }
            JsonPayloadError::Deserialize(e) => json_error(".", &e).into(),
            other => ApiError::bad_request("body", "unreadable", other.to_string()).into(),
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let QueryPayloadError::Deserialize(e) = &err else {
            return ApiError::bad_request("query", "invalid", err.to_string()).into();
        };
        ApiError::bad_request("query", "invalid", e.to_string()).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| {
        let PathError::Deserialize(e) = &err else {
            return ApiError::NotFound("No resource at this address.".into()).into();
        };
        ApiError::bad_request("path", "invalid", e.to_string()).into()
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Contact {
        name: String,
        email: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        #[serde(default)]
        contacts: Vec<Contact>,
    }

    fn field_error(body: &str) -> (u16, FieldError) {
        let err = parse::<Doc>(body.as_bytes()).unwrap_err();
        let problem = err.problem();
        (problem.status, problem.errors[0].clone())
    }

    #[test]
    fn syntax_errors_are_400() {
        let (status, e) = field_error("{\"name\": ");
        assert_eq!(
            (status, e.field.as_str(), e.code.as_str()),
            (400, "body", "json_syntax")
        );
    }

    #[test]
    fn nested_fields_are_named_by_path() {
        let (status, e) = field_error(r#"{"name":"a","contacts":[{"name":"b","email":5}]}"#);
        assert_eq!(
            (status, e.field.as_str(), e.code.as_str()),
            (422, "contacts[0].email", "invalid_type")
        );
        let (_, e) = field_error(r#"{"name":"a","contacts":[{"name":"b","bogus":1}]}"#);
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("contacts[0].bogus", "unknown_field")
        );
        let (_, e) = field_error(r#"{"name":"a","contacts":[{}]}"#);
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("contacts[0].name", "required")
        );
    }

    #[test]
    fn top_level_fields_are_named() {
        let (_, e) = field_error(r#"{"nme":"a"}"#);
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("nme", "unknown_field")
        );
        let (_, e) = field_error(r#"{}"#);
        assert_eq!((e.field.as_str(), e.code.as_str()), ("name", "required"));
        let (_, e) = field_error(r#""just a string""#);
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("body", "invalid_type")
        );
    }
}
