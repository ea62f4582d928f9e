//! The supplier as a client writes it: [`SupplierInput`] and its parts, the reference data the
//! rules need ([`Known`]), a checked supplier ([`ValidSupplier`]), and two small rules that the
//! search and the certificate job share (`certificate_status`, `with_ancestors`).

use std::collections::HashSet;

use bigdecimal::BigDecimal;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::{size::Sector, tax_id::TaxId};

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
    #[serde(default)]
    #[schema(value_type = Option<CapabilityParameters>)]
    pub parameters: Option<Value>,
}

/// A capability's parameters: an object of names to values (strings, numbers, booleans, or lists
/// of them), e.g. `{ "package_families": ["QFN", "BGA"] }`; at most 8,192 bytes as JSON.
// For the OpenAPI document: the service keeps the object as sent.
#[derive(ToSchema)]
#[schema(example = json!({ "package_families": ["QFN", "BGA"] }))]
#[allow(dead_code)]
pub struct CapabilityParameters(std::collections::BTreeMap<String, Value>);

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
    #[schema(example = "EBA0102035A9")]
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
    #[schema(example = "manufacturing")]
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

/// A JSON Merge Patch of a supplier (RFC 7396): any subset of the client-owned fields; `null`
/// clears an optional field (the five required ones cannot be cleared); arrays replace the whole
/// list. Fields and constraints are those of `SupplierInput`.
// For the OpenAPI document only: `openapi::finish` copies `SupplierInput`'s properties here, none
// required and the optional ones nullable.
#[derive(ToSchema)]
pub struct SupplierPatch {}

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn codes_carry_their_ancestors() {
        assert_eq!(
            with_ancestors(["atp.asm.wb", "atp.tst", "des"]),
            ["atp", "atp.asm", "atp.asm.wb", "atp.tst", "des"]
        );
    }
}
