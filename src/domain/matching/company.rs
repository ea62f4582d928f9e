//! A company as the matcher and the database lookups take it, owning its values (read from a
//! request, a stored supplier or an import row).

use super::{
    party::Party,
    signals::{is_free_mail, normalise_phone},
};

#[derive(Debug, Clone, Default)]
pub struct Company {
    pub legal_name: String,
    pub trade_name: Option<String>,
    pub country: Option<String>,
    /// Normalised.
    pub tax_id: Option<String>,
    pub subdivision: Option<String>,
    pub city: Option<String>,
    pub website: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub location: Option<(f64, f64)>,
    /// `(system, value)`, normalised.
    pub refs: Vec<(String, String)>,
}

impl Company {
    pub fn party(&self) -> Party<'_> {
        Party {
            legal_name: &self.legal_name,
            trade_name: self.trade_name.as_deref(),
            country: self.country.as_deref(),
            tax_id: self.tax_id.as_deref(),
            subdivision: self.subdivision.as_deref(),
            city: self.city.as_deref(),
            website: self.website.as_deref(),
            emails: self.emails.iter().map(String::as_str).collect(),
            phones: self.phones.iter().map(String::as_str).collect(),
            location: self.location,
            external_refs: self
                .refs
                .iter()
                .map(|(s, v)| (s.as_str(), v.as_str()))
                .collect(),
        }
    }

    /// The host of the website as the database's `website_host` keeps it (lower case, without
    /// scheme, credentials, `www.`, port or path: migration `add_identity`).
    pub fn website_host(&self) -> Option<String> {
        let url = self.website.as_deref()?;
        let rest = url.trim().split_once("://")?.1;
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = host.split(':').next()?.to_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
        (!host.is_empty()).then_some(host)
    }

    /// The phones in E.164.
    pub fn phones_e164(&self) -> Vec<String> {
        self.phones
            .iter()
            .filter_map(|p| normalise_phone(p))
            .collect()
    }

    /// The e-mail domains as stored (lower case), free-mail domains left out.
    pub fn email_domains(&self) -> Vec<String> {
        self.emails
            .iter()
            .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d.trim().to_lowercase()))
            .filter(|d| !d.is_empty() && !is_free_mail(d))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_website_host_is_what_the_database_keeps() {
        let host = |w: &str| {
            Company {
                website: Some(w.into()),
                ..Company::default()
            }
            .website_host()
        };
        assert_eq!(
            host("https://www.EnBajio.mx/contacto").as_deref(),
            Some("enbajio.mx")
        );
        assert_eq!(
            host("http://user@shop.enbajio.mx:8080?x").as_deref(),
            Some("shop.enbajio.mx")
        );
        assert_eq!(host("enbajio.mx"), None);
    }
}
