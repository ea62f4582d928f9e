//! The checks behind every webhook connection: a target URL's rules, then every address its
//! host resolves to; and the resolver the delivery client connects through, which hands the
//! connector only the addresses it checked (no DNS rebinding between check and connect).

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::dns::{Name, Resolve, Resolving};
use url::Host;

use crate::domain::webhook::{self, Refusal};

/// How long name resolution may take, at registration and at each attempt.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// Checks a target URL as registration does: the URL rules, then every address its host resolves
/// to.
pub async fn check_target(raw: &str, allow_private: bool) -> Result<url::Url, Refusal> {
    let url = webhook::parse_target(raw, allow_private)?;
    if let Some(Host::Domain(name)) = url.host() {
        resolve_checked(name, allow_private).await?;
    }
    Ok(url)
}

async fn resolve_checked(name: &str, allow_private: bool) -> Result<Vec<SocketAddr>, Refusal> {
    let addrs: Vec<SocketAddr> =
        tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((name, 0)))
            .await
            .map_err(|_| Refusal::Unresolvable)?
            .map_err(|_| Refusal::Unresolvable)?
            .collect();
    if addrs.is_empty() {
        return Err(Refusal::Unresolvable);
    }
    // One forbidden address refuses the name: a receiver cannot mix a public address with an
    // internal one and hope for the internal one to be tried.
    for addr in &addrs {
        webhook::check_ip(addr.ip(), allow_private)?;
    }
    Ok(addrs)
}

/// The resolver the delivery client connects through.
pub(super) struct CheckingResolver {
    pub allow_private: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("webhook target refused: {}", .0.message())]
struct RefusedTarget(Refusal);

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = resolve_checked(name.as_str(), allow_private)
                .await
                .map_err(|refusal| -> Box<dyn std::error::Error + Send + Sync> {
                    Box::new(RefusedTarget(refusal))
                })?;
            Ok(Box::new(addrs.into_iter()) as _)
        })
    }
}

/// Whether a failed request was refused by [`CheckingResolver`].
pub(super) fn is_refusal(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<RefusedTarget>() {
            return true;
        }
        source = err.source();
    }
    false
}
