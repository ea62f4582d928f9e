//! From a body to the record to store, the one step that `POST`, `PATCH` and the bulk import all
//! take: a new supplier is checked and sized ([`new_supplier`]); a merge patch is applied to the
//! supplier as it is ([`merged`]), checked, diffed field by field, sized again, and an owner's
//! change to a verified field sends the profile back to `pending` ([`edit`]).

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{
    fields::Parsed,
    input::{Known, SupplierInput, ValidSupplier, certificate_status},
};
use crate::domain::{
    FieldError,
    size::{self, SizeClass, SizeInput, SizeRule},
    status::{EventType, SupplierStatus},
};

/// Why a body cannot be stored.
#[derive(Debug)]
pub enum Refused {
    /// It breaks these rules: the client's to mend.
    Invalid(Vec<FieldError>),
    /// No size rule applies: the reference data lack the fallback rule, which is the server's
    /// fault (the API answers 500; an import reports the row).
    NoSizeRule,
}

impl From<Vec<FieldError>> for Refused {
    fn from(errors: Vec<FieldError>) -> Self {
        Self::Invalid(errors)
    }
}

impl Refused {
    /// As the errors of an import row.
    pub fn into_errors(self) -> Vec<FieldError> {
        match self {
            Self::Invalid(errors) => errors,
            Self::NoSizeRule => vec![FieldError::new(
                "country",
                "no_size_rule",
                "no size rule applies",
            )],
        }
    }
}

/// A size class and the rule that decided it.
pub type Size = (SizeClass, String);

/// A supplier as stored, as an edit starts from it.
#[derive(Debug, Clone)]
pub struct Current {
    pub input: SupplierInput,
    pub size_class: SizeClass,
    pub size_rule: String,
    pub status: SupplierStatus,
}

/// A change to store: the new record, each changed field → `[old, new]`, and where the status
/// goes (when the edit moves it).
#[derive(Debug, Clone)]
pub struct Edit {
    pub valid: ValidSupplier,
    pub size: Size,
    pub diff: Map<String, Value>,
    pub status: Option<(SupplierStatus, SupplierStatus)>,
}

impl Edit {
    /// Whether a part kept in its own table changed (it is then rewritten).
    pub fn parts_changed(&self) -> bool {
        [
            "capabilities",
            "certifications",
            "contacts",
            "external_refs",
        ]
        .iter()
        .any(|f| self.diff.contains_key(*f))
    }

    /// The change event: one per change, so a status move caused by the edit is told in it.
    pub fn event(&self, version: i32) -> (EventType, Value) {
        let changed: Vec<&String> = self.diff.keys().collect();
        match self.status {
            Some((from, to)) => (
                EventType::SupplierStatusChanged,
                json!({ "version": version, "changed": changed, "from": from, "to": to,
                        "reason": "verified fields changed" }),
            ),
            None => (
                EventType::SupplierUpdated,
                json!({ "version": version, "changed": changed }),
            ),
        }
    }
}

/// The size class and rule of a checked supplier under `rules` on `today`.
pub fn size_of(rules: &[SizeRule], today: NaiveDate, valid: &ValidSupplier) -> Option<Size> {
    let input = SizeInput {
        country: &valid.input.country,
        sector: valid.input.sector,
        employees: valid.input.employees,
        sales: valid.sales.as_ref().map(|(a, c)| (a, c.as_str())),
    };
    size::classify(rules, today, &input)
}

fn sized(rules: &[SizeRule], today: NaiveDate, valid: &ValidSupplier) -> Result<Size, Refused> {
    size_of(rules, today, valid).ok_or(Refused::NoSizeRule)
}

/// A new supplier: the parsed body checked against every rule, and sized.
pub fn new_supplier(
    parsed: Parsed,
    known: &Known<'_>,
    rules: &[SizeRule],
) -> Result<(ValidSupplier, Size), Refused> {
    let valid = parsed.check(known)?;
    let size = sized(rules, known.today, &valid)?;
    Ok((valid, size))
}

/// The audit entry of a new supplier: each field it starts with → `[null, value]`, as the
/// document shows it (sales with two decimals, each certificate with its status on `today`).
pub fn created_audit(valid: &ValidSupplier, size: &Size, today: NaiveDate) -> Value {
    let mut stored = json_of(&valid.input);
    if let Some((amount, _)) = &valid.sales {
        stored["annual_sales"]["amount"] = json!(amount.with_scale(2).to_string());
    }
    if let Some(certs) = stored["certifications"].as_array_mut() {
        for (cert, input) in certs.iter_mut().zip(&valid.input.certifications) {
            cert["status"] = json!(certificate_status(input.expires_on, today));
        }
    }
    let mut fields = changes(&Value::Null, &stored);
    fields.insert("status".into(), json!([null, SupplierStatus::Draft]));
    fields.insert("size_class".into(), json!([null, size.0]));
    fields.insert("size_rule".into(), json!([null, size.1]));
    Value::Object(fields)
}

/// The body that a merge patch (RFC 7396) makes of the supplier as it is.
pub fn merged(current: &SupplierInput, patch: &Value) -> Value {
    let mut body = json_of(current);
    json_patch::merge(&mut body, patch);
    body
}

/// The change that `parsed` (a merged body, see [`merged`]) makes to `current`, or `None` when
/// nothing would change.
pub fn edit(
    current: &Current,
    parsed: Parsed,
    known: &Known<'_>,
    rules: &[SizeRule],
    by_owner: bool,
) -> Result<Option<Edit>, Refused> {
    let valid = parsed.check(known)?;
    let mut diff = changes(&json_of(&current.input), &json_of(&valid.input));
    if diff.is_empty() {
        return Ok(None);
    }
    let size = sized(rules, known.today, &valid)?;
    for (field, old, new) in [
        ("size_class", json!(current.size_class), json!(size.0)),
        ("size_rule", json!(current.size_rule), json!(size.1)),
    ] {
        if old != new {
            diff.insert(field.into(), json!([old, new]));
        }
    }
    let changed: Vec<&str> = diff.keys().map(String::as_str).collect();
    let status = by_owner
        .then(|| current.status.after_owner_edit(&changed))
        .flatten()
        .map(|to| (current.status, to));
    if let Some((from, to)) = status {
        diff.insert("status".into(), json!([from, to]));
    }
    Ok(Some(Edit {
        valid,
        size,
        diff,
        status,
    }))
}

/// A plain value as JSON. The types here are structs, strings and numbers with string keys,
/// which always serialize.
fn json_of(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Field → `[old, new]` for every top-level field that differs.
fn changes(old: &Value, new: &Value) -> Map<String, Value> {
    let empty = Map::new();
    let (old, new) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (
                old.get(k).unwrap_or(&Value::Null),
                new.get(k).unwrap_or(&Value::Null),
            );
            (a != b).then(|| (k.clone(), json!([a, b])))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::supplier::fields::parse;

    fn current(status: SupplierStatus) -> Current {
        let body = json!({ "legal_name": "Ensambles", "tax_id": "GODE561231GR8", "country": "MX",
                           "sector": "manufacturing", "employees": 12 });
        Current {
            input: parse(&body).input,
            size_class: SizeClass::Small,
            size_rule: "fallback".into(),
            status,
        }
    }

    fn edit_of(current: &Current, patch: Value, by_owner: bool) -> Option<Edit> {
        let (caps, schemes) = (HashSet::new(), HashSet::new());
        let known = Known {
            capabilities: &caps,
            schemes: &schemes,
            today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        };
        let fallback = SizeRule {
            id: "fallback".into(),
            country: None,
            method: size::Method::from_params(
                "employee_bands",
                &json!({ "bands": [["micro", 10], ["small", 50], ["medium", 250]] }),
            )
            .unwrap(),
            valid_from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            valid_to: None,
        };
        let parsed = parse(&merged(&current.input, &patch));
        edit(current, parsed, &known, &[fallback], by_owner).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn a_patch_that_changes_nothing_is_no_edit() {
        let now = current(SupplierStatus::Verified);
        assert!(edit_of(&now, json!({ "employees": 12, "city": null }), true).is_none());
    }

    #[test]
    fn an_owner_renaming_a_verified_supplier_sends_it_back_to_pending() {
        let now = current(SupplierStatus::Verified);
        let edit = edit_of(&now, json!({ "legal_name": "Ensambles II" }), true).unwrap();
        assert_eq!(
            edit.diff["legal_name"],
            json!(["Ensambles", "Ensambles II"])
        );
        assert_eq!(edit.diff["status"], json!(["verified", "pending"]));
        assert_eq!(edit.event(3).0, EventType::SupplierStatusChanged);
        let by_agency = edit_of(&now, json!({ "legal_name": "Ensambles II" }), false).unwrap();
        assert_eq!(by_agency.status, None);
        assert_eq!(by_agency.event(3).0, EventType::SupplierUpdated);
        let city = edit_of(&now, json!({ "city": "León" }), true).unwrap();
        assert_eq!(city.status, None);
        assert!(!city.parts_changed());
    }
}
