//! The types of the matcher's API: what is known of a company, and the answer.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

/// What is known of a company, as the matcher reads it. Text is raw unless said otherwise: the
/// matcher folds names, cities, phones, websites and e-mails itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Party<'a> {
    pub legal_name: &'a str,
    pub trade_name: Option<&'a str>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<&'a str>,
    /// Normalised as `tax_id::parse` does.
    pub tax_id: Option<&'a str>,
    pub subdivision: Option<&'a str>,
    pub city: Option<&'a str>,
    pub website: Option<&'a str>,
    pub emails: Vec<&'a str>,
    /// E.164 (`+523312345678`) or anything else, which keeps its digits and a leading `+`.
    pub phones: Vec<&'a str>,
    /// (latitude, longitude) in degrees.
    pub location: Option<(f64, f64)>,
    /// `(system, value)`, the value normalised by `identifier::normalise`.
    pub external_refs: Vec<(&'a str, &'a str)>,
}

impl<'a> Party<'a> {
    /// A party known by its legal name only; the other fields are set with struct update syntax.
    pub fn named(legal_name: &'a str) -> Self {
        Party {
            legal_name,
            ..Party::default()
        }
    }
}

/// How sure a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// The same tax id in the same country, or the same external reference.
    Exact,
    /// Names agree and an independent signal agrees, in the same country.
    Strong,
    /// Worth a look: names alone, or signals without agreeing names.
    Possible,
}

impl Strength {
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Exact => "exact",
            Strength::Strong => "strong",
            Strength::Possible => "possible",
        }
    }
}

/// What agreed between the query and the candidate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The same tax id, or one a typo away (then the match is at most `strong`).
    TaxId,
    /// The same value in this system.
    ExternalRef(String),
    Name,
    Website,
    EmailDomain,
    Phone,
    /// Locations within `AROUND_KM`.
    Location,
    City,
}

impl Reason {
    /// The reason as the API writes it: `tax_id`, `external_ref:<system>`, `name`, …
    pub fn as_str(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Reason::TaxId => "tax_id",
            Reason::ExternalRef(system) => return Cow::Owned(format!("external_ref:{system}")),
            Reason::Name => "name",
            Reason::Website => "website",
            Reason::EmailDomain => "email_domain",
            Reason::Phone => "phone",
            Reason::Location => "location",
            Reason::City => "city",
        })
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str())
    }
}

/// A candidate's match: `score` in [0, 1] (`exact` is 1, `strong` from `STRONG`, `possible` from
/// `POSSIBLE`), and what agreed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub score: f64,
    #[serde(rename = "match")]
    pub strength: Strength,
    pub reasons: Vec<Reason>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strengths_and_reasons_serialise_as_the_api_writes_them() {
        let s = Scored {
            score: 0.9,
            strength: Strength::Strong,
            reasons: vec![
                Reason::Name,
                Reason::ExternalRef("duns".into()),
                Reason::EmailDomain,
            ],
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "score": 0.9, "match": "strong", "reasons": ["name", "external_ref:duns", "email_domain"] })
        );
        for (strength, text) in [
            (Strength::Exact, "exact"),
            (Strength::Strong, "strong"),
            (Strength::Possible, "possible"),
        ] {
            assert_eq!(serde_json::to_value(strength).unwrap(), text);
            assert_eq!(strength.as_str(), text);
        }
        let all = [
            (Reason::TaxId, "tax_id"),
            (Reason::Website, "website"),
            (Reason::Phone, "phone"),
            (Reason::Location, "location"),
            (Reason::City, "city"),
        ];
        for (reason, text) in all {
            assert_eq!(reason.as_str(), text);
        }
    }
}
