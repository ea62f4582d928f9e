//! What the identity operations enforce beyond their annotations: the formats of the identifier
//! systems on `ExternalRef` (`domain::identifier`), the text rules of a match request and of a
//! reconciliation query, and the size of a reconciliation batch.

use serde_json::{Value, json};

use super::closed::{COUNTRY, SUBDIVISION};
use crate::domain::{identifier, text};

pub(super) fn constrain(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    // Each formatted system's value as written (the check digits are checked beyond it).
    if let Some(r) = schemas.get_mut("ExternalRef") {
        let formats: Vec<Value> = identifier::input_patterns()
            .into_iter()
            .map(|(system, pattern)| {
                json!({ "if": { "properties": { "system": { "const": system } }, "required": ["system"] },
                        "then": { "properties": { "value": { "pattern": pattern } } } })
            })
            .collect();
        r["allOf"] = Value::Array(formats);
        r["description"] = json!(
            "An identifier of the supplier in another system. The systems of \
             `GET /v1/identifier-systems` have a checked format (values are stored normalised: \
             upper case, without spaces, `-` or `.`; LEI check digits, and the tax-id systems \
             as `tax_id` is checked); `(system, value)` is unique among suppliers that are not \
             archived."
        );
    }
    let text = json!({ "type": "string", "pattern": text::text_pattern() });
    if let Some(m) = schemas.get_mut("MatchRequest") {
        for field in ["legal_name", "city", "address", "website", "tax_id"] {
            if let Some(p) = m["properties"].get_mut(field) {
                p["pattern"] = text["pattern"].clone();
                p["minLength"] = json!(1);
            }
        }
        m["properties"]["country"] = json!({ "$ref": format!("#/components/schemas/{COUNTRY}") });
        m["properties"]["subdivision"] = json!({ "type": "string", "pattern": SUBDIVISION });
    }
    if let Some(q) = schemas.get_mut("ReconQuery") {
        q["properties"]["query"]["pattern"] = text["pattern"].clone();
        q["properties"]["type_strict"]["pattern"] = json!(text::plain_pattern());
        q["properties"]["type"] = json!({
            "description": "`supplier` (the only type), or a list of type ids holding it.",
            "oneOf": [
                { "type": "string", "const": "supplier" },
                { "type": "array", "items": { "type": "string", "pattern": text::plain_pattern() }, "minItems": 1, "contains": { "const": "supplier" } },
                { "type": "null" }
            ]
        });
    }
    if let Some(p) = schemas.get_mut("QueryProperty") {
        let value = json!({ "type": "string", "minLength": 1, "maxLength": 300, "pattern": text::text_pattern() });
        // Any other string of the body: no control character (the body reader refuses one).
        let plain = json!({ "type": "string", "pattern": text::plain_pattern() });
        p["properties"]["v"] = json!({
            "description": "The value: a string or a number, a list of strings (its first is \
                            taken), or an entity `{ \"id\" }`.",
            "oneOf": [
                value,
                { "type": "number" },
                { "type": "array", "prefixItems": [value], "items": plain, "minItems": 1 },
                { "type": "object", "properties": { "id": value, "name": plain },
                  "required": ["id"], "additionalProperties": false }
            ],
            "example": "MX"
        });
    }
    if let Some(b) = schemas.get_mut("ReconBatch") {
        b["minProperties"] = json!(1);
        b["maxProperties"] = json!(50);
        // Query keys hold no control character (the body reader refuses one anywhere).
        b["propertyNames"] = json!({ "type": "string", "pattern": text::plain_pattern() });
    }
}
