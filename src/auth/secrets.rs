//! Random credentials and the keyed digest (HMAC-SHA256 under `SECRET_DIGEST_KEY`) that stands in
//! for them in the database: client secrets and refresh tokens are looked up by digest, so a token
//! request costs one hash, and a stolen table reveals nothing usable. The same key signs cursors.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::{RngCore, rngs::OsRng};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The server's digest key. `Debug` never shows it.
#[derive(Clone)]
pub struct DigestKey(SecretSlice<u8>);

impl std::fmt::Debug for DigestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DigestKey(***)")
    }
}

impl DigestKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(SecretSlice::from(bytes))
    }

    /// The key from `SECRET_DIGEST_KEY`. Development falls back to a fixed, public key (and says
    /// so); production refuses to start without one (see `Config`).
    pub fn from_config(config: &crate::config::Config) -> Self {
        match &config.secret_digest_key {
            Some(key) => Self::new(key.expose_secret().as_bytes().to_vec()),
            None => {
                tracing::warn!(
                    "SECRET_DIGEST_KEY is not set: using the public development key; \
                     client secrets and refresh tokens are not protected"
                );
                Self::new(b"supplier-registry development digest key, not secret".to_vec())
            }
        }
    }

    fn mac(&self, domain: &str) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        // Separate uses of the key cannot be confused with each other.
        mac.update(domain.as_bytes());
        mac.update(b"\0");
        mac
    }

    /// The digest of a secret, as stored.
    pub fn digest(&self, domain: &str, secret: &str) -> Vec<u8> {
        let mut mac = self.mac(domain);
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `secret` has digest `expected`, compared in constant time.
    pub fn verify(&self, domain: &str, secret: &str, expected: &[u8]) -> bool {
        let mut mac = self.mac(domain);
        mac.update(secret.as_bytes());
        mac.verify_slice(expected).is_ok()
    }
}

/// Domains of the digest key.
pub const CLIENT_SECRET: &str = "client-secret";
pub const REFRESH_TOKEN: &str = "refresh-token";
pub const CURSOR: &str = "cursor";

/// `bytes` random bytes from the operating system, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_verify_and_differ_by_domain() {
        let key = DigestKey::new(b"k".repeat(32));
        let d = key.digest(CLIENT_SECRET, "s3cret");
        assert_eq!(d.len(), 32);
        assert!(key.verify(CLIENT_SECRET, "s3cret", &d));
        assert!(!key.verify(CLIENT_SECRET, "s3creT", &d));
        assert!(!key.verify(REFRESH_TOKEN, "s3cret", &d));
        assert_eq!(format!("{key:?}"), "DigestKey(***)");
    }

    #[test]
    fn random_tokens_carry_256_bits() {
        let t = random_token(32);
        assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap().len(), 32);
        assert_ne!(t, random_token(32));
    }
}
