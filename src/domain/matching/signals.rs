//! The contact signals the matcher compares besides names — phone numbers, web and e-mail
//! domains, places — each reduced to the form in which two spellings of the same thing are equal.
//! The same helpers build the database lookups that find candidates.

/// Fewer digits than this are an extension or a fragment, not a phone number.
const MIN_PHONE_DIGITS: usize = 7;

/// Mean Earth radius (IUGG), for the haversine distance.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Mail providers whose domain says nothing about the company (a shared `gmail.com` is not a
/// signal): the global ones and those common in Mexico, Central America and the US.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.es",
    "outlook.com",
    "outlook.es",
    "live.com",
    "live.com.mx",
    "msn.com",
    "yahoo.com",
    "yahoo.com.mx",
    "yahoo.es",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "prodigy.net.mx",
    "infinitummail.com",
    "protonmail.com",
    "proton.me",
    "gmx.com",
    "mail.com",
    "zoho.com",
    "racsa.co.cr",
    "ice.co.cr",
    "cwpanama.net",
    "comcast.net",
    "att.net",
    "verizon.net",
];

/// Sites on which many companies have a page: their domain alone does not tell one company from
/// another (the page's host or path does).
const SHARED_SITES: &[&str] = &[
    "facebook.com",
    "fb.com",
    "instagram.com",
    "linkedin.com",
    "twitter.com",
    "x.com",
    "google.com",
    "sites.google.com",
    "wixsite.com",
    "wix.com",
    "wordpress.com",
    "blogspot.com",
    "godaddysites.com",
    "business.site",
    "negocio.site",
    "weebly.com",
    "squarespace.com",
    "mercadolibre.com.mx",
    "amazon.com",
    "github.io",
    "linktr.ee",
];

/// Second-level labels under which country domains register names (`acme.com.mx`, `acme.co.cr`):
/// a small stand-in for the Public Suffix List that covers the countries served.
const SECOND_LEVEL: &[&str] = &[
    "com", "net", "org", "edu", "gob", "gov", "co", "ac", "or", "go", "fi", "ed", "sa", "nom",
    "mil", "ing", "abo", "med", "sld",
];

/// Digits and a leading `+` (an international `00` prefix becomes `+`): `+52 (33) 1234-5678`,
/// `0052 33 1234 5678` and `+523312345678` are all `+523312345678`. `None` when fewer than 7
/// digits remain.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim_start();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let (plus, digits) = match digits.strip_prefix("00") {
        Some(rest) if !trimmed.starts_with('+') => (true, rest.to_owned()),
        _ => (trimmed.starts_with('+'), digits),
    };
    if digits.len() < MIN_PHONE_DIGITS {
        return None;
    }
    Some(if plus { format!("+{digits}") } else { digits })
}

/// Whether two normalised phone numbers are the same line: equal in E.164 (Mexico's retired
/// mobile `1` after `+52` ignored), or a national number (no `+`) equal to the end of the other.
pub fn phones_agree(a: &str, b: &str) -> bool {
    let (a, b) = (drop_mx_mobile_one(a), drop_mx_mobile_one(b));
    if a.starts_with('+') && b.starts_with('+') {
        return a == b;
    }
    let (da, db) = (a.trim_start_matches('+'), b.trim_start_matches('+'));
    let (short, long) = if da.len() <= db.len() {
        (da, db)
    } else {
        (db, da)
    };
    short.len() >= MIN_PHONE_DIGITS && long.ends_with(short)
}

/// `+521` + 10 digits was Mexico's mobile form until 2019; it is the same line as `+52` + 10.
fn drop_mx_mobile_one(phone: &str) -> String {
    match phone.strip_prefix("+521") {
        Some(rest) if rest.len() == 10 => format!("+52{rest}"),
        _ => phone.to_owned(),
    }
}

/// The registrable domain of a website: scheme, user, port, path, query and `www.` taken away,
/// lower case, and only the name registered under its public suffix (`https://Ventas.Acme.com.mx:8443/x`
/// → `acme.com.mx`). On a site that hosts many companies the whole host is kept
/// (`acme.wixsite.com`). `None` when nothing like a host is there.
pub fn website_domain(raw: &str) -> Option<String> {
    let text = raw.trim();
    let after_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    let authority = after_scheme
        .split(['/', '?', '#', '\\'])
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = strip_port(host_port).trim_end_matches('.').to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    if !is_host(host) {
        return None;
    }
    Some(registrable(host))
}

fn strip_port(host_port: &str) -> &str {
    match host_port.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => host_port,
    }
}

fn is_host(host: &str) -> bool {
    host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

/// The registered name of `host`: its last two labels, or three under a country's second level
/// (`com.mx`, `co.cr`); the whole host on a shared site.
fn registrable(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let under_second_level =
        n >= 3 && labels[n - 1].len() == 2 && SECOND_LEVEL.contains(&labels[n - 2]);
    let keep = if under_second_level { 3 } else { 2 };
    let domain = labels[n.saturating_sub(keep)..].join(".");
    if SHARED_SITES.contains(&domain.as_str()) {
        host.to_owned()
    } else {
        domain
    }
}

/// The registrable domain of an e-mail address (`Ventas@MX.Acme.com` → `acme.com`).
pub fn email_domain(raw: &str) -> Option<String> {
    let (_, domain) = raw.trim().rsplit_once('@')?;
    let host = domain.trim_end_matches(['.', '>']).to_lowercase();
    is_host(&host).then(|| registrable(&host))
}

/// Whether a domain is a free mail provider's, which many unrelated companies share.
pub fn is_free_mail(domain: &str) -> bool {
    FREE_MAIL.contains(&domain)
}

/// Whether a website domain is a shared site's (a social network, a site builder) rather than
/// the company's own.
pub fn is_shared_site(domain: &str) -> bool {
    SHARED_SITES.contains(&domain)
}

/// The great-circle (haversine) distance between two (lat, lon) points in kilometres; `None`
/// when either point is not a place on Earth.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> Option<f64> {
    let valid =
        |(lat, lon): (f64, f64)| (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    if !valid(a) || !valid(b) {
        return None;
    }
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let (dlat, dlon) = ((b.0 - a.0).to_radians(), (b.1 - a.1).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    Some(2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin())
}

/// Whether two different strings are one typo apart: one character inserted, deleted or
/// replaced, or two neighbours swapped (an optimal-string-alignment distance of 1).
pub fn one_typo_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match (a.len(), b.len()) {
        (x, y) if x == y => {
            a[1..] == b[1..] || (x >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..])
        }
        (x, y) if x + 1 == y => a == &b[1..],
        (x, y) if y + 1 == x => &a[1..] == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(
            normalise_phone("+52 (33) 1234-5678").as_deref(),
            Some("+523312345678")
        );
        assert_eq!(
            normalise_phone("0052 33 1234 5678").as_deref(),
            Some("+523312345678")
        );
        assert_eq!(
            normalise_phone("(33) 1234 5678").as_deref(),
            Some("3312345678")
        );
        assert_eq!(
            normalise_phone("+1 555-0100 ext. 12").as_deref(),
            Some("+1555010012")
        );
        assert_eq!(normalise_phone("ext. 123"), None);
        assert_eq!(normalise_phone(""), None);
    }

    #[test]
    fn phones_agree_in_e164_or_by_their_national_number() {
        assert!(phones_agree("+523312345678", "+523312345678"));
        assert!(phones_agree("+5213312345678", "+523312345678"));
        assert!(phones_agree("3312345678", "+523312345678"));
        assert!(phones_agree("22345678", "+50622345678"));
        assert!(!phones_agree("+523312345678", "+523312345679"));
        assert!(
            !phones_agree("+13312345678", "+523312345678"),
            "another country"
        );
        assert!(
            !phones_agree("345678", "+523312345678"),
            "too short to tell"
        );
    }

    #[test]
    fn website_domains_are_registrable_names() {
        let d = |raw| website_domain(raw);
        assert_eq!(
            d("https://www.Acme.com/contacto").as_deref(),
            Some("acme.com")
        );
        assert_eq!(
            d("http://ventas.acme.com.mx:8080/?q=1").as_deref(),
            Some("acme.com.mx")
        );
        assert_eq!(d("acme.co.cr").as_deref(), Some("acme.co.cr"));
        assert_eq!(d("WWW.ACME.COM.PA.").as_deref(), Some("acme.com.pa"));
        assert_eq!(d("https://user@shop.acme.io").as_deref(), Some("acme.io"));
        assert_eq!(d("https://acme.mx").as_deref(), Some("acme.mx"));
        assert_eq!(
            d("https://maquinados.wixsite.com/home").as_deref(),
            Some("maquinados.wixsite.com")
        );
        assert_eq!(
            d("https://www.facebook.com/maquinados").as_deref(),
            Some("facebook.com")
        );
        assert!(is_shared_site("facebook.com"));
        assert_eq!(d("no tenemos"), None);
        assert_eq!(d(""), None);
    }

    #[test]
    fn email_domains() {
        assert_eq!(
            email_domain("Ventas@MX.Acme.com").as_deref(),
            Some("acme.com")
        );
        assert_eq!(
            email_domain("compras@acme.com.mx").as_deref(),
            Some("acme.com.mx")
        );
        assert_eq!(email_domain("nobody"), None);
        assert!(is_free_mail(
            &email_domain("x@gmail.com").unwrap_or_default()
        ));
        assert!(is_free_mail(
            &email_domain("x@prodigy.net.mx").unwrap_or_default()
        ));
        assert!(!is_free_mail("acme.com"));
    }

    #[test]
    fn distances() {
        // Guadalajara cathedral to Zapopan's basilica: about 6 km.
        let km = distance_km((20.6767, -103.3475), (20.7214, -103.3917)).unwrap();
        assert!((6.0..7.0).contains(&km), "{km}");
        assert_eq!(distance_km((20.0, -103.0), (20.0, -103.0)), Some(0.0));
        assert_eq!(distance_km((91.0, 0.0), (0.0, 0.0)), None);
        assert_eq!(distance_km((f64::NAN, 0.0), (0.0, 0.0)), None);
    }

    #[test]
    fn typos() {
        assert!(one_typo_apart("EBA0102035A1", "EBA0102035A2"), "replaced");
        assert!(one_typo_apart("EBA0102035A1", "EBA0120035A1"), "swapped");
        assert!(one_typo_apart("3101123456", "310112345"), "deleted");
        assert!(one_typo_apart("310112345", "3101123456"), "inserted");
        assert!(!one_typo_apart("EBA0102035A1", "EBA0102035A1"), "equal");
        assert!(!one_typo_apart("EBA0102035A1", "EBA0102036B1"), "two apart");
        assert!(!one_typo_apart("123", "321"));
    }
}
