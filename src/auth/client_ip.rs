//! Where a caller calls from, for the keys that count it (login throttles, request limits,
//! export slots): the peer's address, or, when the peer is a proxy the operator trusts
//! (`TRUSTED_PROXIES`), the nearest address in `X-Forwarded-For` that is not one of those
//! proxies. The header is ignored from any other peer, so a caller cannot pick its own key. An
//! IPv6 caller counts by its /64, which one host or household holds whole.

use std::net::IpAddr;

use actix_web::{HttpRequest, http::header::HeaderMap};
use ipnet::{IpNet, Ipv6Net};

/// The networks whose peers may say who they forward for (empty: nobody may).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The caller's address: from the peer, walk `X-Forwarded-For` from its right end while the
    /// address at hand is a trusted proxy; a hop that is not an address stops the walk.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut ip = peer;
        if !self.trusts(ip) {
            return ip;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            let Ok(addr) = hop.parse::<IpAddr>() else {
                return ip;
            };
            ip = addr;
            if !self.trusts(ip) {
                return ip;
            }
        }
        ip
    }
}

/// The key an address counts under: `ip:203.0.113.9`, or `ip:2001:db8:1:2::/64`.
pub fn ip_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        None => "ip:unknown".to_owned(),
        Some(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Some(IpAddr::V6(v6)) => match Ipv6Net::new(v6, 64) {
            Ok(net) => format!("ip:{}", net.trunc()),
            Err(_) => format!("ip:{v6}"),
        },
    }
}

/// The address key of the caller of `req` (see the module's documentation).
pub fn caller_ip_key(req: &HttpRequest) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let ip = match (peer, req.app_data::<TrustedProxies>()) {
        (Some(peer), Some(trusted)) => Some(trusted.client(peer, req.headers())),
        (peer, _) => peer,
    };
    ip_key(ip)
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in xff {
            map.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_trusted_peers_may_say_who_they_forward_for() {
        let trusted = TrustedProxies(vec!["10.0.0.0/8".parse().unwrap()]);
        let xff = headers(&["198.51.100.7, 10.1.1.1"]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &xff), ip("198.51.100.7"));
        // A caller that is no proxy cannot choose its key.
        assert_eq!(trusted.client(ip("203.0.113.9"), &xff), ip("203.0.113.9"));
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.2"), &xff),
            ip("10.0.0.2")
        );
        // The right-most untrusted hop counts, whatever the caller wrote before it.
        let spoofed = headers(&["1.2.3.4", "198.51.100.7"]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &spoofed), ip("198.51.100.7"));
        // A hop that is not an address stops the walk at the proxy that passed it.
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &headers(&["junk"])),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ipv6_callers_count_by_their_64() {
        assert_eq!(
            ip_key(Some(ip("2001:db8:1:2:aaaa::1"))),
            "ip:2001:db8:1:2::/64"
        );
        assert_eq!(ip_key(Some(ip("::ffff:192.0.2.1"))), "ip:192.0.2.1");
        assert_eq!(ip_key(None), "ip:unknown");
    }
}
