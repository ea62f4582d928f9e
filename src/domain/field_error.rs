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
}
