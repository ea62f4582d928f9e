//! Reading a supplier body in one pass: [`parse`] turns a JSON value into a [`SupplierInput`] and
//! names every unknown, server-owned, missing and mistyped field at once (a nested item's error
//! is its own: `contacts[1].name` missing does not hide `employees` out of range).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::input::{Known, SupplierInput, ValidSupplier};
use crate::domain::{FieldError, size::Sector};

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

pub const TOP_LEVEL: &[&str] = &[
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

/// A body read as a supplier: the input (fields that could not be read keep a blank value) and
/// every violation of its shape.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub input: SupplierInput,
    pub errors: Vec<FieldError>,
}

impl Parsed {
    /// Checks the rules too; every violation of the body, of shape or of rule, is reported
    /// together (a rule is not reported again for a field whose shape was already wrong).
    pub fn check(self, known: &Known<'_>) -> Result<ValidSupplier, Vec<FieldError>> {
        let Parsed { input, mut errors } = self;
        if errors.iter().any(|e| e.field == "body") {
            // Not an object: there are no fields to hold rules against.
            return Err(errors);
        }
        let mut shape = errors.clone();
        if covered(&shape, "country") {
            // The subdivision is judged inside its country, which was already reported.
            shape.push(FieldError::new("subdivision", "", ""));
        }
        match input.check(known) {
            Ok(valid) if errors.is_empty() => Ok(valid),
            Ok(_) => Err(errors),
            Err(rules) => {
                errors.extend(rules.into_iter().filter(|e| !covered(&shape, &e.field)));
                Err(errors)
            }
        }
    }
}

/// Whether `field` is, or lies inside, a field already reported.
fn covered(reported: &[FieldError], field: &str) -> bool {
    reported.iter().any(|r| inside(field, &r.field))
}

/// Whether a field already reported is, holds or lies inside `path`.
fn touched(reported: &[FieldError], path: &str) -> bool {
    reported
        .iter()
        .any(|r| inside(path, &r.field) || inside(&r.field, path))
}

/// Whether `path` is `outer` or lies inside it (`contacts[0].name` inside `contacts[0]`).
fn inside(path: &str, outer: &str) -> bool {
    path.strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// Reads `body` as a supplier in one pass.
/// The integer fields with a whole number written as a float (`42.0`) as integers: JSON (and
/// JSON Schema) counts it as the same number.
fn whole_numbers(body: &Value) -> std::borrow::Cow<'_, Value> {
    const INTEGERS: &[&str] = &["employees", "founded_year"];
    let whole = |v: &Value| {
        v.as_f64()
            .filter(|f| v.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| Value::from(f as i64))
    };
    let Value::Object(map) = body else {
        return std::borrow::Cow::Borrowed(body);
    };
    if !INTEGERS
        .iter()
        .any(|k| map.get(*k).and_then(whole).is_some())
    {
        return std::borrow::Cow::Borrowed(body);
    }
    let mut map = map.clone();
    for key in INTEGERS {
        if let Some(n) = map.get(*key).and_then(whole) {
            map.insert((*key).to_owned(), n);
        }
    }
    std::borrow::Cow::Owned(Value::Object(map))
}

pub fn parse(body: &Value) -> Parsed {
    let normal = whole_numbers(body);
    let body: &Value = &normal;
    let mut input = blank();
    let Value::Object(map) = body else {
        let errors = vec![FieldError::new("body", "object", "must be a JSON object")];
        return Parsed { input, errors };
    };
    let mut errors = check_fields(map);
    let shape = errors.clone();
    let mut slot = Slots {
        map,
        errors: &mut errors,
        shape: &shape,
    };
    slot.required("legal_name", &mut input.legal_name);
    slot.optional("trade_name", &mut input.trade_name);
    slot.required("tax_id", &mut input.tax_id);
    slot.required("country", &mut input.country);
    slot.optional("subdivision", &mut input.subdivision);
    slot.optional("city", &mut input.city);
    slot.optional("address", &mut input.address);
    slot.optional("location", &mut input.location);
    slot.optional("website", &mut input.website);
    slot.optional("founded_year", &mut input.founded_year);
    slot.required("sector", &mut input.sector);
    slot.required("employees", &mut input.employees);
    slot.optional("annual_sales", &mut input.annual_sales);
    slot.list("capabilities", &mut input.capabilities);
    slot.list("certifications", &mut input.certifications);
    slot.list("contacts", &mut input.contacts);
    slot.list("external_refs", &mut input.external_refs);
    Parsed { input, errors }
}

/// A supplier with nothing in it yet.
fn blank() -> SupplierInput {
    SupplierInput {
        legal_name: String::new(),
        trade_name: None,
        tax_id: String::new(),
        country: String::new(),
        subdivision: None,
        city: None,
        address: None,
        location: None,
        website: None,
        founded_year: None,
        sector: Sector::Manufacturing,
        employees: 0,
        annual_sales: None,
        capabilities: Vec::new(),
        certifications: Vec::new(),
        contacts: Vec::new(),
        external_refs: Vec::new(),
    }
}

/// Fills the input's fields from the body, each on its own, noting what does not fit.
struct Slots<'a> {
    map: &'a Map<String, Value>,
    errors: &'a mut Vec<FieldError>,
    /// Unknown and server-owned fields, already reported (their insides are not read again).
    shape: &'a [FieldError],
}

impl<'a> Slots<'a> {
    /// The field's value, unless it is absent, `null` or already reported.
    fn value(&self, field: &str) -> Option<&'a Value> {
        let map: &'a Map<String, Value> = self.map;
        map.get(field)
            .filter(|v| !v.is_null())
            .filter(|_| !touched(self.shape, field) || self.shape_inside_list(field))
    }

    /// A list whose items hold reported fields is still read, item by item (the items with a
    /// reported field are passed over).
    fn shape_inside_list(&self, field: &str) -> bool {
        self.map.get(field).is_some_and(Value::is_array) && !covered(self.shape, field)
    }

    fn read<T: DeserializeOwned>(&mut self, field: &str, value: &Value) -> Option<T> {
        serde_path_to_error::deserialize(value)
            .map_err(|e| {
                let inner = e.path().to_string();
                let path = if inner == "." {
                    field.to_owned()
                } else {
                    format!("{field}.{inner}")
                };
                self.errors.push(FieldError::from_serde(&path, e.inner()));
            })
            .ok()
    }

    fn required<T: DeserializeOwned>(&mut self, field: &str, slot: &mut T) {
        match self.value(field) {
            Some(value) => {
                if let Some(v) = self.read(field, value) {
                    *slot = v;
                }
            }
            None if self.map.get(field).is_none_or(Value::is_null) => {
                self.errors
                    .push(FieldError::new(field, "required", "is required"));
            }
            None => {}
        }
    }

    fn optional<T: DeserializeOwned>(&mut self, field: &str, slot: &mut Option<T>) {
        if let Some(value) = self.value(field) {
            *slot = self.read(field, value);
        }
    }

    /// A list, item by item: each bad item is named on its own.
    fn list<T: DeserializeOwned>(&mut self, field: &str, slot: &mut Vec<T>) {
        let Some(value) = self.value(field) else {
            return;
        };
        let Value::Array(items) = value else {
            self.errors
                .push(FieldError::new(field, "invalid_type", "must be an array"));
            return;
        };
        let mut read = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{field}[{i}]");
            if !touched(self.shape, &path) {
                read.extend(self.read(&path, item));
            }
        }
        *slot = read;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
    fn every_shape_error_is_named_in_one_pass() {
        let body = json!({
            "tax_id": 5, "country": "MX", "sector": "mining", "employees": "many",
            "fax": "1", "contacts": [{ "role": "CEO" }, { "name": "Ana" }, 7],
            "location": { "lat": "north", "lon": 1.0 }
        });
        let fields: Vec<(String, String)> = parse(&body)
            .errors
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect();
        let expect = [
            ("fax", "unknown_field"),
            ("legal_name", "required"),
            ("tax_id", "invalid_type"),
            ("location.lat", "invalid_type"),
            ("sector", "invalid"),
            ("employees", "invalid_type"),
            ("contacts[0].name", "required"),
            ("contacts[2]", "invalid_type"),
        ];
        let expect: Vec<(String, String)> = expect
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        assert_eq!(fields, expect);
    }

    #[test]
    fn a_body_that_is_no_object_is_one_error() {
        let (caps, schemes) = (Default::default(), Default::default());
        let known = Known {
            capabilities: &caps,
            schemes: &schemes,
            today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        };
        let errors = parse(&json!([1])).check(&known).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["body"]);
        let body = json!({ "legal_name": "A", "tax_id": "X", "subdivision": "MX-JAL",
                           "sector": "services", "employees": 1 });
        let errors = parse(&body).check(&known).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["country"]);
    }

    #[test]
    fn a_reported_field_is_not_reported_again_by_its_rules() {
        let reported = [FieldError::new("contacts[0]", "x", "y")];
        assert!(covered(&reported, "contacts[0].email"));
        assert!(covered(&reported, "contacts[0]"));
        assert!(!covered(&reported, "contacts[1].email"));
        assert!(!covered(&reported, "contacts[0]x"));
    }
}
