//! The text-input rules, pure: what no text may hold (a C0/C1 control other than tab, line feed
//! and carriage return — PostgreSQL refuses a NUL, so it must never get that far), and what a
//! name must be besides (no bidirectional controls, a visible character once whitespace and
//! format characters are taken away). The JSON body reader, the query and path check, imports
//! and the name rules all ask here.

use serde_json::Value;

use super::FieldError;

/// A control character that no text may hold: every C0 and C1 control (and DEL) but tab, line
/// feed and carriage return.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether `text` holds a forbidden control character.
pub fn has_control(text: &str) -> bool {
    text.chars().any(is_forbidden_control)
}

/// The error for a control character in `field`.
pub fn control_error(field: impl Into<String>) -> FieldError {
    FieldError::new(
        field,
        "control_character",
        "must not contain a NUL or another control character (tab, line feed and carriage return aside)",
    )
}

/// A forbidden control character in `text`, reported against `field`.
pub fn check(field: &str, text: &str) -> Option<FieldError> {
    has_control(text).then(|| control_error(field))
}

/// A bidirectional embedding, override or isolate control (U+202A–U+202E, U+2066–U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that shows nothing: whitespace, the invisible format characters (zero-width space
/// and joiners U+200B–U+200F, U+2060–U+206F, the byte-order mark, the soft hyphen, the Arabic
/// letter mark U+061C, the Mongolian vowel separator U+180E, the interlinear annotation marks
/// U+FFF9–U+FFFB, the tag characters U+E0000–U+E007F), the combining grapheme joiner U+034F,
/// the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0) and the blank Braille pattern U+2800.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// The rules a name (`legal_name`, `trade_name`, a user's or client's `name`) meets beyond its
/// length: no control, no bidirectional control, and something visible left once whitespace and
/// format characters are removed. `None` when it meets them.
pub fn check_name(field: &str, name: &str) -> Option<FieldError> {
    if let Some(error) = check(field, name) {
        return Some(error);
    }
    if name.chars().any(is_bidi_control) {
        return Some(FieldError::new(
            field,
            "bidi_control",
            "must not contain bidirectional controls (U+202A–U+202E, U+2066–U+2069)",
        ));
    }
    if !name.is_empty() && name.chars().all(is_invisible) {
        return Some(FieldError::new(
            field,
            "not_visible",
            "must have a visible character, not only spaces or zero-width characters",
        ));
    }
    None
}

/// The forbidden controls of [`is_forbidden_control`], as the inside of a regular-expression
/// class (ECMA-262 syntax, for the OpenAPI document's `pattern`s).
const CONTROLS_CLASS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";
/// `char::is_whitespace` (Unicode White_Space), as the inside of a class.
const WHITESPACE_CLASS: &str =
    r"\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// The bidirectional controls of [`is_bidi_control`], as the inside of a class.
const BIDI_CLASS: &str = r"\u202A-\u202E\u2066-\u2069";
/// The format characters of [`is_invisible`] in the Basic Multilingual Plane, as the inside of a
/// class (the tag characters U+E0000–U+E007F cannot be written in a BMP class).
const FORMAT_CLASS: &str = r"\u200B-\u200F\u2060-\u206F\uFEFF\u00AD\u034F\u061C\u115F\u1160\u180E\u2800\u3164\uFFA0\uFFF9-\uFFFB";

/// The `pattern` of free text that must not be blank: no forbidden control, and a character
/// that is not whitespace.
pub fn text_pattern() -> String {
    let c = CONTROLS_CLASS;
    format!("^[^{c}]*[^{c}{WHITESPACE_CLASS}][^{c}]*$")
}

/// The `pattern` of a name: no forbidden or bidirectional control, and a visible character.
pub fn name_pattern() -> String {
    let no = format!("{CONTROLS_CLASS}{BIDI_CLASS}");
    format!("^[^{no}]*[^{no}{WHITESPACE_CLASS}{FORMAT_CLASS}][^{no}]*$")
}

/// The `pattern` of an account's or a label's name (`domain::accounts::check_name`): no control
/// at all (tab and line breaks included), no bidirectional control, and a visible character.
pub fn strict_name_pattern() -> String {
    let no = r"\u0000-\u001F\u007F-\u009F";
    format!(
        "^[^{no}{BIDI_CLASS}]*[^{no}{BIDI_CLASS}{WHITESPACE_CLASS}{FORMAT_CLASS}][^{no}{BIDI_CLASS}]*$"
    )
}

/// The `pattern` of an http(s) URL as the supplier rules take it (it is stored as sent): a
/// lower-case scheme, a host, and no whitespace or control character anywhere (the URL must
/// also parse).
pub fn http_url_pattern() -> String {
    let no = format!("{WHITESPACE_CLASS}{CONTROLS_CLASS}");
    format!("^https?://[^{no}/?#]+[^{no}]*$")
}

/// The `pattern` of text with no forbidden control (it may be blank).
pub fn plain_pattern() -> String {
    format!("^[^{CONTROLS_CLASS}]*$")
}

/// Every string and object key in `value` that holds a forbidden control, named by its path
/// (`capabilities[0].parameters.unit`); `path` is where `value` lies (empty at the top).
pub fn check_value(path: &str, value: &Value, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(s) if has_control(s) => errors.push(control_error(name_of(path))),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_value(&format!("{path}[{i}]"), item, errors);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let inner = join(path, key);
                if has_control(key) {
                    errors.push(control_error(inner));
                } else {
                    check_value(&inner, item, errors);
                }
            }
        }
        _ => {}
    }
}

/// `key` inside `path`; a key's control characters are written escaped, so that the name of the
/// field never carries one itself.
pub fn join(path: &str, key: &str) -> String {
    let key = if has_control(key) {
        key.chars()
            .map(|c| {
                if is_forbidden_control(c) {
                    format!("\\u{:04x}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        key.to_owned()
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

fn name_of(path: &str) -> String {
    if path.is_empty() {
        "body".into()
    } else {
        path.to_owned()
    }
}

/// Whether a spreadsheet would read a cell starting with `c` as a formula (OWASP "CSV
/// injection": `=`, `+`, `-`, `@`, tab, carriage return).
fn starts_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A text cell for a CSV export: one that a spreadsheet would run as a formula is written with a
/// leading `'` (OWASP), so that it shows as text; any other is written as stored.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if starts_formula(text) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A text cell read from a CSV import: the `'` that [`csv_cell`] put before a formula-like text
/// is taken away again, so that an export imported back stores what it showed.
pub fn from_csv_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_formula(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Every character of the Basic Multilingual Plane but the surrogates.
    fn bmp() -> impl Iterator<Item = char> {
        (0u32..=0xFFFF).filter_map(char::from_u32)
    }

    fn regex(pattern: &str) -> regex::Regex {
        regex::Regex::new(pattern).unwrap()
    }

    #[test]
    fn the_text_pattern_is_the_text_rule() {
        let text = regex(&text_pattern());
        let plain = regex(&plain_pattern());
        for c in bmp() {
            let allowed = !is_forbidden_control(c);
            assert_eq!(plain.is_match(&format!("a{c}")), allowed, "{c:?}");
            assert_eq!(text.is_match(&format!("a{c}")), allowed, "{c:?}");
            assert_eq!(
                text.is_match(&c.to_string()),
                allowed && !c.is_whitespace(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn the_name_patterns_are_the_name_rules() {
        let name = regex(&name_pattern());
        let strict = regex(&strict_name_pattern());
        for c in bmp() {
            let alone = c.to_string();
            assert_eq!(
                name.is_match(&alone),
                check_name("n", &alone).is_none(),
                "{c:?}"
            );
            assert_eq!(
                name.is_match(&format!("a{c}")),
                check_name("n", &format!("a{c}")).is_none(),
                "{c:?}"
            );
            let account = !c.is_control() && check_name("n", &alone).is_none();
            assert_eq!(strict.is_match(&alone), account, "{c:?}");
        }
    }

    #[test]
    fn controls_but_tab_lf_cr_are_refused() {
        for c in ['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            assert!(has_control(&format!("a{c}b")), "{c:?}");
        }
        for text in ["a\tb", "a\nb", "a\r\nb", "Nájera", "\u{200B}"] {
            assert!(!has_control(text), "{text:?}");
        }
    }

    #[test]
    fn names_refuse_bidi_and_invisible_text() {
        assert_eq!(check_name("n", "Ensambles del Bajío"), None);
        assert_eq!(check_name("n", "שלום"), None);
        let code = |s: &str| check_name("n", s).map(|e| e.code);
        assert_eq!(code("a\u{202E}b").as_deref(), Some("bidi_control"));
        assert_eq!(code("a\u{2066}b").as_deref(), Some("bidi_control"));
        assert_eq!(
            code("\u{200B}\u{200C} \u{FEFF}").as_deref(),
            Some("not_visible")
        );
        assert_eq!(code("\u{2060}\u{200D}").as_deref(), Some("not_visible"));
        for blank in [
            "\u{3164}\u{3164}",
            "\u{E0041}\u{E0042}",
            "\u{061C}\u{180E}",
            "\u{2800}",
        ] {
            assert_eq!(code(blank).as_deref(), Some("not_visible"), "{blank:?}");
        }
        assert_eq!(code("\u{3164}A").as_deref(), None);
        assert_eq!(code("a\0").as_deref(), Some("control_character"));
        // A joiner inside a visible name is fine (emoji sequences, Indic scripts).
        assert_eq!(check_name("n", "a\u{200D}b"), None);
    }

    #[test]
    fn values_are_walked_and_fields_named() {
        let body = json!({
            "website": "https://x\u{0}",
            "capabilities": [{ "code": "ok" }, { "code": "a\u{0}", "parameters": { "k\u{0}": "v" } }],
            "contacts": [{ "name": "tab\tok" }]
        });
        let mut errors = Vec::new();
        check_value("", &body, &mut errors);
        let mut fields: Vec<_> = errors.into_iter().map(|e| e.field).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "capabilities[1].code",
                "capabilities[1].parameters.k\\u0000",
                "website"
            ]
        );
    }

    #[test]
    fn formula_cells_are_neutralised_and_read_back() {
        for text in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let cell = csv_cell(text);
            assert_eq!(cell, format!("'{text}"));
            assert_eq!(from_csv_cell(&cell), text);
        }
        for text in ["Acme", "", "'quoted", "a=b"] {
            assert_eq!(csv_cell(text), text);
            assert_eq!(from_csv_cell(text), text);
        }
    }
}
