//! Webhook rules with no I/O: which target URLs and addresses may be called (SSRF defence), the
//! signing secret, and the Standard Webhooks signature.
//!
//! Addresses fall in three classes. Link-local (169.254.0.0/16, where cloud metadata lives, and
//! fe80::/10), unspecified, multicast, broadcast and reserved addresses are never called.
//! Loopback, private (RFC 1918, unique-local fc00::/7), shared (CGNAT 100.64.0.0/10) and the
//! documentation and benchmarking ranges are called only when the operator allows private targets
//! (`WEBHOOK_ALLOW_PRIVATE_TARGETS=true`, for tests and closed networks). Everything else is public.
//! IPv4-mapped and -compatible IPv6 addresses are judged by the IPv4 address they carry.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use rand::{RngCore, rngs::OsRng};
use url::{Host, Url};

pub const SECRET_PREFIX: &str = "whsec_";

/// Why a target is refused. The message is generic on purpose: it never tells what the name
/// resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Scheme,
    Credentials,
    Port,
    Address,
    Unresolvable,
    Malformed,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::Scheme => "scheme",
            Self::Credentials => "credentials",
            Self::Port => "port",
            Self::Address => "address_not_allowed",
            Self::Unresolvable => "unresolvable",
            Self::Malformed => "url",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Scheme => "must be an http or https URL",
            Self::Credentials => "must not carry a user name or password",
            Self::Port => "must use port 80, 443 or a port from 1024 up",
            Self::Address => "resolves to an address that webhooks may not call",
            Self::Unresolvable => "the host name could not be resolved",
            Self::Malformed => "is not a valid absolute URL",
        }
    }
}

/// Parses a target URL and checks what can be checked without resolving names: http(s), no
/// user info, a host, an allowed port, and the address itself when the host is an IP literal
/// (`http://2130706433/` and `http://0177.0.0.1/` parse as 127.0.0.1 and are judged as such).
pub fn parse_target(raw: &str, allow_private: bool) -> Result<Url, Refusal> {
    let url = Url::parse(raw.trim()).map_err(|_| Refusal::Malformed)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Credentials);
    }
    let port = url.port_or_known_default().ok_or(Refusal::Malformed)?;
    if port != 80 && port != 443 && port < 1024 {
        return Err(Refusal::Port);
    }
    match url.host() {
        None => Err(Refusal::Malformed),
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), allow_private).map(|()| url),
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), allow_private).map(|()| url),
        Some(Host::Domain(_)) => Ok(url),
    }
}

/// Whether a webhook may connect to `ip`.
pub fn check_ip(ip: IpAddr, allow_private: bool) -> Result<(), Refusal> {
    match classify(ip) {
        Class::Public => Ok(()),
        Class::Private if allow_private => Ok(()),
        Class::Private | Class::Forbidden => Err(Refusal::Address),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Class {
    Public,
    Private,
    Forbidden,
}

fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped().or_else(|| ipv4_compatible(v6)) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, c, _] = ip.octets();
    if ip.is_link_local()            // 169.254.0.0/16: cloud metadata
        || ip.is_unspecified()
        || a == 0                    // 0.0.0.0/8: "this network"
        || ip.is_broadcast()
        || ip.is_multicast()
        || a >= 240
    // 240.0.0.0/4: reserved
    {
        return Class::Forbidden;
    }
    if ip.is_loopback()
        || ip.is_private()
        || (a == 100 && (64..128).contains(&b))  // 100.64.0.0/10: shared (CGNAT)
        || (a == 192 && b == 0 && c == 0)        // 192.0.0.0/24: protocol assignments
        || (a == 198 && (b == 18 || b == 19))    // 198.18.0.0/15: benchmarking
        || ip.is_documentation()
    {
        return Class::Private;
    }
    Class::Public
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    let s = ip.segments();
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    // Forms that carry an IPv4 address are judged by it: NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return classify_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return classify_v4(embedded(s[1], s[2]));
    }
    if ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unicast_link_local()
        || (s[0] & 0xffc0) == 0xfec0       // site-local (deprecated)
        || (s[0] == 0x0064 && s[1] == 0xff9b)
    // local-use NAT64 (64:ff9b:1::/48): where it leads is not ours to know
    {
        return Class::Forbidden;
    }
    if ip.is_loopback() || ip.is_unique_local() || (s[0] == 0x2001 && s[1] == 0x0db8)
    // documentation
    {
        return Class::Private;
    }
    Class::Public
}

/// `::a.b.c.d` (deprecated IPv4-compatible form), but not `::` or `::1`.
fn ipv4_compatible(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    (s[..6] == [0; 6] && (s[6] != 0)).then(|| {
        let [.., a, b] = s;
        Ipv4Addr::new((a >> 8) as u8, a as u8, (b >> 8) as u8, b as u8)
    })
}

/// A new signing secret: `whsec_` + standard base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The Standard Webhooks signature header value: `v1,` + base64 of HMAC-SHA256 over
/// `{id}.{timestamp}.{body}` keyed with the secret's decoded bytes. `None` if the stored secret is
/// not a `whsec_` secret (it always is; the database is not trusted blindly).
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).ok()?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str, allow_private: bool) -> Option<Refusal> {
        parse_target(raw, allow_private).err()
    }

    #[test]
    fn loopback_private_and_obfuscated_literals_are_refused() {
        for raw in [
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://192.168.0.1/",
            "http://100.64.0.1/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
        ] {
            assert_eq!(refused(raw, false), Some(Refusal::Address), "{raw}");
            assert_eq!(
                refused(raw, true),
                None,
                "{raw} with private targets allowed"
            );
        }
    }

    #[test]
    fn link_local_metadata_and_unspecified_are_always_refused() {
        for raw in [
            "http://169.254.169.254/latest/meta-data",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::1]/",
            "http://[fec0::1]/",
            "http://[64:ff9b:1::1]/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
        ] {
            assert_eq!(refused(raw, true), Some(Refusal::Address), "{raw}");
        }
    }

    #[test]
    fn schemes_credentials_and_ports() {
        assert_eq!(refused("file:///etc/passwd", true), Some(Refusal::Scheme));
        assert_eq!(
            refused("gopher://example.com/", true),
            Some(Refusal::Scheme)
        );
        assert_eq!(refused("ftp://example.com/", true), Some(Refusal::Scheme));
        assert_eq!(
            refused("https://good@127.0.0.1/", true),
            Some(Refusal::Credentials)
        );
        assert_eq!(
            refused("https://a:b@example.com/", true),
            Some(Refusal::Credentials)
        );
        assert_eq!(refused("http://example.com:22/", true), Some(Refusal::Port));
        assert_eq!(refused("not a url", true), Some(Refusal::Malformed));
        assert_eq!(refused("https://example.com/hooks", false), None);
        assert_eq!(refused("http://example.com:8080/hooks", false), None);
        assert_eq!(refused("https://93.184.215.14/", false), None);
        assert_eq!(refused("https://[2606:4700::1111]/", false), None);
    }

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("nope", "id", 1, b""), None);
    }

    #[test]
    fn secrets_are_fresh_and_32_bytes() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        let bytes = STANDARD
            .decode(a.strip_prefix(SECRET_PREFIX).unwrap())
            .unwrap();
        assert_eq!(bytes.len(), 32);
    }
}
