//! A supplier as a client writes it ([`SupplierInput`], the client-owned fields of the supplier
//! document) and every rule it must meet. [`check_fields`] finds unknown and server-owned
//! fields (all of them at once, before serde stops at the first), and [`SupplierInput::check`]
//! reports every broken rule with its field path (`contacts[0].email`).

use std::collections::HashSet;

use bigdecimal::BigDecimal;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use validator::ValidateEmail;

use super::FieldError;
use super::{
    codes::is_country,
    size::Sector,
    tax_id::{self, TaxId},
};

/// A point on the map (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[schema(minimum = -90, maximum = 90, example = 21.12)]
    pub lat: f64,
    #[schema(minimum = -180, maximum = 180, example = -101.68)]
    pub lon: f64,
}

/// Annual sales: a decimal amount as a string (up to 2 decimals) in an ISO 4217 currency. It is
/// kept with two decimals: `"12.5"` reads back as `"12.50"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    #[schema(example = "38000000.00", pattern = r"^\d{1,18}(\.\d{1,2})?$")]
    pub amount: String,
    #[schema(example = "MXN", pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

/// A capability the supplier offers: a taxonomy code, with optional details and parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapabilityInput {
    #[schema(example = "atp.asm.wb")]
    pub code: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub details: Option<String>,
    /// Free-form parameters (an object), e.g. `{ "package_families": ["QFN"] }`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<Value>,
}

/// A certificate held by the supplier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationInput {
    /// A code from `GET /v1/certification-schemes`.
    #[schema(example = "iso_9001")]
    pub scheme: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub number: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub issued_on: Option<NaiveDate>,
    /// After `issued_on`.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

/// A person to contact (never shown to anonymous callers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub role: Option<String>,
    #[serde(default)]
    #[schema(format = Email)]
    pub email: Option<String>,
    /// E.164 (`+525512345678`).
    #[serde(default)]
    #[schema(pattern = r"^\+[1-9][0-9]{1,14}$")]
    pub phone: Option<String>,
}

/// An identifier of the supplier in another system (`sam_uei`, `duns`, `siem`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalRef {
    #[schema(pattern = "^[a-z0-9_]{1,40}$", example = "sam_uei")]
    pub system: String,
    #[schema(min_length = 1, max_length = 200)]
    pub value: String,
}

/// A certificate, with its status on the day of the request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificationView {
    pub scheme: String,
    pub number: Option<String>,
    pub issuer: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    /// `valid`, `expiring` (within 60 days of `expires_on`) or `expired`; kept current by the
    /// expiry job, which runs every hour.
    #[schema(example = "valid")]
    pub status: String,
}

/// The client-owned fields of a supplier: what `POST /v1/suppliers` takes (and what a merge
/// patch is applied to). `legal_name`, `tax_id`, `country`, `sector` and `employees` are required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierInput {
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Ensambles del Bajío S.A. de C.V."
    )]
    pub legal_name: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 300, example = "EnBajío")]
    pub trade_name: Option<String>,
    /// Validated and normalised per country (upper case, no separators).
    #[schema(example = "EBA0102035A1")]
    pub tax_id: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "MX", pattern = "^[A-Z]{2}$")]
    pub country: String,
    /// ISO 3166-2, inside `country`.
    #[serde(default)]
    #[schema(example = "MX-GUA")]
    pub subdivision: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200, example = "León")]
    pub city: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[serde(default)]
    pub location: Option<Location>,
    /// An http(s) URL.
    #[serde(default)]
    #[schema(example = "https://enbajio.mx")]
    pub website: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1800, example = 2001)]
    pub founded_year: Option<i32>,
    pub sector: Sector,
    #[schema(minimum = 0, maximum = 10000000, example = 42)]
    pub employees: i64,
    #[serde(default)]
    pub annual_sales: Option<Money>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub capabilities: Vec<CapabilityInput>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub certifications: Vec<CertificationInput>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub external_refs: Vec<ExternalRef>,
}

/// A JSON Merge Patch of a supplier (RFC 7396), for the OpenAPI document: any subset of the
/// client-owned fields; `null` clears an optional field (the five required ones cannot be
/// cleared); arrays replace the whole list.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SupplierPatch {
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    legal_name: Option<String>,
    trade_name: Option<String>,
    #[schema(nullable = false)]
    tax_id: Option<String>,
    #[schema(nullable = false, pattern = "^[A-Z]{2}$")]
    country: Option<String>,
    subdivision: Option<String>,
    city: Option<String>,
    address: Option<String>,
    location: Option<Location>,
    website: Option<String>,
    founded_year: Option<i32>,
    #[schema(nullable = false)]
    sector: Option<Sector>,
    #[schema(nullable = false, minimum = 0, maximum = 10000000)]
    employees: Option<i64>,
    annual_sales: Option<Money>,
    capabilities: Option<Vec<CapabilityInput>>,
    certifications: Option<Vec<CertificationInput>>,
    contacts: Option<Vec<Contact>>,
    external_refs: Option<Vec<ExternalRef>>,
}

/// Fields of the supplier document that only the server sets.
pub const SERVER_OWNED: &[&str] = &[
    "id",
    "size_class",
    "size_rule",
    "status",
    "status_reason",
    "verified_at",
    "created_at",
    "updated_at",
    "version",
];

const TOP_LEVEL: &[&str] = &[
    "legal_name",
    "trade_name",
    "tax_id",
    "country",
    "subdivision",
    "city",
    "address",
    "location",
    "website",
    "founded_year",
    "sector",
    "employees",
    "annual_sales",
    "capabilities",
    "certifications",
    "contacts",
    "external_refs",
];

/// The fields allowed inside each nested object.
fn nested(field: &str) -> Option<&'static [&'static str]> {
    Some(match field {
        "location" => &["lat", "lon"],
        "annual_sales" => &["amount", "currency"],
        "capabilities" => &["code", "details", "parameters"],
        "certifications" => &[
            "scheme",
            "number",
            "issuer",
            "issued_on",
            "expires_on",
            "status",
        ],
        "contacts" => &["name", "role", "email", "phone"],
        "external_refs" => &["system", "value"],
        _ => return None,
    })
}

/// Every unknown or server-owned field of a supplier body (a document or a merge patch).
pub fn check_fields(body: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (key, value) in body {
        if SERVER_OWNED.contains(&key.as_str()) {
            errors.push(FieldError::new(key, "read_only", "is set by the server"));
            continue;
        }
        if !TOP_LEVEL.contains(&key.as_str()) {
            errors.push(FieldError::new(
                key,
                "unknown_field",
                "is not a field of a supplier",
            ));
            continue;
        }
        let Some(allowed) = nested(key) else { continue };
        let objects: Vec<(String, &Map<String, Value>)> = match value {
            Value::Object(map) => vec![(key.clone(), map)],
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_object().map(|m| (format!("{key}[{i}]"), m)))
                .collect(),
            _ => Vec::new(),
        };
        for (path, object) in objects {
            for inner in object.keys() {
                if key == "certifications" && inner == "status" {
                    errors.push(FieldError::new(
                        format!("{path}.status"),
                        "read_only",
                        "is computed from the dates",
                    ));
                } else if !allowed.contains(&inner.as_str()) {
                    errors.push(FieldError::new(
                        format!("{path}.{inner}"),
                        "unknown_field",
                        "is not a field here",
                    ));
                }
            }
        }
    }
    errors
}

/// Reference data the rules need: which capability codes and certification schemes exist.
pub struct Known<'a> {
    pub capabilities: &'a HashSet<String>,
    pub schemes: &'a HashSet<String>,
    pub today: NaiveDate,
}

/// A checked supplier, ready to store.
#[derive(Debug, Clone)]
pub struct ValidSupplier {
    pub input: SupplierInput,
    pub tax_id: TaxId,
    pub sales: Option<(BigDecimal, String)>,
}

fn text_rule(errors: &mut Vec<FieldError>, field: &str, value: &str, min: usize, max: usize) {
    let chars = value.chars().count();
    if chars < min
        || chars > max
        || value.trim().is_empty()
        || value.chars().any(|c| c.is_control() && c != '\n')
    {
        errors.push(FieldError::new(
            field,
            "length",
            format!("must be {min} to {max} characters, not blank, without control characters"),
        ));
    }
}

fn optional_text(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>, max: usize) {
    if let Some(v) = value {
        text_rule(errors, field, v, 1, max);
    }
}

/// E.164: `+`, then 2 to 15 digits, the first not 0.
pub fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

/// An http(s) URL as written: lower-case scheme, no surrounding or inner spaces (the URL is
/// stored as sent, so it must already be in that form).
fn is_http_url(raw: &str) -> bool {
    raw.len() <= 2048
        && (raw.starts_with("http://") || raw.starts_with("https://"))
        && !raw.chars().any(char::is_whitespace)
        && url::Url::parse(raw).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// ISO 4217 codes that are not money a firm sells in: metals, fund codes, testing, "no currency".
const NOT_SALES_CURRENCIES: &[&str] = &[
    "XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA",
    "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",
];
fn parse_amount(raw: &str) -> Option<BigDecimal> {
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let ok = (1..=18).contains(&int.len())
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.len() <= 2
        && (frac.is_empty() != raw.contains('.'))
        && frac.chars().all(|c| c.is_ascii_digit());
    ok.then(|| raw.parse().ok()).flatten()
}

impl SupplierInput {
    /// Checks every rule; all broken rules are reported together.
    pub fn check(mut self, known: &Known<'_>) -> Result<ValidSupplier, Vec<FieldError>> {
        let mut errors = Vec::new();
        text_rule(&mut errors, "legal_name", &self.legal_name, 1, 300);
        optional_text(&mut errors, "trade_name", &self.trade_name, 300);
        optional_text(&mut errors, "city", &self.city, 200);
        optional_text(&mut errors, "address", &self.address, 500);

        let country_ok = is_country(&self.country);
        if !country_ok {
            errors.push(FieldError::new(
                "country",
                "country",
                "is not an ISO 3166-1 alpha-2 country code (upper case, like MX)",
            ));
        }
        let tax_id = if country_ok {
            match tax_id::parse(&self.country, &self.tax_id) {
                Ok(id) => Some(id),
                Err(why) => {
                    errors.push(FieldError::new(
                        "tax_id",
                        "tax_id",
                        format!("{why} (for country {})", self.country),
                    ));
                    None
                }
            }
        } else {
            None
        };
        if let Some(code) = &self.subdivision {
            let inside = country_ok
                && code.starts_with(&format!("{}-", self.country))
                && super::codes::is_subdivision(code);
            if !inside {
                errors.push(FieldError::new(
                    "subdivision",
                    "subdivision",
                    format!("is not an ISO 3166-2 subdivision of {}", self.country),
                ));
            }
        }
        if let Some(Location { lat, lon }) = self.location
            && !(lat.is_finite()
                && lon.is_finite()
                && (-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&lon))
        {
            errors.push(FieldError::new(
                "location",
                "range",
                "lat must be within ±90 and lon within ±180",
            ));
        }
        if let Some(url) = &self.website
            && !is_http_url(url)
        {
            errors.push(FieldError::new("website", "url", "is not an http(s) URL"));
        }
        if let Some(year) = self.founded_year
            && !(1800..=known.today.year()).contains(&year)
        {
            errors.push(FieldError::new(
                "founded_year",
                "range",
                format!("must be between 1800 and {}", known.today.year()),
            ));
        }
        if !(0..=10_000_000).contains(&self.employees) {
            errors.push(FieldError::new(
                "employees",
                "range",
                "must be between 0 and 10000000",
            ));
        }
        let sales = self.annual_sales.as_ref().and_then(|money| {
            let amount = parse_amount(&money.amount);
            if amount.is_none() {
                errors.push(FieldError::new("annual_sales.amount", "decimal", "must be a non-negative decimal with up to 2 decimals, as a string (\"38000000.00\")"));
            }
            if iso_currency::Currency::from_code(&money.currency).is_none()
                || NOT_SALES_CURRENCIES.contains(&money.currency.as_str())
            {
                errors.push(FieldError::new("annual_sales.currency", "currency", "is not an ISO 4217 currency code"));
            }
            amount.map(|a| (a, money.currency.clone()))
        });

        if self.capabilities.len() > 200 {
            errors.push(FieldError::new("capabilities", "max_items", "at most 200"));
        }
        let mut seen = HashSet::new();
        for (i, cap) in self.capabilities.iter().enumerate() {
            let field = format!("capabilities[{i}]");
            if !known.capabilities.contains(&cap.code) {
                errors.push(FieldError::new(
                    format!("{field}.code"),
                    "unknown_code",
                    format!("`{}` is not a code of the capability taxonomy", cap.code),
                ));
            } else if !seen.insert(cap.code.as_str()) {
                errors.push(FieldError::new(
                    format!("{field}.code"),
                    "duplicate",
                    format!("`{}` is listed twice", cap.code),
                ));
            }
            optional_text(&mut errors, &format!("{field}.details"), &cap.details, 2000);
            match &cap.parameters {
                None | Some(Value::Null) => {}
                Some(Value::Object(map))
                    if Value::Object(map.clone()).to_string().len() <= 8192 => {}
                Some(_) => errors.push(FieldError::new(
                    format!("{field}.parameters"),
                    "object",
                    "must be an object of at most 8 KiB",
                )),
            }
        }
        // `null` parameters are the same as none.
        for cap in &mut self.capabilities {
            if cap.parameters == Some(Value::Null) {
                cap.parameters = None;
            }
        }

        if self.certifications.len() > 100 {
            errors.push(FieldError::new(
                "certifications",
                "max_items",
                "at most 100",
            ));
        }
        for (i, cert) in self.certifications.iter().enumerate() {
            let field = format!("certifications[{i}]");
            if !known.schemes.contains(&cert.scheme) {
                errors.push(FieldError::new(
                    format!("{field}.scheme"),
                    "unknown_code",
                    format!("`{}` is not a certification scheme", cert.scheme),
                ));
            }
            optional_text(&mut errors, &format!("{field}.number"), &cert.number, 100);
            optional_text(&mut errors, &format!("{field}.issuer"), &cert.issuer, 200);
            for (name, date) in [
                ("issued_on", cert.issued_on),
                ("expires_on", cert.expires_on),
            ] {
                if let Some(d) = date
                    && !(1950..=2100).contains(&d.year())
                {
                    errors.push(FieldError::new(
                        format!("{field}.{name}"),
                        "range",
                        "must be between 1950 and 2100",
                    ));
                }
            }
            if let Some(issued) = cert.issued_on {
                if issued > known.today {
                    errors.push(FieldError::new(
                        format!("{field}.issued_on"),
                        "range",
                        "is in the future",
                    ));
                }
                if let Some(expires) = cert.expires_on
                    && expires <= issued
                {
                    errors.push(FieldError::new(
                        format!("{field}.expires_on"),
                        "after_issued_on",
                        "must be after issued_on",
                    ));
                }
            }
        }

        if self.contacts.len() > 50 {
            errors.push(FieldError::new("contacts", "max_items", "at most 50"));
        }
        for (i, contact) in self.contacts.iter().enumerate() {
            let field = format!("contacts[{i}]");
            text_rule(&mut errors, &format!("{field}.name"), &contact.name, 1, 200);
            optional_text(&mut errors, &format!("{field}.role"), &contact.role, 200);
            if let Some(email) = &contact.email
                && (email.len() > 254 || !email.validate_email())
            {
                errors.push(FieldError::new(
                    format!("{field}.email"),
                    "email",
                    "is not a valid e-mail address",
                ));
            }
            if let Some(phone) = &contact.phone
                && !is_e164(phone)
            {
                errors.push(FieldError::new(
                    format!("{field}.phone"),
                    "e164",
                    "must be E.164, like +525512345678",
                ));
            }
        }

        if self.external_refs.len() > 50 {
            errors.push(FieldError::new("external_refs", "max_items", "at most 50"));
        }
        let mut refs = HashSet::new();
        for (i, r) in self.external_refs.iter().enumerate() {
            let field = format!("external_refs[{i}]");
            if !(1..=40).contains(&r.system.len())
                || !r
                    .system
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                errors.push(FieldError::new(
                    format!("{field}.system"),
                    "pattern",
                    "must be 1 to 40 of a-z, 0-9 and _",
                ));
            }
            text_rule(&mut errors, &format!("{field}.value"), &r.value, 1, 200);
            if !refs.insert((&r.system, &r.value)) {
                errors.push(FieldError::new(&field, "duplicate", "is listed twice"));
            }
        }

        match tax_id {
            Some(tax_id) if errors.is_empty() => {
                self.tax_id = tax_id.as_str().to_owned();
                Ok(ValidSupplier {
                    input: self,
                    tax_id,
                    sales,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The status of a certificate on `today`: `expired` after `expires_on`, `expiring` within 60
/// days of it, `valid` otherwise (and when it has no expiry date).
pub fn certificate_status(expires_on: Option<NaiveDate>, today: NaiveDate) -> &'static str {
    match expires_on {
        Some(d) if d < today => "expired",
        Some(d) if d <= today + chrono::Days::new(60) => "expiring",
        _ => "valid",
    }
}

/// The codes and all their ancestors (`atp.asm.wb` → `atp`, `atp.asm`, `atp.asm.wb`), sorted:
/// what the search matches a capability filter against.
pub fn with_ancestors<'a>(codes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut all: Vec<String> = codes
        .into_iter()
        .flat_map(|code| {
            code.match_indices('.')
                .map(|(i, _)| code[..i].to_owned())
                .chain(std::iter::once(code.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort();
    all.dedup();
    all
}

/// RFC 7396 JSON Merge Patch: objects merge key by key, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn known() -> (HashSet<String>, HashSet<String>) {
        (
            ["atp", "atp.asm", "atp.asm.wb"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ["iso_9001"].iter().map(|s| s.to_string()).collect(),
        )
    }

    fn check(doc: Value) -> Result<ValidSupplier, Vec<FieldError>> {
        let (caps, schemes) = known();
        let input: SupplierInput = serde_json::from_value(doc).unwrap();
        input.check(&Known {
            capabilities: &caps,
            schemes: &schemes,
            today: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        })
    }

    fn minimal() -> Value {
        json!({ "legal_name": "Ensambles del Bajío", "tax_id": "gode-561231-gr8", "country": "MX", "sector": "manufacturing", "employees": 42 })
    }

    #[test]
    fn a_minimal_supplier_is_valid_and_its_tax_id_normalised() {
        let valid = check(minimal()).unwrap();
        assert_eq!(valid.input.tax_id, "GODE561231GR8");
        assert!(valid.tax_id.check_digit_ok);
    }

    #[test]
    fn every_broken_rule_is_reported_with_its_path() {
        let mut doc = minimal();
        merge_patch(
            &mut doc,
            &json!({
                "legal_name": "  ", "subdivision": "CR-SJ", "website": "ftp://x", "founded_year": 1700,
                "employees": -1, "annual_sales": { "amount": "1.234", "currency": "XXY" },
                "location": { "lat": 91.0, "lon": 0.0 },
                "capabilities": [{ "code": "atp.asm.wb" }, { "code": "atp.asm.wb" }, { "code": "nope" }],
                "certifications": [{ "scheme": "iso_9001", "issued_on": "2024-01-10", "expires_on": "2024-01-09" }, { "scheme": "bogus" }],
                "contacts": [{ "name": "Ana", "email": "not-mail", "phone": "5512345678" }],
                "external_refs": [{ "system": "SAM UEI", "value": "X" }]
            }),
        );
        let fields: Vec<String> = check(doc)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "legal_name",
                "subdivision",
                "location",
                "website",
                "founded_year",
                "employees",
                "annual_sales.amount",
                "annual_sales.currency",
                "capabilities[1].code",
                "capabilities[2].code",
                "certifications[0].expires_on",
                "certifications[1].scheme",
                "contacts[0].email",
                "contacts[0].phone",
                "external_refs[0].system",
            ]
        );
    }

    #[test]
    fn unknown_and_server_owned_fields_are_all_named() {
        let body = json!({ "status": "verified", "version": 3, "fax": "1", "contacts": [{ "name": "a", "twitter": "@a" }], "certifications": [{ "scheme": "iso_9001", "status": "valid" }] });
        let errors = check_fields(body.as_object().unwrap());
        let got: Vec<(String, String)> = errors.into_iter().map(|e| (e.field, e.code)).collect();
        assert!(got.contains(&("status".into(), "read_only".into())));
        assert!(got.contains(&("version".into(), "read_only".into())));
        assert!(got.contains(&("fax".into(), "unknown_field".into())));
        assert!(got.contains(&("contacts[0].twitter".into(), "unknown_field".into())));
        assert!(got.contains(&("certifications[0].status".into(), "read_only".into())));
    }

    #[test]
    fn certificate_status_follows_the_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let day = |s: &str| Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        assert_eq!(certificate_status(day("2026-11-26"), today), "expired");
        assert_eq!(certificate_status(day("2026-11-27"), today), "expiring");
        assert_eq!(certificate_status(day("2027-01-26"), today), "expiring");
        assert_eq!(certificate_status(day("2027-01-27"), today), "valid");
        assert_eq!(certificate_status(None, today), "valid");
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({ "a": "b", "c": { "d": "e", "f": "g" }, "list": [1, 2] });
        merge_patch(
            &mut doc,
            &json!({ "a": "z", "c": { "f": null }, "list": [3] }),
        );
        assert_eq!(doc, json!({ "a": "z", "c": { "d": "e" }, "list": [3] }));
    }

    #[test]
    fn codes_carry_their_ancestors() {
        assert_eq!(
            with_ancestors(["atp.asm.wb", "atp.tst", "des"]),
            ["atp", "atp.asm", "atp.asm.wb", "atp.tst", "des"]
        );
    }

    #[test]
    fn phones_are_e164() {
        assert!(is_e164("+525512345678"));
        assert!(!is_e164("525512345678"));
        assert!(!is_e164("+05512345678"));
        assert!(!is_e164("+1234567890123456"));
    }
}
