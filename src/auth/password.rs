//! Argon2id password hashes, computed on blocking threads so that the async workers stay free.
//! A login for an unknown account verifies against a dummy hash, so it costs the same time.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// A hash with the same parameters as real ones, of a password nobody knows.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking(&super::secrets::random_token(32)).unwrap_or_default());

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("Failed to hash a password")?;
    Ok(hash.to_string())
}

/// At most this many hashes run at once (one per core); more callers wait their turn, so a burst
/// of logins cannot starve the blocking pool.
static PERMITS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

pub async fn hash(password: SecretString) -> anyhow::Result<String> {
    let _permit = PERMITS.acquire().await.context("hash permits closed")?;
    tokio::task::spawn_blocking(move || hash_blocking(password.expose_secret()))
        .await
        .context("The hashing task panicked")?
}

/// Whether `password` matches `stored`; with no stored hash (unknown account) it does the same
/// work against a dummy hash and answers false.
pub async fn verify(password: SecretString, stored: Option<String>) -> bool {
    let Ok(_permit) = PERMITS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), hash.as_str())
            .is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// Computes the dummy hash ahead of the first login.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let h = hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(SecretString::from("correct horse battery"), Some(h.clone())).await);
        assert!(!verify(SecretString::from("wrong"), Some(h)).await);
        assert!(!verify(SecretString::from("anything"), None).await);
    }
}
