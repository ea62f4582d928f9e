//! Tests of the identifier systems: real LEIs and OS IDs, wrong check digits, each system's good
//! and bad values.

use super::*;

fn ok(system: &str, raw: &str) -> String {
    normalise(system, raw).unwrap_or_else(|e| panic!("{system} {raw}: {e}"))
}

fn bad(system: &str, raw: &str) -> String {
    normalise(system, raw).expect_err(&format!("{system} {raw} must be refused"))
}

/// Makes an LEI's check digits, as ISO 7064 mod 97-10 does: 98 − (body·100 mod 97).
fn with_lei_check(body: &str) -> String {
    let check = 98 - mod97(&format!("{body}00"));
    format!("{body}{check:02}")
}

#[test]
fn real_leis_verify() {
    // GLEIF's public records: Bloomberg Finance L.P., Apple Inc., Walmart Inc.
    for lei in [
        "5493001KJTIIGC8Y1R12",
        "HWUPKR0MPOU8FGXBT394",
        "Y87794H0US1R65VBXU25",
    ] {
        assert_eq!(ok("lei", lei), lei);
    }
    assert_eq!(
        ok("lei", " 5493 001K-JTII.GC8Y 1R12 "),
        "5493001KJTIIGC8Y1R12"
    );
    assert_eq!(ok("lei", "hwupkr0mpou8fgxbt394"), "HWUPKR0MPOU8FGXBT394");
    assert_eq!(with_lei_check("5493001KJTIIGC8Y1R"), "5493001KJTIIGC8Y1R12");
}

#[test]
fn leis_with_wrong_check_digits_or_shape_are_refused() {
    let e = bad("lei", "5493001KJTIIGC8Y1R13");
    assert_eq!(e, "is not a valid LEI: the check digits do not match");
    bad("lei", "HWUPKR0MPOU8FGXBT349"); // transposed check digits
    bad("lei", "HWUPKR0MPOU8GFXBT394"); // transposed body characters
    bad("lei", "5493001KJTIIGC8Y1R1"); // 19 characters
    bad("lei", "5493001KJTIIGC8Y1R1X"); // a letter among the check digits
    bad("lei", "5493001KJTIIGC8Y1R_2");
}

#[test]
fn sam_ueis() {
    assert_eq!(ok("sam_uei", "ab12-cd34 ef56"), "AB12CD34EF56");
    assert!(bad("sam_uei", "AB12CD34EF5O").contains("O and I"));
    assert!(bad("sam_uei", "AB12CD34EFI6").contains("O and I"));
    assert!(bad("sam_uei", "0B12CD34EF56").contains("never starts with 0"));
    bad("sam_uei", "AB12CD34EF5");
    bad("sam_uei", "AB12CD34EF567");
}

#[test]
fn cage_and_duns() {
    assert_eq!(ok("cage", "1abc2"), "1ABC2");
    assert_eq!(ok("cage", " 0J4R7 "), "0J4R7");
    bad("cage", "1ABC");
    bad("cage", "1AB#2");
    assert_eq!(ok("duns", "15-048-3782"), "150483782");
    assert_eq!(ok("duns", "15.048.3782"), "150483782");
    bad("duns", "15048378");
    bad("duns", "15048378X");
}

#[test]
fn open_supply_hub_ids() {
    // A published facility id on opensupplyhub.org, and the contract's shape.
    assert_eq!(ok("os_id", "CN2021250D1DTN7"), "CN2021250D1DTN7");
    assert_eq!(ok("os_id", "cn-2021250-d1dtn-7"), "CN2021250D1DTN7");
    assert_eq!(ok("os_id", "MX2024123ABC12D"), "MX2024123ABC12D");
    bad("os_id", "M12024123ABC12Q");
    bad("os_id", "MX2024123ABC12");
    bad("os_id", "MX20241234BC12QX");
    bad("os_id", "MXA024123ABC12Q");
}

#[test]
fn tax_id_systems_normalise_as_tax_ids_do() {
    assert_eq!(ok("mx_rfc", "gode-561231-gr8"), "GODE561231GR8");
    bad("mx_rfc", "EBA0113035A1");
    assert_eq!(ok("cr_cedula", "3-101-123456"), "3101123456");
    bad("cr_cedula", "3-999-123456");
    assert_eq!(ok("pa_ruc", "155596713-2-2015 DV 59"), "15559671322015DV59");
    bad("pa_ruc", "ABC-123-456");
    assert_eq!(ok("us_ein", "12-3456789"), "123456789");
    bad("us_ein", "07-1234567");
}

#[test]
fn other_systems_take_trimmed_free_text_under_a_well_formed_code() {
    assert_eq!(
        ok("sap_vendor", "  V-00123 / planta 2 "),
        "V-00123 / planta 2"
    );
    assert_eq!(ok("x", "a"), "a");
    bad("sap_vendor", "   ");
    bad("sap_vendor", &"x".repeat(201));
    assert_eq!(ok("sap_vendor", &"é".repeat(200)).chars().count(), 200);
    bad("sap_vendor", "V-001\u{0}");
    // Tab and line breaks are free text's, as in every other free field.
    assert_eq!(ok("sap_vendor", "V-001\nplanta"), "V-001\nplanta");
    bad("sap_vendor", "V-001\u{7}");
    for code in ["LEI", "sap-vendor", "", &"a".repeat(41), "código"] {
        assert!(bad(code, "1").contains("not a system code"), "{code}");
    }
    assert!(is_system_code(&"a".repeat(40)));
}

#[test]
fn every_patterns_matches_its_normalised_examples() {
    let examples = [
        ("lei", "HWUPKR0MPOU8FGXBT394"),
        ("sam_uei", "AB12CD34EF56"),
        ("cage", "0J4R7"),
        ("duns", "150483782"),
        ("os_id", "CN2021250D1DTN7"),
        ("mx_rfc", "GODE561231GR8"),
        ("mx_rfc", "Ñ&A0102035A1"),
        ("cr_cedula", "3-101-123456"),
        ("cr_cedula", "1-1234-0567"),
        ("pa_ruc", "155596713-2-2015 DV 59"),
        ("pa_ruc", "PE-12-345"),
        ("us_ein", "12-3456789"),
    ];
    for (code, raw) in examples {
        let pattern = system(code).and_then(|s| s.pattern).unwrap();
        let re = regex::Regex::new(pattern).unwrap();
        assert!(re.is_match(&ok(code, raw)), "{code} {raw} ~ {pattern}");
    }
    assert_eq!(SYSTEMS.iter().filter(|s| s.pattern.is_none()).count(), 0);
}

#[test]
fn tax_id_systems_by_country() {
    assert_eq!(tax_id_system("MX"), Some("mx_rfc"));
    assert_eq!(tax_id_system("CR"), Some("cr_cedula"));
    assert_eq!(tax_id_system("PA"), Some("pa_ruc"));
    assert_eq!(tax_id_system("us"), Some("us_ein"));
    assert_eq!(tax_id_system("GT"), None);
    for s in SYSTEMS {
        assert!(is_system_code(s.code), "{}", s.code);
        if let Some(country) = s.country {
            assert_eq!(tax_id_system(country), Some(s.code));
        }
    }
}

#[test]
fn the_input_patterns_say_what_normalise_accepts() {
    let good = [
        ("lei", "5493 001kj-TIIGC8Y1R12"),
        ("sam_uei", "J7m9-HPTGJ1S8"),
        ("cage", "1a2b3"),
        ("duns", "12-345-6789"),
        ("os_id", "cn.2021250.d1dtn7"),
    ];
    let bad = [
        ("lei", "5493\t001KJTIIGC8Y1R12"),
        ("lei", "5493001KJTIIGC8Y1R1"),
        ("sam_uei", "OABCDEFGHJKL"),
        ("cage", "12_45"),
        ("duns", "12345678"),
        ("os_id", "CN2021250D1DTN"),
    ];
    for (system, pattern) in super::input_patterns() {
        let re = regex::Regex::new(&pattern).expect("pattern");
        for (s, v) in good.iter().filter(|(s, _)| *s == system) {
            assert!(re.is_match(v), "{s} {v}");
            assert!(normalise(s, v).is_ok(), "{s} {v}");
        }
        for (s, v) in bad.iter().filter(|(s, _)| *s == system) {
            assert!(!re.is_match(v), "{s} {v}");
            assert!(normalise(s, v).is_err(), "{s} {v}");
        }
    }
}
