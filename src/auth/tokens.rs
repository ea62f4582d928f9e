//! Access tokens: EdDSA-signed JWTs (`typ: at+jwt`, RFC 9068) with `iss`, `aud`, `sub`, `exp`,
//! `iat`, `jti`, `role`, `scope`. Verification pins the algorithm, requires `exp`, `iss`, `aud` and
//! `sub`, allows 30 s of clock skew, and takes the key by `kid` from our own key set only (header
//! `jku`, `x5u` and `jwk` are ignored, never fetched).

use std::time::Duration;

use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    keys::KeySet,
    roles::{Role, Scope, scope_string},
};
use crate::config::Config;

pub const TOKEN_TYPE: &str = "at+jwt";
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The account id (a user's or an API client's).
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub role: String,
    pub scope: String,
    /// Present on client-credentials tokens: the client's public id (RFC 9068 `client_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Present on people's tokens: the login (refresh-token family), so that revoking it ends the
    /// access tokens it issued too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// Why a token was refused (for logs; the client only learns that it was).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token or header")]
    Malformed,
    #[error("algorithm or type not accepted")]
    WrongType,
    #[error("unknown key id")]
    UnknownKey,
    #[error("rejected: {0}")]
    Rejected(#[from] jsonwebtoken::errors::Error),
}

/// Issues and verifies access tokens.
pub struct Authority {
    keys: KeySet,
    issuer: String,
    audience: String,
    ttl: Duration,
    validation: Validation,
    /// Tokens already verified, by their SHA-256. An Ed25519 verification was a quarter of the
    /// service's CPU on an authenticated `GET /v1/suppliers/{id}` (perf, `bench/README.md`), and
    /// a token never changes: a hit skips the signature, and still checks `exp`. The account
    /// behind a token is read from the database on every request as before, so disabling it or
    /// revoking its login still takes effect at once.
    verified: moka::sync::Cache<[u8; 32], AccessClaims>,
}

/// How many verified tokens are kept (about 300 bytes each).
const VERIFIED_TOKENS: u64 = 100_000;

/// What goes into a new token.
pub struct Grant<'a> {
    pub subject: Uuid,
    pub role: Role,
    pub scopes: &'a [Scope],
    pub client_id: Option<&'a str>,
    pub session: Option<Uuid>,
}

impl Authority {
    pub fn new(keys: KeySet, config: &Config) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        Self {
            keys,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: config.access_token_ttl,
            validation,
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_TOKENS)
                // No entry outlives the longest-lived token it can be.
                .time_to_live(config.access_token_ttl + Duration::from_secs(LEEWAY_SECONDS))
                .build(),
        }
    }

    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A signed access token for `grant`.
    pub fn issue(&self, grant: &Grant<'_>) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: grant.subject.to_string(),
            exp: now + self.ttl.as_secs() as i64,
            iat: now,
            jti: Uuid::now_v7().to_string(),
            role: grant.role.as_str().to_owned(),
            scope: scope_string(grant.scopes),
            client_id: grant.client_id.map(str::to_owned),
            sid: grant.session,
        };
        let (kid, key) = self.keys.signing();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYPE.to_owned());
        header.kid = Some(kid.to_owned());
        Ok(encode(&header, &claims, key)?)
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(claims) = self.verified.get(&digest) {
            let now = jsonwebtoken::get_current_timestamp() as i64;
            if claims.exp + LEEWAY_SECONDS as i64 > now {
                return Ok(claims);
            }
            self.verified.invalidate(&digest);
        }
        let claims = self.verify_signed(token)?;
        self.verified.insert(digest, claims.clone());
        Ok(claims)
    }

    /// The full check: type, algorithm, key, signature, `exp`, `nbf`, `iss` and `aud`.
    fn verify_signed(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA
            || !header
                .typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(TOKEN_TYPE))
        {
            return Err(TokenError::WrongType);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.decoding(kid))
            .ok_or(TokenError::UnknownKey)?;
        Ok(decode::<AccessClaims>(token, key, &self.validation)?.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Role, Scope};

    fn authority() -> Authority {
        let config = Config::from_lookup(|_| None).unwrap();
        Authority::new(KeySet::load(&config).unwrap(), &config)
    }

    fn token(authority: &Authority) -> String {
        authority
            .issue(&Grant {
                subject: Uuid::nil(),
                role: Role::Viewer,
                scopes: &[Scope::Read],
                client_id: None,
                session: None,
            })
            .unwrap()
    }

    #[test]
    fn a_verified_token_is_kept_and_only_while_it_is_valid() {
        let authority = authority();
        let good = token(&authority);
        assert!(authority.verify(&good).is_ok());
        let kept: [u8; 32] = Sha256::digest(good.as_bytes()).into();
        assert!(authority.verified.contains_key(&kept));
        assert!(authority.verify(&good).is_ok());
        // A changed token is another key: verified in full, and refused.
        let mut forged = good.clone();
        forged.pop();
        assert!(authority.verify(&forged).is_err());
        // A kept entry past its `exp` is not trusted: the token is verified again in full.
        let junk = "not.a.token";
        let mut stale = authority.verify(&good).unwrap();
        stale.exp = 0;
        let digest: [u8; 32] = Sha256::digest(junk.as_bytes()).into();
        authority.verified.insert(digest, stale);
        assert!(authority.verify(junk).is_err());
        assert!(authority.verified.get(&digest).is_none());
    }
}
