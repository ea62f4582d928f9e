//! Query, path and header parameters by name: the formats `http::etag`, `http::idempotency`,
//! `http::pagination` and the search filters read, written into every operation that takes them.

use serde_json::{Value, json};

use super::closed::{COUNTRY, SCHEME, SUBDIVISION, reference};
use crate::domain::{capability, text};

/// `If-Match` where it may be left out: empty too (`http::etag`: an empty value is no header).
const OPTIONAL_IF_MATCH: &str = r#"^(|\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)$"#;

/// Parameters by name (and, for a name that means different things, by path): the formats
/// `http::etag`, `http::idempotency`, `http::pagination` and the search filters read.
fn parameter_rules() -> Vec<(Option<&'static str>, &'static str, Value)> {
    let codes = json!({ "type": "string", "pattern": capability::PATTERN, "maxLength": capability::MAX_LEN });
    vec![
        // `*`, or a list of entity tags (`http::etag::IfMatch`); one that does not parse matches
        // nothing (412).
        (
            None,
            "If-Match",
            json!({ "type": "string", "pattern": r#"^(\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)$"#, "example": "\"3\"" }),
        ),
        (
            None,
            "Idempotency-Key",
            json!({ "type": "string", "pattern": "^[\\x21-\\x7E]{1,255}$" }),
        ),
        // `payload.mac`, both unpadded base64url (`http::pagination::encode_cursor`); the events
        // feed's cursor is an event id and keeps its own.
        (
            None,
            "cursor",
            json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{22}$" }),
        ),
        // The matcher's answers are short (`routes::suppliers::matching`).
        (
            Some("/v1/suppliers/match"),
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 20, "default": 5 }),
        ),
        (
            Some("/v1/suppliers/{id}/duplicates"),
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 20, "default": 5 }),
        ),
        (
            None,
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 100, "default": 20 }),
        ),
        // The search filters (`routes::suppliers::search::params`).
        (
            None,
            "q",
            json!({ "type": "string", "maxLength": 200, "pattern": text::text_pattern() }),
        ),
        (None, "code", codes.clone()),
        // The ladder takes one capability; the search filters any of several.
        (Some("/v1/stats/ladder"), "capability", codes.clone()),
        (
            None,
            "capability",
            json!({ "type": "array", "items": codes }),
        ),
        (None, "country", reference(COUNTRY)),
        // `<system>:<value>` (`routes::suppliers::search::params`); the value's format is its
        // system's (`GET /v1/identifier-systems`).
        (
            None,
            "external_ref",
            json!({ "type": "array", "items": { "type": "string", "maxLength": 241,
                    "pattern": "^[a-z0-9_]{1,40}:[^\\x00-\\x1f\\x7f-\\x9f]{1,200}$" } }),
        ),
        (
            None,
            "tax_id",
            json!({ "type": "string", "minLength": 1, "maxLength": 40 }),
        ),
        (
            None,
            "subdivision",
            json!({ "type": "string", "pattern": SUBDIVISION }),
        ),
        (
            None,
            "certification",
            json!({ "type": "string", "pattern": SCHEME }),
        ),
        (
            Some("/v1/webhooks/{id}/deliveries"),
            "status",
            json!({ "type": "string", "enum": ["pending", "delivered", "failed"] }),
        ),
    ]
}

/// Applies [`parameter_rules`] to every operation's parameters, keeping each one's description
/// and example (the events feed keeps its own `cursor`, an id).
pub(super) fn constrain_parameters(doc: &mut Value) {
    let rules = parameter_rules();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for param in params {
                let name = param["name"].as_str().unwrap_or_default().to_owned();
                if name == "cursor" && path == "/v1/events" {
                    continue;
                }
                let rule = rules
                    .iter()
                    .find(|(p, n, _)| *n == name && p.is_none_or(|p| p == path));
                if let Some((_, _, schema)) = rule {
                    param["schema"] = schema.clone();
                }
                // Where `If-Match` is optional (the transitions), an empty one is no header.
                if name == "If-Match" && param["required"] != Value::Bool(true) {
                    param["schema"]["pattern"] = json!(OPTIONAL_IF_MATCH);
                }
                // A comma list names at least one value (`status=` is 400).
                if ["status", "size_class"].contains(&name.as_str())
                    && param["schema"]["type"] == "array"
                {
                    param["schema"]["minItems"] = json!(1);
                }
            }
        }
    }
}
