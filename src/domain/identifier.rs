//! Identifier systems of `external_refs[]`: the ones with a published format are normalised and
//! checked here (a typo in an LEI or a DUNS number would otherwise make a duplicate look new, and
//! `(system, value)` uniqueness only works on one spelling), the rest are free text under a
//! well-formed system code. `GET /v1/identifier-systems` serves [`SYSTEMS`].

use serde::Serialize;

use crate::domain::tax_id;

/// An identifier system the registry knows the format of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct System {
    /// The `external_refs[].system` value.
    pub code: &'static str,
    pub label_en: &'static str,
    pub label_es: &'static str,
    /// A short human description of the format, for forms and error pages.
    pub format: &'static str,
    /// A regular expression for the normalised (compact) value, for the OpenAPI document; the
    /// check digits it cannot express are checked by [`normalise`].
    pub pattern: Option<&'static str>,
    /// For a tax-id system: the country (ISO alpha-2) whose `tax_id` it holds, so that a merged
    /// duplicate's tax id can be kept as an external reference and still be matched.
    pub country: Option<&'static str>,
}

/// The systems with a published format, in the order `GET /v1/identifier-systems` lists them.
pub const SYSTEMS: &[System] = &[
    System {
        code: "lei",
        label_en: "Legal Entity Identifier (LEI)",
        label_es: "Identificador de Entidad Jurídica (LEI)",
        format: "ISO 17442: 20 letters and digits, the last two ISO 7064 mod 97-10 check digits",
        pattern: Some("^[0-9A-Z]{18}[0-9]{2}$"),
        country: None,
    },
    System {
        code: "sam_uei",
        label_en: "SAM.gov Unique Entity ID",
        label_es: "Identificador Único de Entidad de SAM.gov",
        format: "12 letters and digits, without O or I, not starting with 0",
        pattern: Some("^[1-9A-HJ-NP-Z][0-9A-HJ-NP-Z]{11}$"),
        country: None,
    },
    System {
        code: "cage",
        label_en: "CAGE / NCAGE code",
        label_es: "Código CAGE / NCAGE",
        format: "5 letters and digits",
        pattern: Some("^[0-9A-Z]{5}$"),
        country: None,
    },
    System {
        code: "duns",
        label_en: "D-U-N-S Number",
        label_es: "Número D-U-N-S",
        format: "9 digits",
        pattern: Some("^[0-9]{9}$"),
        country: None,
    },
    System {
        code: "os_id",
        label_en: "Open Supply Hub ID",
        label_es: "ID de Open Supply Hub",
        format: "15 characters: a 2-letter country, 7 digits and 6 letters and digits, like \
                 CN2021250D1DTN7",
        pattern: Some("^[A-Z]{2}[0-9]{7}[0-9A-Z]{6}$"),
        country: None,
    },
    System {
        code: "mx_rfc",
        label_en: "Mexico: RFC",
        label_es: "México: RFC",
        format: "3 letters (company) or 4 (person), the date YYMMDD and a 3-character homoclave",
        pattern: Some("^[A-ZÑ&]{3,4}[0-9]{6}[0-9A-Z]{3}$"),
        country: Some("MX"),
    },
    System {
        code: "cr_cedula",
        label_en: "Costa Rica: cédula jurídica",
        label_es: "Costa Rica: cédula jurídica",
        format: "10 digits, like 3-101-123456 (or a person's 9-digit cédula)",
        pattern: Some("^([2-5][0-9]{9}|[1-9][0-9]{8})$"),
        country: Some("CR"),
    },
    System {
        code: "pa_ruc",
        label_en: "Panama: RUC",
        label_es: "Panamá: RUC",
        format: "folio-rollo-year with an optional DV, like 155596713-2-2015 DV 59, or a cédula",
        pattern: Some("^(PE|AV|PI|E|N)?[0-9]{4,18}(DV[0-9]{2})?$"),
        country: Some("PA"),
    },
    System {
        code: "us_ein",
        label_en: "United States: EIN",
        label_es: "Estados Unidos: EIN",
        format: "9 digits, like 12-3456789",
        pattern: Some("^[0-9]{9}$"),
        country: Some("US"),
    },
];

/// Most characters a free-text value (a system without a published format) may have.
pub const MAX_FREE_VALUE_CHARS: usize = 200;

/// Most characters a system code may have.
pub const MAX_SYSTEM_CODE_CHARS: usize = 40;

/// The system `code` names, when its format is known.
pub fn system(code: &str) -> Option<&'static System> {
    SYSTEMS.iter().find(|s| s.code == code)
}

/// The external-reference system that holds `country`'s tax ids (MX → `mx_rfc`, …), so that a
/// merge can keep the duplicate's tax id on the survivor.
pub fn tax_id_system(country: &str) -> Option<&'static str> {
    SYSTEMS
        .iter()
        .find(|s| s.country.is_some_and(|c| c.eq_ignore_ascii_case(country)))
        .map(|s| s.code)
}

/// Whether `code` is a well-formed system code (`^[a-z0-9_]{1,40}$`); checked before
/// [`normalise`] so that the error can name the `system` field rather than the value.
pub fn is_system_code(code: &str) -> bool {
    (1..=MAX_SYSTEM_CODE_CHARS).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The value of an `external_refs[]` entry as stored and compared: checked against its system's
/// format. The error is a human message naming the rule, to follow the field's name.
pub fn normalise(system_code: &str, raw: &str) -> Result<String, String> {
    if !is_system_code(system_code) {
        return Err(format!(
            "has the system `{system_code}`, which is not a system code \
             (1 to 40 lower-case letters, digits and `_`)"
        ));
    }
    let Some(system) = system(system_code) else {
        return free_text(raw);
    };
    if let Some(country) = system.country {
        return tax_id::parse(country, raw).map(|t| t.as_str().to_owned());
    }
    let value = compact(raw);
    match system.code {
        "lei" => lei(&value),
        "sam_uei" => sam_uei(&value),
        "cage" => cage(&value),
        "duns" => duns(&value),
        _ => os_id(&value),
    }
    .map(|()| value)
}

/// Upper case without whitespace, `-` and `.`: how these numbers are printed varies (`12-345-6789`,
/// `5493 00 1KJ…`), the number does not.
fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Separators a formatted value may be written with (` `, `-`, `.`), for [`INPUT_PATTERNS`].
const SEP: &str = "[ .-]*";

/// What the formatted systems accept as written (before [`compact`]): their characters with
/// separators anywhere, either case. The check digits are checked beyond it. For the OpenAPI
/// document; a test keeps each in step with [`normalise`].
pub fn input_patterns() -> Vec<(&'static str, String)> {
    let each = |class: &str, n: u32| format!("(?:{class}{SEP}){{{n}}}");
    vec![
        (
            "lei",
            format!("^{SEP}{}{}$", each("[0-9A-Za-z]", 18), each("[0-9]", 2)),
        ),
        (
            "sam_uei",
            format!(
                "^{SEP}[1-9A-HJ-NP-Za-hj-np-z]{SEP}{}$",
                each("[0-9A-HJ-NP-Za-hj-np-z]", 11)
            ),
        ),
        ("cage", format!("^{SEP}{}$", each("[0-9A-Za-z]", 5))),
        ("duns", format!("^{SEP}{}$", each("[0-9]", 9))),
        (
            "os_id",
            format!(
                "^{SEP}{}{}{}$",
                each("[A-Za-z]", 2),
                each("[0-9]", 7),
                each("[0-9A-Za-z]", 6)
            ),
        ),
    ]
}

/// A system without a published format: any text, trimmed, that a person could have typed.
fn free_text(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars == 0 {
        return Err("must not be empty".into());
    }
    if chars > MAX_FREE_VALUE_CHARS {
        return Err(format!(
            "is {chars} characters long; at most {MAX_FREE_VALUE_CHARS} are allowed"
        ));
    }
    // The text rule of every free field (`domain::text`): tab and line breaks aside.
    if crate::domain::text::has_control(value) {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

fn is_upper_alnum(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

/// ISO 17442: 18 letters and digits and two check digits; the whole code read as a number (A = 10
/// … Z = 35) is 1 modulo 97 (ISO 7064 mod 97-10).
fn lei(value: &str) -> Result<(), String> {
    let want = "is not a valid LEI: it has 20 letters and digits, the last two check digits";
    if value.chars().count() != 20 || !value.chars().all(is_upper_alnum) {
        return Err(want.into());
    }
    if !value[18..].bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a valid LEI: its last two characters are check digits".into());
    }
    if mod97(value) != 1 {
        return Err("is not a valid LEI: the check digits do not match".into());
    }
    Ok(())
}

/// The remainder modulo 97 of an ISO 7064 string, letters read as two digits (A = 10 … Z = 35),
/// computed digit by digit so that no big integer is needed.
fn mod97(value: &str) -> u32 {
    value.chars().fold(0, |rest, c| match c.to_digit(36) {
        Some(d) if d < 10 => (rest * 10 + d) % 97,
        Some(d) => (rest * 100 + d) % 97,
        None => rest,
    })
}

/// SAM.gov's Unique Entity ID: 12 letters and digits; GSA leaves out O and I (read as 0 and 1)
/// and never starts one with 0.
fn sam_uei(value: &str) -> Result<(), String> {
    if value.chars().count() != 12 || !value.chars().all(is_upper_alnum) {
        return Err("is not a SAM Unique Entity ID: it has 12 letters and digits".into());
    }
    if value.contains(['O', 'I']) {
        return Err("is not a SAM Unique Entity ID: the letters O and I are not used".into());
    }
    if value.starts_with('0') {
        return Err("is not a SAM Unique Entity ID: it never starts with 0".into());
    }
    Ok(())
}

fn cage(value: &str) -> Result<(), String> {
    if value.len() == 5 && value.chars().all(is_upper_alnum) {
        Ok(())
    } else {
        Err("is not a CAGE code: it has 5 letters and digits".into())
    }
}

fn duns(value: &str) -> Result<(), String> {
    if value.len() == 9 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("is not a D-U-N-S number: it has 9 digits".into())
    }
}

/// An Open Supply Hub ID as the contract describes it: a 2-letter country, 7 digits (the year
/// and day of the year it was made) and 6 letters and digits. Open Supply Hub's own code also
/// ends it with a check character; the registry does not refuse on it, as the contract does
/// not ask for it and an agency's copy of an older id may predate it.
fn os_id(value: &str) -> Result<(), String> {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() == 15
        && chars[..2].iter().all(char::is_ascii_uppercase)
        && chars[2..9].iter().all(char::is_ascii_digit)
        && chars[9..].iter().all(|c| is_upper_alnum(*c))
    {
        Ok(())
    } else {
        Err(
            "is not an Open Supply Hub ID: 15 characters, a 2-letter country, 7 digits and 6 \
             letters and digits, like CN2021250D1DTN7"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests;
