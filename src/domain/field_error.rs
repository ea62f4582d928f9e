//! One rule broken by one field or parameter: what every check in `domain/` reports, and what a
//! problem body lists in `errors` (`error.rs` turns a list of them into a 422 or 400).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One rule broken by one field or parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Where the problem is: a JSON path into the body (`contacts[0].email`), or a query
    /// parameter's name.
    #[schema(example = "contacts[0].email")]
    pub field: String,
    /// A stable, machine-readable code for the rule (`required`, `unknown_field`, `invalid_type`, …).
    #[schema(example = "email")]
    pub code: String,
    /// A sentence for people.
    #[schema(example = "not a valid e-mail address")]
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }

    /// serde's messages are "unknown field `x`, expected …", "missing field `x`", "invalid type: …",
    /// each followed by " at line L column C".
    pub fn from_serde(path: &str, err: &serde_json::Error) -> Self {
        let full = err.to_string();
        let message = full
            .rfind(" at line ")
            .map_or(full.as_str(), |at| &full[..at]);
        let base = if path == "." { "" } else { path };
        let join = |name: &str| {
            if base.is_empty() || base == name || base.ends_with(&format!(".{name}")) {
                if base.is_empty() {
                    name.to_owned()
                } else {
                    base.to_owned()
                }
            } else {
                format!("{base}.{name}")
            }
        };
        let quoted = |m: &str| m.split('`').nth(1).map(str::to_owned);
        if let Some(name) = message.strip_prefix("unknown field ").and_then(quoted) {
            return Self::new(
                join(&name),
                "unknown_field",
                "is not a field of this resource (or is set by the server)",
            );
        }
        if let Some(name) = message.strip_prefix("missing field ").and_then(quoted) {
            return Self::new(join(&name), "required", "is required");
        }
        let field = if base.is_empty() { "body" } else { base };
        let code = if message.starts_with("invalid type") {
            "invalid_type"
        } else {
            "invalid"
        };
        Self::new(field, code, message)
    }
}
