//! Tax identifiers: normalised (upper case, no spaces or separators) and validated per country —
//! Mexico's RFC, Costa Rica's cédula jurídica (or a person's cédula), Panama's RUC, the US EIN,
//! and a generic pattern elsewhere.

/// A normalised, valid tax id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxId {
    value: String,
    /// For an RFC: whether its check character verifies. SAT has issued RFCs whose check
    /// character does not, so a mismatch is recorded, not refused.
    pub check_digit_ok: bool,
}

impl TaxId {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// Upper case, without spaces, `-`, `.` and `/`.
pub fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Validates `raw` for `country` (ISO alpha-2); the error says what the rule wants.
pub fn parse(country: &str, raw: &str) -> Result<TaxId, String> {
    let value = normalise(raw);
    let check_digit_ok = match country {
        "MX" => mx_rfc(&value)?,
        "CR" => cr_cedula(&value).map(|()| true)?,
        "PA" => pa_ruc(&value).map(|()| true)?,
        "US" => us_ein(&value).map(|()| true)?,
        _ => generic(&value).map(|()| true)?,
    };
    Ok(TaxId {
        value,
        check_digit_ok,
    })
}

const RFC_ALPHABET: &str = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ";

/// RFC: 3 (company) or 4 (person) letters, a real date YYMMDD, a 3-character homoclave.
/// Returns whether the check character verifies.
fn mx_rfc(value: &str) -> Result<bool, String> {
    let chars: Vec<char> = value.chars().collect();
    let want =
        "an RFC: 3 letters (company) or 4 (person), the date YYMMDD, and a 3-character homoclave";
    let letters = match chars.len() {
        12 => 3,
        13 => 4,
        _ => return Err(format!("is not {want}")),
    };
    let is_letter = |c: &char| c.is_ascii_uppercase() || *c == '&' || *c == 'Ñ';
    if !chars[..letters].iter().all(is_letter)
        || !chars[letters..letters + 6].iter().all(char::is_ascii_digit)
        || !chars[letters + 6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Err(format!("is not {want}"));
    }
    let date: String = chars[letters..letters + 6].iter().collect();
    if !is_real_date(&date) {
        return Err(format!(
            "has `{date}` where the date YYMMDD goes, which is not a real date"
        ));
    }
    if matches!(value, "XAXX010101000" | "XEXX010101000") {
        return Err("is a generic RFC (general public or foreign), not an identity".into());
    }
    Ok(rfc_check_char(&chars) == chars[chars.len() - 1])
}

/// The weighted mod-11 check character of an RFC.
fn rfc_check_char(chars: &[char]) -> char {
    let body: Vec<char> = chars[..chars.len() - 1].to_vec();
    // Companies' RFCs are left-padded with a space to 12 characters before weighing.
    let padded: Vec<char> = std::iter::repeat_n(' ', 12 - body.len())
        .chain(body)
        .collect();
    let sum: usize = padded
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let value = RFC_ALPHABET.chars().position(|a| a == *c).unwrap_or(0);
            value * (13 - i)
        })
        .sum();
    match (11 - sum % 11) % 11 {
        10 => 'A',
        n => char::from_digit(n as u32, 10).unwrap_or('0'),
    }
}

fn is_real_date(yymmdd: &str) -> bool {
    let n = |r: std::ops::Range<usize>| yymmdd[r].parse::<u32>().ok();
    let (Some(yy), Some(mm), Some(dd)) = (n(0..2), n(2..4), n(4..6)) else {
        return false;
    };
    // The century is not written; either reading gives the same validity except for 29 February,
    // which 2000 (yy = 00) and every other multiple of four allow.
    chrono::NaiveDate::from_ymd_opt(2000 + yy as i32, mm, dd).is_some()
}

/// Cédula jurídica: 10 digits, class 2–5, and for class 3 an entity type 002–014 or 101–110. A
/// person's cédula de identidad (9 digits, province 1–9) is accepted too.
fn cr_cedula(value: &str) -> Result<(), String> {
    let digits = value.chars().all(|c| c.is_ascii_digit());
    let want = "a cédula jurídica (10 digits, like 3-101-123456) or a cédula de identidad (9 digits, like 1-1234-0567)";
    match value.len() {
        10 if digits => {
            let class = &value[0..1];
            let kind: u32 = value[1..4].parse().unwrap_or(0);
            match class {
                "3" if !((2..=14).contains(&kind) || (101..=110).contains(&kind)) => Err(format!(
                    "has entity type {kind:03}, which class 3 does not have (002–014, 101–110)"
                )),
                "2" | "3" | "4" | "5" => Ok(()),
                _ => Err(format!(
                    "has class {class}; a cédula jurídica starts with 2, 3, 4 or 5"
                )),
            }
        }
        9 if digits && value.as_bytes()[0] != b'0' => Ok(()),
        _ => Err(format!("is not {want}")),
    }
}

/// RUC: a legal entity's `folio-rollo-year` (digits, optionally followed by its `DV nn`), or a
/// person's cédula (`8-123-456`, `E-…`, `N-…`, `PE-…`, `AV-…`, `PI-…`). Normalised, it is
/// 5–20 characters: an optional prefix, digits, and an optional `DV` and two digits.
fn pa_ruc(value: &str) -> Result<(), String> {
    let rest = ["PE", "AV", "PI", "E", "N"]
        .iter()
        .find_map(|p| value.strip_prefix(p))
        .unwrap_or(value);
    let (number, dv) = match rest.find("DV") {
        Some(at) => (&rest[..at], Some(&rest[at + 2..])),
        None => (rest, None),
    };
    // The registry keeps at most 20 characters of a normalised tax id.
    let ok = value.len() <= 20
        && (4..=18).contains(&number.len())
        && number.chars().all(|c| c.is_ascii_digit())
        && dv.is_none_or(|d| d.len() == 2 && d.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err("is not a RUC (like 155596713-2-2015 DV 59) or a cédula (like 8-123-456)".into())
    }
}

/// EIN: 9 digits whose first two are an IRS campus prefix.
fn us_ein(value: &str) -> Result<(), String> {
    if value.len() != 9 || !value.chars().all(|c| c.is_ascii_digit()) {
        return Err("is not an EIN (9 digits, like 12-3456789)".into());
    }
    let prefix: u32 = value[..2].parse().unwrap_or(0);
    let valid = matches!(prefix, 1..=6 | 10..=16 | 20..=27 | 30..=48 | 50..=68 | 71..=77 | 80..=88 | 90..=95 | 98 | 99);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "starts with {prefix:02}, which is not an IRS campus prefix"
        ))
    }
}

fn generic(value: &str) -> Result<(), String> {
    if (4..=20).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        Ok(())
    } else {
        Err("must be 4 to 20 letters and digits".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a company RFC with a correct check character.
    fn rfc_with_check(body: &str) -> String {
        let mut chars: Vec<char> = body.chars().collect();
        chars.push('0');
        let check = rfc_check_char(&chars);
        format!("{body}{check}")
    }

    #[test]
    fn normalising_removes_separators_and_upper_cases() {
        assert_eq!(normalise(" eba-010203.5a/1 "), "EBA0102035A1");
        assert_eq!(normalise("3-101-123456"), "3101123456");
    }

    #[test]
    fn mexican_rfcs() {
        let company = rfc_with_check("EBA0102035A");
        let person = rfc_with_check("GODE561231GR");
        let parsed = parse("MX", &company.to_lowercase()).unwrap();
        assert_eq!(parsed.as_str(), company);
        assert!(parsed.check_digit_ok);
        assert!(parse("MX", &person).unwrap().check_digit_ok);
        assert!(
            parse("MX", "Ñ&A0102035A1").is_ok(),
            "Ñ and & are letters of an RFC"
        );
        // A wrong check character is recorded, not refused.
        let mut wrong = company.clone();
        let last = if wrong.ends_with('1') { '2' } else { '1' };
        wrong.pop();
        wrong.push(last);
        assert!(!parse("MX", &wrong).unwrap().check_digit_ok);
        for bad in [
            "EBA0102035A",   // 11 characters
            "EBA0113035A1",  // month 13
            "EBA0102305A1",  // 30 February
            "EB10102035A1",  // digit among the letters
            "XAXX010101000", // generic: general public
            "XEXX010101000", // generic: foreign
            "EBA010203-5A!", // punctuation
        ] {
            assert!(parse("MX", bad).is_err(), "{bad}");
        }
        assert!(parse("MX", "EBA000229AB1").is_ok(), "29 February 2000");
    }

    #[test]
    fn the_rfc_check_character_follows_the_sat_rule() {
        // SAT's own example RFC, GODE561231GR8: the weighted sum is 1026, 1026 mod 11 = 3, and
        // 11 − 3 = 8.
        let chars: Vec<char> = "GODE561231GR8".chars().collect();
        assert_eq!(rfc_check_char(&chars), '8');
        assert!(parse("MX", "GODE-561231-GR8").unwrap().check_digit_ok);
    }

    #[test]
    fn costa_rican_cedulas() {
        assert_eq!(parse("CR", "3-101-123456").unwrap().as_str(), "3101123456");
        assert!(parse("CR", "3-102-654321").is_ok());
        assert!(parse("CR", "3-002-045433").is_ok());
        assert!(parse("CR", "4-000-042138").is_ok());
        assert!(parse("CR", "1-1234-0567").is_ok(), "a person's cédula");
        for bad in [
            "3-999-123456",
            "3-015-123456",
            "7-101-123456",
            "3101-1234",
            "310112345X",
            "0-1234-0567",
        ] {
            assert!(parse("CR", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn panamanian_rucs() {
        assert_eq!(
            parse("PA", "155596713-2-2015 DV 59").unwrap().as_str(),
            "15559671322015DV59"
        );
        assert!(parse("PA", "155596713-2-2015").is_ok());
        assert!(parse("PA", "8-123-456").is_ok());
        assert!(parse("PA", "PE-12-345").is_ok());
        assert!(parse("PA", "E-8-12345").is_ok());
        for bad in [
            "12",
            "ABC-123-456",
            "155596713-2-2015 DV 5",
            "8-123-456 DV XY",
        ] {
            assert!(parse("PA", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn us_eins() {
        assert_eq!(parse("US", "12-3456789").unwrap().as_str(), "123456789");
        for ok in ["01-0000001", "98-7654321", "99-1234567", "77-1234567"] {
            assert!(parse("US", ok).is_ok(), "{ok}");
        }
        for bad in [
            "00-1234567",
            "07-1234567",
            "17-1234567",
            "28-1234567",
            "49-1234567",
            "69-1234567",
            "70-1234567",
            "89-1234567",
            "96-1234567",
            "1234567",
            "12-345678A",
        ] {
            assert!(parse("US", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_countries_take_a_generic_pattern() {
        assert!(parse("GT", "1234567-8").is_ok());
        assert!(parse("BR", "12.345.678/0001-95").is_ok());
        for bad in ["123", "A".repeat(21).as_str(), "12_34"] {
            assert!(parse("CO", bad).is_err(), "{bad}");
        }
    }
}
