//! The supplier matcher: how sure the registry is that a candidate is the company a caller
//! describes (`POST /v1/suppliers/match`, `GET /v1/suppliers/{id}/duplicates`, `/v1/reconcile`).
//! Pure: the database finds candidates (by tax id, external reference, name trigrams, phone,
//! domain), this module scores each one.
//!
//! - `exact`: the same country and normalised tax id, or a shared `(system, value)` external
//!   reference (a tax id kept as `mx_rfc`, … counts as that country's tax id). Score 1.
//! - otherwise a weighted score of the name similarity and the independent signals, where names
//!   alone give at most `possible`; `strong` needs the same country, a name agreement and one
//!   independent signal (website or e-mail domain, phone, a location within 1 km, or a tax id one
//!   typo away), and no tax id (or LEI) that says "another legal entity".
//!
//! Scores are banded so that they sort with their strength: `exact` is 1, `strong` is in
//! [[`STRONG`], 0.99], `possible` in [[`POSSIBLE`], `STRONG` − 0.01], rounded to 0.001.

mod company;
mod evidence;
mod name;
mod party;
mod signals;

#[cfg(test)]
mod labelled;
#[cfg(test)]
mod tests;

use evidence::Evidence;

pub use company::Company;
pub use evidence::{AROUND_KM, FAR_KM, NAME_AGREEMENT, NEAR_KM, POSSIBLE, STRONG};
pub use name::{fold, name_key, similarity};
pub use party::{Party, Reason, Scored, Strength};
pub use signals::{email_domain, is_free_mail, is_shared_site, normalise_phone, website_domain};

/// How well `candidate` matches `query`; `None` below [`POSSIBLE`]. Symmetric: the query and the
/// candidate may swap.
pub fn score(query: &Party, candidate: &Party) -> Option<Scored> {
    let e = Evidence::of(query, candidate);
    let reasons = e.reasons();
    if e.is_exact() {
        return Some(Scored {
            score: 1.0,
            strength: Strength::Exact,
            reasons,
        });
    }
    let raw = e.weighted();
    let (strength, band) = if raw >= STRONG && e.strong_allowed() {
        (Strength::Strong, (STRONG, 0.99))
    } else if raw >= POSSIBLE {
        (Strength::Possible, (POSSIBLE, STRONG - 0.01))
    } else {
        return None;
    };
    let score = (raw.clamp(band.0, band.1) * 1000.0).round() / 1000.0;
    Some(Scored {
        score,
        strength,
        reasons,
    })
}
