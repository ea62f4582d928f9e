//! The grammar of a capability code: lower-case dotted parts (`atp.asm.wb`), the first starting
//! with a letter, at most five levels and 60 characters (the `capabilities.code` check of the
//! reference-data migration, which stores every code there is).

/// The most levels a code has.
pub const MAX_LEVELS: usize = 5;
/// The longest a code is.
pub const MAX_LEN: usize = 60;

/// [`is_code`] as a regular expression (with [`MAX_LEN`] beside it), for the OpenAPI document.
pub const PATTERN: &str = r"^[a-z][a-z0-9]*(\.[a-z0-9]+){0,4}$";

/// Whether `code` is a well-formed capability code (whether it exists is the taxonomy's say).
pub fn is_code(code: &str) -> bool {
    code.len() <= MAX_LEN
        && code.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && code.split('.').count() <= MAX_LEVELS
        && code.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The level of a well-formed code: 1 for a segment, 2 for a category, and so on.
pub fn level(code: &str) -> usize {
    code.split('.').count()
}

/// The code one level up (`atp.asm` for `atp.asm.wb`); none for a segment.
pub fn parent(code: &str) -> Option<&str> {
    code.rsplit_once('.').map(|(parent, _)| parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_the_grammar() {
        let re = regex::Regex::new(PATTERN).unwrap();
        for code in [
            "atp",
            "atp.asm.wb",
            "a1.b2.c3.d4.e5",
            "a.b.c.d.e.f",
            "1atp",
            "Atp",
            "atp..wb",
            "atp.",
            ".atp",
            "atp.asm-wb",
            "atp.0",
            "a.b_c",
        ] {
            assert_eq!(re.is_match(code), is_code(code), "{code}");
        }
    }

    #[test]
    fn well_formed_codes_are_lower_case_dotted_parts() {
        for code in ["atp", "atp.asm.wb", "des.ic.dig", "fab.n7", "a.b.c.d.e"] {
            assert!(is_code(code), "{code}");
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        let long = format!("a{}", "b".repeat(MAX_LEN));
        for code in [
            "",
            "ATP",
            "atp.",
            ".atp",
            "atp..asm",
            "atp.ASM",
            "7nm",
            "atp-asm",
            "atp asm",
            "a.b.c.d.e.f",
            "ató",
            &long,
        ] {
            assert!(!is_code(code), "{code}");
        }
    }

    #[test]
    fn level_and_parent_follow_the_dots() {
        assert_eq!(level("atp"), 1);
        assert_eq!(level("atp.asm.wb"), 3);
        assert_eq!(parent("atp.asm.wb"), Some("atp.asm"));
        assert_eq!(parent("atp"), None);
    }
}
