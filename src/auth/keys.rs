//! Ed25519 signing keys with their `kid`, and the JWKS document that publishes the public halves
//! at `/.well-known/jwks.json`.
//!
//! Keys come from `JWT_SIGNING_KEYS_DIR`: every `*.pem` file is a PKCS#8 Ed25519 private key whose
//! `kid` is the file name without `.pem`. The last file by name signs and every file verifies, so
//! a key rotates without downtime: add the new file (named to sort last), restart the instances,
//! and remove the old file once the tokens it signed have expired.

use std::path::Path;

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey},
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::{AppEnv, Config};

struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    public: [u8; 32],
}

/// The server's keys. `Debug` shows only the key ids.
pub struct KeySet {
    keys: Vec<Key>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| &k.kid))
            .finish()
    }
}

/// A JSON Web Key Set (RFC 7517) of Ed25519 public keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One public key.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    /// Always `OKP`.
    #[schema(example = "OKP")]
    pub kty: &'static str,
    /// Always `Ed25519`.
    #[schema(example = "Ed25519")]
    pub crv: &'static str,
    /// Always `EdDSA`.
    #[schema(example = "EdDSA")]
    pub alg: &'static str,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: &'static str,
    /// The key id, as in the token header's `kid`.
    pub kid: String,
    /// The public key, base64url.
    pub x: String,
}

impl KeySet {
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        match (&config.jwt_signing_keys_dir, config.app_env) {
            (Some(dir), _) => Self::from_dir(dir),
            (None, AppEnv::Production) => {
                anyhow::bail!("invalid JWT_SIGNING_KEYS_DIR: is required in production")
            }
            (None, AppEnv::Development) => {
                tracing::warn!(
                    "JWT_SIGNING_KEYS_DIR is not set: signing with a key generated for this process \
                     only (tokens will not survive a restart or work across instances)"
                );
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                let kid = format!("dev-{}", &super::secrets::random_token(6));
                Ok(Self {
                    keys: vec![Self::key(kid, &key)?],
                })
            }
        }
    }

    pub fn from_dir(dir: &Path) -> anyhow::Result<Self> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| {
                format!(
                    "invalid JWT_SIGNING_KEYS_DIR: cannot read {}",
                    dir.display()
                )
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pem"))
            .collect();
        files.sort();
        let mut keys = Vec::new();
        for path in files {
            let pem = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read key {}", path.display()))?;
            let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| {
                anyhow::anyhow!(
                    "invalid JWT_SIGNING_KEYS_DIR: {} is not a PKCS#8 Ed25519 private key",
                    path.display()
                )
            })?;
            let kid = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            keys.push(Self::key(kid, &key)?);
        }
        anyhow::ensure!(
            !keys.is_empty(),
            "invalid JWT_SIGNING_KEYS_DIR: no *.pem key in {}",
            dir.display()
        );
        Ok(Self { keys })
    }

    fn key(kid: String, key: &SigningKey) -> anyhow::Result<Key> {
        let der = key
            .to_pkcs8_der()
            .map_err(|_| anyhow::anyhow!("cannot encode signing key {kid}"))?;
        let public = key.verifying_key().to_bytes();
        Ok(Key {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            decoding: DecodingKey::from_ed_der(&public),
            public,
            kid,
        })
    }

    /// The key that signs new tokens (the newest).
    pub fn signing(&self) -> (&str, &EncodingKey) {
        let key = &self.keys[self.keys.len() - 1];
        (&key.kid, &key.encoding)
    }

    /// The verification key of `kid`, if it is one of ours.
    pub fn decoding(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.iter().find(|k| k.kid == kid).map(|k| &k.decoding)
    }

    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self
                .keys
                .iter()
                .map(|k| Jwk {
                    kty: "OKP",
                    crv: "Ed25519",
                    alg: "EdDSA",
                    use_: "sig",
                    kid: k.kid.clone(),
                    x: URL_SAFE_NO_PAD.encode(k.public),
                })
                .collect(),
        }
    }
}

/// Writes a new PKCS#8 PEM Ed25519 key (for operators and tests).
pub fn generate_pem() -> anyhow::Result<String> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|_| anyhow::anyhow!("cannot encode key"))?;
    Ok(pem.to_string())
}
