//! Standard codes: ISO 3166-1 alpha-2 countries and ISO 3166-2 subdivisions (data from the
//! `rust_iso3166` crate, which `db::reference::sync_iso3166` also copies into the database).

use super::FieldError;

/// Whether `code` is an assigned ISO 3166-1 alpha-2 code, in upper case (`MX`).
pub fn is_country(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && rust_iso3166::from_alpha2(code).is_some()
}

/// Whether `code` is an ISO 3166-2 subdivision code (`MX-JAL`).
pub fn is_subdivision(code: &str) -> bool {
    rust_iso3166::iso3166_2::from_code(code).is_some()
}

/// Checks a list of country codes: each must exist, none twice. Errors name `field[i]`.
pub fn check_countries(field: &str, codes: &[String], errors: &mut Vec<FieldError>) {
    for (i, code) in codes.iter().enumerate() {
        if !is_country(code) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "country",
                format!("`{code}` is not an ISO 3166-1 alpha-2 country code (upper case, like MX)"),
            ));
        } else if codes[..i].contains(code) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "duplicate",
                format!("`{code}` is listed twice"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_iso_alpha2_upper_case() {
        for ok in ["MX", "CR", "PA", "US", "BR"] {
            assert!(is_country(ok), "{ok}");
        }
        for bad in ["mx", "XX", "MEX", "", "M"] {
            assert!(!is_country(bad), "{bad}");
        }
    }

    #[test]
    fn country_lists_name_the_bad_item() {
        let mut errors = Vec::new();
        check_countries(
            "countries",
            &["MX".into(), "ZZ".into(), "MX".into()],
            &mut errors,
        );
        let fields: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [("countries[1]", "country"), ("countries[2]", "duplicate")]
        );
    }
}
