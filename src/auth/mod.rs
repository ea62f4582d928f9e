//! Who is calling and what they may do: roles and scopes, signing keys, access tokens, passwords,
//! client secrets, the principal extractor and rate limiting.

pub mod client_ip;
pub mod keys;
pub mod password;
pub mod principal;
pub mod rate_limit;
pub mod roles;
pub mod secrets;
pub mod tokens;
pub mod verifier;

pub use principal::{Caller, MaybeCaller, MaybePrincipal, Principal, PrincipalKind};
pub use roles::{Role, Scope, grant_scopes, scope_string};
pub use verifier::Verifier;
