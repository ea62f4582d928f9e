//! The rules a supplier must meet ([`SupplierInput::check`]), one function per part of the
//! document; every broken rule is reported with its field path (`contacts[0].email`).

use std::collections::HashSet;

use bigdecimal::BigDecimal;
use chrono::Datelike;
use serde_json::Value;
use validator::ValidateEmail;

use super::input::{Known, Location, SupplierInput, ValidSupplier};
use crate::domain::{
    FieldError,
    codes::{is_country, is_subdivision},
    identifier,
    tax_id::{self, TaxId},
    text,
};

impl SupplierInput {
    /// Checks every rule; all broken rules are reported together.
    pub fn check(mut self, known: &Known<'_>) -> Result<ValidSupplier, Vec<FieldError>> {
        let mut errors = Vec::new();
        names(&self, &mut errors);
        let tax_id = tax_id_of(&self, &mut errors);
        place(&self, &mut errors, known);
        let sales = size_inputs(&self, &mut errors);
        capabilities(&self, &mut errors, known);
        // `null` parameters are the same as none.
        for cap in &mut self.capabilities {
            if cap.parameters == Some(Value::Null) {
                cap.parameters = None;
            }
        }
        certifications(&self, &mut errors, known);
        contacts(&self, &mut errors);
        external_refs(&mut self, &mut errors);
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

/// The names and the address lines.
fn names(input: &SupplierInput, errors: &mut Vec<FieldError>) {
    text_rule(errors, "legal_name", &input.legal_name, 1, 300);
    optional_text(errors, "trade_name", &input.trade_name, 300);
    let names = [
        Some(("legal_name", &input.legal_name)),
        input.trade_name.as_ref().map(|t| ("trade_name", t)),
    ];
    for (field, name) in names.into_iter().flatten() {
        if !errors.iter().any(|e| e.field == field) {
            errors.extend(text::check_name(field, name));
        }
    }
    optional_text(errors, "city", &input.city, 200);
    optional_text(errors, "address", &input.address, 500);
}

/// The country, and the tax id read by its rules.
fn tax_id_of(input: &SupplierInput, errors: &mut Vec<FieldError>) -> Option<TaxId> {
    let country_ok = is_country(&input.country);
    if !country_ok {
        errors.push(FieldError::new(
            "country",
            "country",
            "is not an ISO 3166-1 alpha-2 country code (upper case, like MX)",
        ));
    }
    if country_ok {
        match tax_id::parse(&input.country, &input.tax_id) {
            Ok(id) => Some(id),
            Err(why) => {
                errors.push(FieldError::new(
                    "tax_id",
                    "tax_id",
                    format!("{why} (for country {})", input.country),
                ));
                None
            }
        }
    } else {
        None
    }
}

/// The subdivision, the location, the website and the founding year.
fn place(input: &SupplierInput, errors: &mut Vec<FieldError>, known: &Known<'_>) {
    let country_ok = is_country(&input.country);
    if let Some(code) = &input.subdivision {
        let inside =
            country_ok && code.starts_with(&format!("{}-", input.country)) && is_subdivision(code);
        if !inside {
            errors.push(FieldError::new(
                "subdivision",
                "subdivision",
                format!("is not an ISO 3166-2 subdivision of {}", input.country),
            ));
        }
    }
    if let Some(Location { lat, lon }) = input.location
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
    if let Some(url) = &input.website
        && !is_http_url(url)
    {
        errors.push(FieldError::new("website", "url", "is not an http(s) URL"));
    }
    if let Some(year) = input.founded_year
        && !(1800..=known.today.year()).contains(&year)
    {
        errors.push(FieldError::new(
            "founded_year",
            "range",
            format!("must be between 1800 and {}", known.today.year()),
        ));
    }
}

/// Headcount and sales: the inputs of the size class; the sales as a decimal and currency.
fn size_inputs(
    input: &SupplierInput,
    errors: &mut Vec<FieldError>,
) -> Option<(BigDecimal, String)> {
    if !(0..=10_000_000).contains(&input.employees) {
        errors.push(FieldError::new(
            "employees",
            "range",
            "must be between 0 and 10000000",
        ));
    }
    input.annual_sales.as_ref().and_then(|money| {
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
        })
}

/// Each capability: a known code, once, with short details and small parameters.
fn capabilities(input: &SupplierInput, errors: &mut Vec<FieldError>, known: &Known<'_>) {
    if input.capabilities.len() > 200 {
        errors.push(FieldError::new("capabilities", "max_items", "at most 200"));
    }
    let mut seen = HashSet::new();
    for (i, cap) in input.capabilities.iter().enumerate() {
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
        optional_text(errors, &format!("{field}.details"), &cap.details, 2000);
        match &cap.parameters {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) if Value::Object(map.clone()).to_string().len() <= 8192 => {
                for (name, value) in map {
                    if !is_parameter_value(value) {
                        errors.push(FieldError::new(
                            format!("{field}.parameters.{name}"),
                            "type",
                            "must be a string, a number, a boolean, null, or a list of them",
                        ));
                    }
                }
            }
            Some(_) => errors.push(FieldError::new(
                format!("{field}.parameters"),
                "object",
                "must be an object of at most 8 KiB",
            )),
        }
    }
}

/// A parameter's value: a scalar, or a list of scalars (a `[min, max]` range is one).
fn is_parameter_value(value: &Value) -> bool {
    let scalar = |v: &Value| !matches!(v, Value::Array(_) | Value::Object(_));
    match value {
        Value::Array(items) => items.iter().all(scalar),
        Value::Object(_) => false,
        _ => true,
    }
}

/// Each certificate: a known scheme, short texts, dates in order.
fn certifications(input: &SupplierInput, errors: &mut Vec<FieldError>, known: &Known<'_>) {
    if input.certifications.len() > 100 {
        errors.push(FieldError::new(
            "certifications",
            "max_items",
            "at most 100",
        ));
    }
    for (i, cert) in input.certifications.iter().enumerate() {
        let field = format!("certifications[{i}]");
        if !known.schemes.contains(&cert.scheme) {
            errors.push(FieldError::new(
                format!("{field}.scheme"),
                "unknown_code",
                format!("`{}` is not a certification scheme", cert.scheme),
            ));
        }
        optional_text(errors, &format!("{field}.number"), &cert.number, 100);
        optional_text(errors, &format!("{field}.issuer"), &cert.issuer, 200);
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
}

/// Each contact: a name, an e-mail address and an E.164 phone.
fn contacts(input: &SupplierInput, errors: &mut Vec<FieldError>) {
    check_contacts(&input.contacts, errors);
}

/// The rules of a list of contacts (a supplier's, or a match request's).
pub fn check_contacts(contacts: &[super::input::Contact], errors: &mut Vec<FieldError>) {
    if contacts.len() > 50 {
        errors.push(FieldError::new("contacts", "max_items", "at most 50"));
    }
    for (i, contact) in contacts.iter().enumerate() {
        let field = format!("contacts[{i}]");
        text_rule(errors, &format!("{field}.name"), &contact.name, 1, 200);
        optional_text(errors, &format!("{field}.role"), &contact.role, 200);
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
}

/// Each external reference: a system code and a value, once; values of the systems with a
/// published format (`domain::identifier`) are checked and stored normalised.
fn external_refs(input: &mut SupplierInput, errors: &mut Vec<FieldError>) {
    if input.external_refs.len() > 50 {
        errors.push(FieldError::new("external_refs", "max_items", "at most 50"));
    }
    let mut refs = HashSet::new();
    for (i, r) in input.external_refs.iter_mut().enumerate() {
        let field = format!("external_refs[{i}]");
        if !identifier::is_system_code(&r.system) {
            errors.push(FieldError::new(
                format!("{field}.system"),
                "pattern",
                "must be 1 to 40 of a-z, 0-9 and _",
            ));
            continue;
        }
        text_rule(errors, &format!("{field}.value"), &r.value, 1, 200);
        match identifier::normalise(&r.system, &r.value) {
            Ok(value) => r.value = value,
            Err(message) => {
                if !errors.iter().any(|e| e.field == format!("{field}.value")) {
                    errors.push(FieldError::new(format!("{field}.value"), "format", message));
                }
                continue;
            }
        }
        if !refs.insert((r.system.clone(), r.value.clone())) {
            errors.push(FieldError::new(&field, "duplicate", "is listed twice"));
        }
    }
}

fn text_rule(errors: &mut Vec<FieldError>, field: &str, value: &str, min: usize, max: usize) {
    let chars = value.chars().count();
    if chars < min || chars > max || value.trim().is_empty() || text::has_control(value) {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use chrono::NaiveDate;
    use serde_json::Value;

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
        json_patch::merge(
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
    fn phones_are_e164() {
        assert!(is_e164("+525512345678"));
        assert!(!is_e164("525512345678"));
        assert!(!is_e164("+05512345678"));
        assert!(!is_e164("+1234567890123456"));
    }
}
