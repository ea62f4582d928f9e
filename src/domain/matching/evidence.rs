//! What two parties have in common, and how much it weighs: the thresholds and weights of the
//! matcher, and the rules that keep names alone below `strong`.

use super::name::{self, fold, name_key};
use super::party::{Party, Reason};
use super::signals::{
    self, email_domain, is_free_mail, is_shared_site, normalise_phone, website_domain,
};
use crate::domain::identifier;

/// Scores below this are no match: `score` answers `None`.
pub const POSSIBLE: f64 = 0.5;
/// Scores from this up are `strong` (1.0 is `exact`). Reached only with a name agreement, the same
/// country and an independent signal.
pub const STRONG: f64 = 0.8;
/// The pg_trgm similarity of two name keys from which the names agree.
pub const NAME_AGREEMENT: f64 = 0.5;
/// Locations at most this far apart (km) are a strong, independent signal.
pub const NEAR_KM: f64 = 1.0;
/// Locations at most this far apart (km) are a weak signal (the same industrial park or town).
pub const AROUND_KM: f64 = 10.0;
/// Locations further apart than this (km) are in different places, like different cities.
pub const FAR_KM: f64 = 50.0;

/// Systems whose value names one legal entity, so that two different values say "two
/// companies" as two tax ids do (a DUNS or CAGE code names a site, and a company has several).
const ENTITY_SYSTEMS: &[&str] = &["lei"];

/// An agreeing website or e-mail domain (counted once: a company's mail is usually on its site's
/// domain).
const W_DOMAIN: f64 = 0.3;
/// An agreeing phone number.
const W_PHONE: f64 = 0.3;
/// Locations within [`NEAR_KM`].
const W_NEAR: f64 = 0.3;
/// Locations within [`AROUND_KM`].
const W_AROUND: f64 = 0.1;
/// The same city.
const W_CITY: f64 = 0.1;
/// A tax id one typo from the other's.
const W_TAX_TYPO: f64 = 0.3;
/// Both cities known and different, or the locations further apart than [`FAR_KM`]: two
/// companies of one name in two cities are usually two companies. Counted once.
const P_PLACE: f64 = 0.2;
/// Both have phones and none agrees.
const P_PHONE: f64 = 0.05;
/// Both have company domains and none agrees.
const P_DOMAIN: f64 = 0.1;
/// Both have tax ids in the same country and they differ by more than a typo: two legal entities.
const P_TAX: f64 = 0.3;
/// Both countries known and different.
const P_COUNTRY: f64 = 0.2;

/// Agreement (`Some(true)`), disagreement (`Some(false)`) or nothing to compare (`None`).
type Verdict = Option<bool>;

/// Everything compared between two parties, before weighing.
#[derive(Debug)]
pub(super) struct Evidence {
    same_tax_id: bool,
    tax_typo: bool,
    tax_conflict: bool,
    shared_refs: Vec<String>,
    names: f64,
    country: Verdict,
    website: Verdict,
    email_domain: Verdict,
    phone: Verdict,
    distance_km: Option<f64>,
    city: Verdict,
}

impl Evidence {
    pub(super) fn of(q: &Party, c: &Party) -> Self {
        let (same_tax_id, tax_typo, tax_conflict) = compare_tax_ids(q, c);
        let (wq, wc) = (website(q), website(c));
        let (mq, mc) = (mail_domains(q), mail_domains(c));
        Evidence {
            same_tax_id,
            tax_typo,
            tax_conflict: tax_conflict || entity_refs_differ(q, c),
            shared_refs: shared_refs(q, c),
            names: name_similarity(q, c),
            country: compare(q.country, c.country, |a, b| a.eq_ignore_ascii_case(b)),
            website: compare(wq.as_deref(), wc.as_deref(), |a, b| a == b),
            email_domain: any_agrees(&mq, &mc, wq.as_deref(), wc.as_deref()),
            phone: phones(q, c),
            distance_km: q
                .location
                .zip(c.location)
                .and_then(|(a, b)| signals::distance_km(a, b)),
            city: compare(q.city, c.city, |a, b| fold(a) == fold(b)),
        }
    }

    /// The same tax id or a shared external reference.
    pub(super) fn is_exact(&self) -> bool {
        self.same_tax_id || !self.shared_refs.is_empty()
    }

    fn names_agree(&self) -> bool {
        self.names >= NAME_AGREEMENT
    }

    fn domain(&self) -> Verdict {
        match (self.website, self.email_domain) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (None, None) => None,
            _ => Some(false),
        }
    }

    fn near(&self) -> bool {
        self.distance_km.is_some_and(|d| d <= NEAR_KM)
    }

    fn around(&self) -> bool {
        self.distance_km.is_some_and(|d| d <= AROUND_KM)
    }

    /// In different places: locations further than [`FAR_KM`] apart, or different cities unless
    /// the locations are within [`AROUND_KM`] (neighbouring municipalities of one metropolitan
    /// area, Zapopan and Guadalajara, are named apart).
    fn elsewhere(&self) -> bool {
        self.distance_km.is_some_and(|d| d > FAR_KM) || (self.city == Some(false) && !self.around())
    }

    /// Names alone reach [`POSSIBLE`] when they agree (0.5 at the agreement threshold up to 0.7
    /// for equal keys) and stay below it when they do not; the other signals add or take off.
    pub(super) fn weighted(&self) -> f64 {
        let names = if self.names_agree() {
            POSSIBLE + 0.4 * (self.names - NAME_AGREEMENT)
        } else {
            0.8 * self.names
        };
        let mut total = names;
        total += signal(self.domain(), W_DOMAIN, P_DOMAIN);
        total += signal(self.phone, W_PHONE, P_PHONE);
        if self.near() {
            total += W_NEAR;
        } else if self.around() {
            total += W_AROUND;
        }
        if self.city == Some(true) {
            total += W_CITY;
        }
        if self.elsewhere() {
            total -= P_PLACE;
        }
        if self.tax_typo {
            total += W_TAX_TYPO;
        }
        if self.tax_conflict {
            total -= P_TAX;
        }
        if self.country == Some(false) {
            total -= P_COUNTRY;
        }
        total.clamp(0.0, 1.0)
    }

    /// `strong` needs the same country, agreeing names, an independent signal, and no tax id that
    /// says otherwise.
    pub(super) fn strong_allowed(&self) -> bool {
        let independent =
            self.domain() == Some(true) || self.phone == Some(true) || self.near() || self.tax_typo;
        self.country == Some(true) && self.names_agree() && independent && !self.tax_conflict
    }

    pub(super) fn reasons(&self) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if self.same_tax_id || self.tax_typo {
            reasons.push(Reason::TaxId);
        }
        reasons.extend(self.shared_refs.iter().cloned().map(Reason::ExternalRef));
        let flags = [
            (self.names_agree(), Reason::Name),
            (self.website == Some(true), Reason::Website),
            (self.email_domain == Some(true), Reason::EmailDomain),
            (self.phone == Some(true), Reason::Phone),
            (self.around(), Reason::Location),
            (self.city == Some(true), Reason::City),
        ];
        reasons.extend(flags.into_iter().filter(|(on, _)| *on).map(|(_, r)| r));
        reasons
    }
}

/// `weight` for an agreement, `-penalty` for a disagreement, 0 when there is nothing to compare.
fn signal(verdict: Verdict, weight: f64, penalty: f64) -> f64 {
    match verdict {
        Some(true) => weight,
        Some(false) => -penalty,
        None => 0.0,
    }
}

fn compare(a: Option<&str>, b: Option<&str>, same: impl Fn(&str, &str) -> bool) -> Verdict {
    let (a, b) = (
        a.filter(|s| !s.trim().is_empty())?,
        b.filter(|s| !s.trim().is_empty())?,
    );
    Some(same(a, b))
}

/// A party's tax ids as (country, value): its own, and those kept as tax-id external references.
fn tax_ids(p: &Party) -> Vec<(String, String)> {
    let own = p
        .country
        .zip(p.tax_id)
        .map(|(country, id)| (country.to_ascii_uppercase(), id.to_owned()));
    let kept = p.external_refs.iter().filter_map(|(system, value)| {
        let country = identifier::system(system)?.country?;
        Some((country.to_owned(), (*value).to_owned()))
    });
    own.into_iter()
        .chain(kept)
        .filter(|(_, id)| !id.is_empty())
        .collect()
}

/// Whether the parties share a tax id (same country), hold two one typo apart, or hold two that
/// differ more in the same country (two legal entities).
fn compare_tax_ids(q: &Party, c: &Party) -> (bool, bool, bool) {
    let (tq, tc) = (tax_ids(q), tax_ids(c));
    let pairs = || {
        tq.iter()
            .flat_map(|a| tc.iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.0 == b.0)
    };
    let same = pairs().any(|(a, b)| a.1 == b.1);
    let typo = !same && pairs().any(|(a, b)| signals::one_typo_apart(&a.1, &b.1));
    let conflict = !same && !typo && pairs().next().is_some();
    (same, typo, conflict)
}

/// Whether both parties hold a value in a system of one legal entity and no value is shared.
fn entity_refs_differ(q: &Party, c: &Party) -> bool {
    ENTITY_SYSTEMS.iter().any(|system| {
        let values = |p: &Party| -> Vec<String> {
            p.external_refs
                .iter()
                .filter(|(s, _)| s == system)
                .map(|(_, v)| (*v).to_owned())
                .collect()
        };
        let (vq, vc) = (values(q), values(c));
        !vq.is_empty() && !vc.is_empty() && !vq.iter().any(|v| vc.contains(v))
    })
}

/// The systems in which both parties hold the same value, each once.
fn shared_refs(q: &Party, c: &Party) -> Vec<String> {
    let mut systems: Vec<String> = Vec::new();
    for (system, value) in &q.external_refs {
        let shared = c
            .external_refs
            .iter()
            .any(|(s, v)| s == system && v == value && !v.is_empty());
        if shared && !systems.iter().any(|s| s == system) {
            systems.push((*system).to_owned());
        }
    }
    systems
}

/// The best pg_trgm similarity between the keys of either party's legal and trade names.
fn name_similarity(q: &Party, c: &Party) -> f64 {
    let keys = |p: &Party| -> Vec<String> {
        std::iter::once(p.legal_name)
            .chain(p.trade_name)
            .map(name_key)
            .filter(|k| !k.is_empty())
            .collect()
    };
    let (kq, kc) = (keys(q), keys(c));
    kq.iter()
        .flat_map(|a| kc.iter().map(move |b| name::key_similarity(a, b)))
        .fold(0.0, f64::max)
}

/// A company's own website domain; a shared site's says nothing.
fn website(p: &Party) -> Option<String> {
    p.website
        .and_then(website_domain)
        .filter(|d| !is_shared_site(d))
}

/// A party's e-mail domains, free mail left out.
fn mail_domains(p: &Party) -> Vec<String> {
    p.emails
        .iter()
        .filter_map(|e| email_domain(e))
        .filter(|d| !is_free_mail(d))
        .collect()
}

/// Whether the mail domains agree with each other or with the other side's website.
fn any_agrees(mq: &[String], mc: &[String], wq: Option<&str>, wc: Option<&str>) -> Verdict {
    let cross =
        mq.iter().any(|d| Some(d.as_str()) == wc) || mc.iter().any(|d| Some(d.as_str()) == wq);
    if cross || mq.iter().any(|d| mc.contains(d)) {
        return Some(true);
    }
    (!mq.is_empty() && !mc.is_empty()).then_some(false)
}

fn phones(q: &Party, c: &Party) -> Verdict {
    let norm = |p: &Party| -> Vec<String> {
        p.phones
            .iter()
            .filter_map(|raw| normalise_phone(raw))
            .collect()
    };
    let (pq, pc) = (norm(q), norm(c));
    if pq.is_empty() || pc.is_empty() {
        return None;
    }
    Some(
        pq.iter()
            .any(|a| pc.iter().any(|b| signals::phones_agree(a, b))),
    )
}
