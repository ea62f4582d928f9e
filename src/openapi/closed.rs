//! What the service enforces on fields that Rust holds as plain strings (closed sets kept by a
//! check constraint, codes, text rules), written into the document so that it says everything
//! the service checks. Each rule names its source.

use serde_json::{Map, Value, json};

use crate::domain::{capability, text};

/// How a property is constrained.
enum Rule {
    /// One of these values (a closed set; clients must tolerate new values in responses).
    OneOf(&'static [&'static str]),
    /// Always this value.
    Always(&'static str),
    /// A regular expression (ECMA-262), anchored.
    Pattern(String),
    /// A regular expression for each item of an array.
    ItemsPattern(String),
    /// A named component instead of a plain string.
    Named(&'static str),
    /// An array whose items are a named component.
    ItemsNamed(&'static str),
    /// At most this many characters.
    MaxLen(usize),
    /// No item twice.
    Unique,
    /// `null` is not accepted (form fields, which have no `null`).
    NotNull,
    /// The property must be present.
    Required,
    /// `null` is accepted too (a merge patch clears the field with it).
    Nullable,
}

use Rule::*;

/// ISO 3166-1 alpha-2, upper case (`domain::codes::is_country`): its own component.
pub(super) const COUNTRY: &str = "CountryCode";
/// `^[A-Z]{2}-[A-Z0-9]{1,3}$`: the `subdivisions.code` check; the code must exist and lie in the
/// supplier's country, which a schema cannot say.
pub(super) const SUBDIVISION: &str = "^[A-Z]{2}-[A-Z0-9]{1,3}$";
/// The certification scheme code's check (`certification_schemes.code`).
pub(super) const SCHEME: &str = "^[a-z0-9_]{1,60}$";
/// Industry codes: their digits, dots aside (`routes::capabilities::admin::IndustryCodes`).
const NAICS: &str = r"^\.*(?:[0-9]\.*){6}$";
const UNSPSC: &str = r"^\.*(?:[0-9]\.*){8}$";
const HS: &str = r"^\.*(?:[0-9]\.*){4}(?:(?:[0-9]\.*){2})?$";
/// An e-mail address as `validator`'s `validate_email` takes it (its IP-literal domains aside).
const EMAIL: &str = r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$";
/// An http(s) URL (`domain::supplier::rules::is_http_url`, `domain::webhook`).
const HTTP_URL: &str = r"^[hH][tT][tT][pP][sS]?://[^\s/?#]+[^\s]*$";

fn rules() -> Vec<(&'static str, &'static str, Rule)> {
    let name = text::name_pattern;
    let text = text::text_pattern;
    vec![
        // Server-owned closed sets (check constraints of the migrations).
        ("ActorView", "kind", OneOf(&["user", "client", "system"])),
        (
            "CertificationView",
            "status",
            OneOf(&["valid", "expiring", "expired"]),
        ),
        (
            "Delivery",
            "status",
            OneOf(&["pending", "delivered", "failed"]),
        ),
        (
            "DeliveryAttempt",
            "outcome",
            OneOf(&[
                "success",
                "http_status",
                "gone",
                "timeout",
                "connect",
                "refused_address",
                "error",
            ]),
        ),
        (
            "HistoryEntry",
            "action",
            OneOf(&[
                "create",
                "update",
                "submit",
                "verify",
                "reject",
                "suspend",
                "reinstate",
                "archive",
                "add_owner",
                "remove_owner",
                "certificates_expiry",
                "merge",
            ]),
        ),
        ("ImportJob", "format", OneOf(&["csv", "ndjson"])),
        (
            "ImportJob",
            "status",
            OneOf(&["queued", "running", "completed", "failed"]),
        ),
        ("Jwk", "alg", Always("EdDSA")),
        ("Jwk", "crv", Always("Ed25519")),
        ("Jwk", "kty", Always("OKP")),
        ("Jwk", "use", Always("sig")),
        (
            "OAuthError",
            "error",
            OneOf(&[
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unsupported_grant_type",
                "invalid_scope",
                "temporarily_unavailable",
                "server_error",
            ]),
        ),
        (
            "SizeRuleResponse",
            "method",
            OneOf(&[
                "mx_combined_score",
                "sales_bands",
                "employee_and_sales_bands",
                "employee_bands",
            ]),
        ),
        ("StatusResponse", "status", OneOf(&["ok", "ready"])),
        ("TokenResponse", "token_type", Always("Bearer")),
        (
            "Webhook",
            "status",
            OneOf(&["active", "failing", "disabled"]),
        ),
        // Form bodies (RFC 6749, RFC 7009): fields are absent or text, never null.
        // `token_type_hint` stays open: RFC 7009 servers ignore a hint they do not know.
        ("RevokeRequest", "token", Required),
        (
            "TokenRequest",
            "grant_type",
            OneOf(&["client_credentials", "password", "refresh_token"]),
        ),
        ("TokenRequest", "grant_type", Required),
        // Codes, wherever a client sends or reads them.
        ("SupplierInput", "country", Named(COUNTRY)),
        ("SupplierDocument", "country", Named(COUNTRY)),
        ("SupplierInput", "subdivision", Pattern(SUBDIVISION.into())),
        (
            "SupplierInput",
            "website",
            Pattern(text::http_url_pattern()),
        ),
        ("SupplierInput", "website", MaxLen(2048)),
        ("CreateWebhookRequest", "url", Pattern(HTTP_URL.into())),
        (
            "CapabilityInput",
            "code",
            Pattern(capability::PATTERN.into()),
        ),
        ("CapabilityInput", "code", MaxLen(capability::MAX_LEN)),
        (
            "CreateCapabilityRequest",
            "code",
            Pattern(capability::PATTERN.into()),
        ),
        (
            "CreateCapabilityRequest",
            "code",
            MaxLen(capability::MAX_LEN),
        ),
        ("CertificationInput", "scheme", Pattern(SCHEME.into())),
        ("CreateUserRequest", "countries", ItemsNamed(COUNTRY)),
        ("UpdateUserRequest", "countries", ItemsNamed(COUNTRY)),
        ("CreateClientRequest", "countries", ItemsNamed(COUNTRY)),
        ("UpdateClientRequest", "countries", ItemsNamed(COUNTRY)),
        (
            "CreateCapabilityRequest",
            "naics",
            ItemsPattern(NAICS.into()),
        ),
        (
            "CreateCapabilityRequest",
            "unspsc",
            ItemsPattern(UNSPSC.into()),
        ),
        ("CreateCapabilityRequest", "hs", ItemsPattern(HS.into())),
        (
            "UpdateCapabilityRequest",
            "naics",
            ItemsPattern(NAICS.into()),
        ),
        (
            "UpdateCapabilityRequest",
            "unspsc",
            ItemsPattern(UNSPSC.into()),
        ),
        ("UpdateCapabilityRequest", "hs", ItemsPattern(HS.into())),
        ("UpdateCapabilityRequest", "naics", Nullable),
        ("UpdateCapabilityRequest", "unspsc", Nullable),
        ("UpdateCapabilityRequest", "hs", Nullable),
        // Text rules (`domain::text`): names, and free text that must not be blank.
        ("SupplierInput", "legal_name", Pattern(name())),
        ("SupplierInput", "trade_name", Pattern(name())),
        (
            "CreateUserRequest",
            "name",
            Pattern(text::strict_name_pattern()),
        ),
        (
            "UpdateUserRequest",
            "name",
            Pattern(text::strict_name_pattern()),
        ),
        (
            "CreateClientRequest",
            "name",
            Pattern(text::strict_name_pattern()),
        ),
        (
            "UpdateClientRequest",
            "name",
            Pattern(text::strict_name_pattern()),
        ),
        ("Labels", "en", Pattern(text::strict_name_pattern())),
        ("Labels", "es", Pattern(text::strict_name_pattern())),
        ("SupplierInput", "city", Pattern(text())),
        ("SupplierInput", "address", Pattern(text())),
        ("Contact", "name", Pattern(text())),
        ("Contact", "role", Pattern(text())),
        ("CertificationInput", "number", Pattern(text())),
        ("CertificationInput", "issuer", Pattern(text())),
        ("CapabilityInput", "details", Pattern(text())),
        ("ExternalRef", "value", Pattern(text())),
        ("ReasonRequest", "reason", Pattern(text())),
        ("CreateUserRequest", "email", Pattern(EMAIL.into())),
        ("Contact", "email", Pattern(EMAIL.into())),
        ("Contact", "email", MaxLen(254)),
        ("RevokeRequest", "token", Pattern("^[\\x21-\\x7E]+$".into())),
        (
            "CreateUserRequest",
            "password",
            Pattern(text::plain_pattern()),
        ),
        ("CreateUserRequest", "countries", Unique),
        ("UpdateUserRequest", "countries", Unique),
        ("CreateClientRequest", "countries", Unique),
        ("UpdateClientRequest", "countries", Unique),
    ]
}

/// Applies every rule, and adds the `CountryCode` component.
pub(super) fn constrain(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    schemas.insert(
        COUNTRY.to_owned(),
        json!({
            "type": "string",
            "description": "An assigned ISO 3166-1 alpha-2 country code, upper case.",
            "enum": rust_iso3166::ALL_ALPHA2,
            "example": "MX",
        }),
    );
    // Parameter names hold no control character (the body reader refuses one anywhere).
    if let Some(params) = schemas.get_mut("CapabilityParameters") {
        let plain = json!({ "type": "string", "pattern": text::plain_pattern() });
        let scalar =
            json!([plain, { "type": "number" }, { "type": "boolean" }, { "type": "null" }]);
        let mut value = scalar.clone();
        if let Value::Array(choices) = &mut value {
            choices.push(json!({ "type": "array", "items": { "anyOf": scalar } }));
        }
        params["propertyNames"] = plain;
        params["additionalProperties"] = json!({ "anyOf": value });
    }
    for form in ["TokenRequest", "RevokeRequest"] {
        if let Some(props) = schemas
            .get_mut(form)
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            props.values_mut().for_each(|p| apply(p, NotNull));
        }
    }
    for (schema, property, rule) in rules() {
        let Some(schema) = schemas.get_mut(schema) else {
            continue;
        };
        if let Required = rule {
            let required = schema
                .as_object_mut()
                .map(|o| o.entry("required").or_insert_with(|| json!([])));
            if let Some(Value::Array(list)) = required
                && !list.contains(&json!(property))
            {
                list.push(json!(property));
            }
        } else if let Some(prop) = schema.pointer_mut(&format!("/properties/{property}")) {
            apply(prop, rule);
        }
    }
}

fn nullable(prop: &Value) -> bool {
    match prop.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    }
}

pub(super) fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn apply(prop: &mut Value, rule: Rule) {
    let null = nullable(prop);
    match rule {
        OneOf(values) if null => {
            // A nullable closed set: the set, or null (one named choice for generators).
            let mut set = prop.clone();
            set["type"] = json!("string");
            set["enum"] = json!(values);
            if let Some(o) = set.as_object_mut() {
                o.remove("description");
            }
            let mut named = Map::new();
            if let Some(d) = prop.get("description") {
                named.insert("description".into(), d.clone());
            }
            named.insert("oneOf".into(), json!([set, { "type": "null" }]));
            *prop = Value::Object(named);
        }
        OneOf(values) => prop["enum"] = json!(values),
        Always(value) => prop["const"] = json!(value),
        MaxLen(n) => prop["maxLength"] = json!(n),
        Pattern(p) => prop["pattern"] = json!(p),
        ItemsPattern(p) => {
            if let Some(items) = prop.get_mut("items") {
                items["pattern"] = json!(p);
            }
        }
        Named(name) => {
            let mut named = Map::new();
            if let Some(d) = prop.get("description") {
                named.insert("description".into(), d.clone());
            }
            if null {
                named.insert("oneOf".into(), json!([reference(name), { "type": "null" }]));
            } else {
                named.insert("$ref".into(), json!(format!("#/components/schemas/{name}")));
            }
            *prop = Value::Object(named);
        }
        ItemsNamed(name) => prop["items"] = reference(name),
        NotNull => {
            if let Some(Value::Array(types)) = prop.get("type").cloned() {
                let kept: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
                prop["type"] = match kept.as_slice() {
                    [one] => one.clone(),
                    _ => Value::Array(kept),
                };
            }
        }
        Required => {}
        Unique => prop["uniqueItems"] = json!(true),
        Nullable => {
            if let Some(t) = prop.get("type").cloned()
                && !null
            {
                prop["type"] = json!([t, "null"]);
            }
        }
    }
}
