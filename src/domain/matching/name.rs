//! Company names as the matcher compares them: folded (accents, case, punctuation) and without
//! the legal-form suffix, then compared by trigrams exactly as PostgreSQL's pg_trgm
//! `similarity()` does, so that the score of a candidate agrees with the database query that found
//! it.

use std::collections::HashSet;

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Legal-form suffixes, written without punctuation or spaces: a name's trailing words are
/// joined and compared with these, so `S.A. de C.V.`, `SA de CV` and `S A DE C V` are all
/// `sadecv`. The forms of Mexico, Costa Rica, Panama and the US.
const LEGAL_FORMS: &[&str] = &[
    "sadecv",
    "sabdecv",
    "sapidecv",
    "sapibdecv",
    "sderldecv",
    "sderlmi",
    "sderl",
    "sdeccv",
    "srl",
    "sa",
    "sc",
    "sas",
    "sociedadanonima",
    "sociedadcivil",
    "ltda",
    "inc",
    "incorporated",
    "llc",
    "pllc",
    "llp",
    "lp",
    "corp",
    "corporation",
    "co",
    "ltd",
    "limited",
    "company",
];

/// The longest legal form counts this many words (`s a p i b de c v`).
const MAX_FORM_WORDS: usize = 8;

/// Connectors left dangling once a suffix is gone (`Hermanos y Cía`, `Smith & Co.`).
const CONNECTORS: &[&str] = &["y", "and", "cia"];

/// Lower case, without accents (NFD, combining marks dropped), every character that is not a
/// letter or a digit turned into a space, spaces collapsed. Cities are compared this way too.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if c == '&' {
            // `&` is read as the Spanish `y`: most names here are Spanish, and `and` is folded
            // to `y` below so English names agree with themselves either way.
            out.push_str(" y ");
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace()
        .map(|w| if w == "and" { "y" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The name as compared: [`fold`]ed, then the legal-form suffixes at the end stripped (repeatedly:
/// `Acme Corp. Inc.`), and a connector left at the end with them; a name that is nothing but a
/// legal form keeps its last word.
pub fn name_key(name: &str) -> String {
    let folded = fold(name);
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    while let Some(keep) = without_suffix(&words) {
        words.truncate(keep);
    }
    words.join(" ")
}

/// How many words remain once one legal form (or a dangling connector) is taken off the end, when
/// one is there and at least one word would remain.
fn without_suffix(words: &[&str]) -> Option<usize> {
    let most = MAX_FORM_WORDS.min(words.len().saturating_sub(1));
    let form = (1..=most).rev().find(|&n| {
        let joined: String = words[words.len() - n..].concat();
        LEGAL_FORMS.contains(&joined.as_str())
    });
    form.map(|n| words.len() - n).or_else(|| {
        let last = words.last()?;
        (words.len() > 1 && CONNECTORS.contains(last)).then(|| words.len() - 1)
    })
}

/// pg_trgm's trigrams of `text`: each word (a run of letters and digits), lower-cased, padded with
/// two spaces before and one after, cut into every 3-character window; a set.
pub fn trigrams(text: &str) -> HashSet<[char; 3]> {
    let mut set = HashSet::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let padded: Vec<char> = "  "
            .chars()
            .chain(word.chars().flat_map(char::to_lowercase))
            .chain(" ".chars())
            .collect();
        set.extend(padded.windows(3).map(|w| [w[0], w[1], w[2]]));
    }
    set
}

/// pg_trgm's `similarity(a, b)`: shared trigrams over all trigrams of either, 0 when either
/// has none.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (ta, tb) = (trigrams(a), trigrams(b));
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let shared = ta.intersection(&tb).count();
    shared as f64 / (ta.len() + tb.len() - shared) as f64
}

/// The similarity of two name keys: 1 when equal (and not empty), else [`similarity`].
pub fn key_similarity(a: &str, b: &str) -> f64 {
    if !a.is_empty() && a == b {
        1.0
    } else {
        similarity(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_accents_case_and_punctuation() {
        assert_eq!(
            fold("  Maquinados  Nájera, S.A.! "),
            "maquinados najera s a"
        );
        assert_eq!(fold("ÑANDÚ Ôptica"), "nandu optica");
        assert_eq!(fold("Smith & Sons"), "smith y sons");
        assert_eq!(fold("Smith and Sons"), "smith y sons");
        assert_eq!(fold("São José"), fold("SAO JOSE"));
    }

    #[test]
    fn every_spelling_of_a_legal_form_is_stripped() {
        for name in [
            "Maquinados Nájera S.A. de C.V.",
            "MAQUINADOS NAJERA SA DE CV",
            "Maquinados Najera S A DE C V",
            "Maquinados Nájera, S.A.P.I. de C.V.",
            "Maquinados Nájera S. de R.L. de C.V.",
            "Maquinados Nájera S. de R.L.",
            "Maquinados Najera SRL",
            "Maquinados Najera S.A.",
            "Maquinados Najera, S.C.",
            "Maquinados Najera Ltda.",
            "Maquinados Najera Sociedad Anónima",
            "Maquinados Najera Inc.",
            "Maquinados Najera, LLC",
            "Maquinados Najera L.L.C.",
            "Maquinados Najera Corp.",
            "Maquinados Najera Corporation",
            "Maquinados Najera Co.",
            "Maquinados Najera Ltd.",
            "Maquinados Najera Limited",
            "Maquinados Najera Company",
            "Maquinados Najera Corp. Inc.",
            "Maquinados Najera Company, Inc.",
            "Maquinados Najera & Co.",
            "Maquinados Najera y Cía., S.A.",
        ] {
            assert_eq!(name_key(name), "maquinados najera", "{name}");
        }
    }

    #[test]
    fn a_suffix_is_only_taken_off_the_end_and_whole() {
        assert_eq!(name_key("Casa Inc Mexicana"), "casa inc mexicana");
        assert_eq!(name_key("Cosa Nostra"), "cosa nostra");
        assert_eq!(name_key("Disco SA"), "disco");
        assert_eq!(name_key("Textiles Saco"), "textiles saco");
        assert_eq!(name_key("Company"), "company");
        assert_eq!(name_key("S.A. de C.V."), "s a de c v");
        assert_eq!(name_key(""), "");
    }

    #[test]
    fn trigrams_follow_pg_trgm() {
        // The examples in pg_trgm's documentation.
        let cat: HashSet<[char; 3]> = [
            [' ', ' ', 'c'],
            [' ', 'c', 'a'],
            ['c', 'a', 't'],
            ['a', 't', ' '],
        ]
        .into();
        assert_eq!(trigrams("cat"), cat);
        assert_eq!(trigrams("foo|bar").len(), 8);
        assert_eq!(trigrams("a").len(), 2);
        // Repeated trigrams count once: "aaa" → "  a", " aa", "aaa", "aa ".
        assert_eq!(trigrams("aaa aaa").len(), 4);
    }

    #[test]
    fn similarity_is_pg_trgms() {
        // PostgreSQL: SELECT similarity('word', 'two words') → 0.36363637, that is 4 / 11.
        assert!((similarity("word", "two words") - 4.0 / 11.0).abs() < 1e-9);
        assert!((similarity("cat", "cat") - 1.0).abs() < 1e-9);
        assert_eq!(similarity("", "cat"), 0.0);
        assert_eq!(similarity("abc", "xyz"), 0.0);
        // "najera" vs "nagera": 7 trigrams each, 4 shared ("  n", " na", "era", "ra ") → 4 / 10.
        assert!((similarity("najera", "nagera") - 0.4).abs() < 1e-9);
        assert_eq!(key_similarity("acme", "acme"), 1.0);
        assert_eq!(key_similarity("", ""), 0.0);
    }
}
