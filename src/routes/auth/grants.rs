//! The client-credentials and password grants, the failed-attempt throttle they share, and the
//! steps every grant ends with (a refresh token stored, an access token signed).

use actix_web::{HttpRequest, http::header};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use secrecy::SecretString;
use uuid::Uuid;

use super::{
    dto::{TokenRequest, TokenResponse},
    refusal::{Refusal, plain},
};
use crate::{
    auth::client_ip::caller_ip_key,
    auth::{
        Role, Scope, grant_scopes, password, scope_string,
        secrets::{self, CLIENT_SECRET, REFRESH_TOKEN},
        tokens::Grant,
    },
    db::accounts,
    error::ApiError,
    state::AppState,
};

/// Failed attempts allowed within `FAILURE_WINDOW_SECONDS` for one account (or client) from one
/// address, and from one address in all.
const ORIGIN_FAILURES: i64 = 5;
const CLIENT_ORIGIN_FAILURES: i64 = 10;
const IP_FAILURES: i64 = 20;
const FAILURE_WINDOW_SECONDS: i64 = 300;
/// Failures of one account from anywhere before each further attempt must wait a growing delay
/// after the last (2 s, 4 s, 8 s, … up to `MAX_DELAY_SECONDS`): looser than the per-origin limit,
/// so that a stranger guessing wrong slows a person down elsewhere but cannot lock them out.
const ACCOUNT_FREE_FAILURES: i64 = 10;
const MAX_DELAY_SECONDS: i64 = 60;

pub(super) async fn client_credentials(
    req: &HttpRequest,
    form: &TokenRequest,
    state: &AppState,
) -> Result<TokenResponse, Refusal> {
    let (client_id, secret) = client_credentials_of(req, form)?;
    let account = format!("client:{client_id}");
    let mut conn = state.pool.get().await?;
    let attempt = record_attempt(state, &mut conn, &account, req, CLIENT_ORIGIN_FAILURES).await;
    let attempt = attempt.map_err(|e| e.under("invalid_client"))?;
    let found = accounts::find_client_login(&mut conn, &client_id).await?;
    // Unknown clients cost the same digest as known ones.
    let expected = found.as_ref().map_or(&[0u8; 32][..], |c| &c.secret_digest);
    let secret_ok = state.digest_key.verify(CLIENT_SECRET, &secret, expected);
    let client = match found {
        Some(c) if secret_ok && !c.disabled => c,
        _ => {
            tracing::info!(client_id = %client_id, "client authentication failed");
            return Err(Refusal::InvalidClient);
        }
    };
    accounts::delete_failures(&mut conn, &attempt).await?;
    let role = role_of(&client.role)?;
    let scopes = grant_scopes(role, form.scope.as_deref()).map_err(Refusal::InvalidScope)?;
    let grant = Grant {
        subject: client.id,
        role,
        scopes: &scopes,
        client_id: Some(&client_id),
        session: None,
    };
    answer(state, &grant, None)
}

pub(super) async fn password_grant(
    req: &HttpRequest,
    form: &TokenRequest,
    state: &AppState,
) -> Result<TokenResponse, Refusal> {
    let (Some(username), Some(pass)) = (&form.username, &form.password) else {
        return Err(Refusal::InvalidRequest(
            "username and password are required.".into(),
        ));
    };
    let account_key = format!("account:{}", username.trim().to_lowercase());
    let mut conn = state.pool.get().await?;
    let attempt = record_attempt(state, &mut conn, &account_key, req, ORIGIN_FAILURES).await;
    let attempt = attempt.map_err(|e| e.under("invalid_grant"))?;
    let login = accounts::find_login(&mut conn, username.trim()).await?;
    // Argon2 takes tens of milliseconds: give the connection back meanwhile.
    drop(conn);
    let ok = password::verify(
        SecretString::from(pass.clone()),
        login.as_ref().map(|l| l.password_hash.clone()),
    )
    .await;
    let user = match login {
        Some(user) if ok && !user.disabled => user,
        _ => {
            tracing::info!("password login failed");
            return Err(Refusal::InvalidGrant("The username or password is wrong."));
        }
    };
    let mut conn = state.pool.get().await?;
    accounts::delete_failures(&mut conn, &attempt).await?;
    accounts::clear_failures(&mut conn, &account_key).await?;
    accounts::clear_failures(&mut conn, &origin_key(&account_key, req)).await?;
    let role = role_of(&user.role)?;
    let scopes = grant_scopes(role, form.scope.as_deref()).map_err(Refusal::InvalidScope)?;
    let family = Uuid::now_v7();
    let refresh = new_refresh_token(state, &mut conn, family, user.id, &scopes).await?;
    answer(
        state,
        &person_grant(user.id, family, role, &scopes),
        Some(refresh),
    )
}

/// The client id and secret, from HTTP Basic (RFC 6749 §2.3.1) or from the body, not both.
fn client_credentials_of(
    req: &HttpRequest,
    form: &TokenRequest,
) -> Result<(String, String), Refusal> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| decode_basic(encoded))
        .transpose()?;
    let in_body = form.client_id.is_some() || form.client_secret.is_some();
    match (basic, in_body) {
        (Some(_), true) => Err(Refusal::InvalidRequest(
            "Send client credentials either in HTTP Basic or in the body, not both.".into(),
        )),
        (Some(pair), false) => Ok(pair),
        (None, _) => match (&form.client_id, &form.client_secret) {
            (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
            _ => Err(Refusal::InvalidClient),
        },
    }
}

/// `base64(id:secret)`, each part form-urlencoded (RFC 6749 §2.3.1).
fn decode_basic(encoded: &str) -> Result<(String, String), Refusal> {
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(Refusal::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(Refusal::InvalidClient)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (unescape(id), unescape(secret));
    plain("client_id", &id)?;
    plain("client_secret", &secret)?;
    Ok((id, secret))
}

/// The key of one account's (or client's) attempts from the caller's address.
fn origin_key(account: &str, req: &HttpRequest) -> String {
    format!("{account}|{}", caller_ip_key(req))
}

/// Seconds an account waits after its last failure once it has had `failures` in the window.
fn growing_delay(failures: i64) -> i64 {
    let doublings = (failures - ACCOUNT_FREE_FAILURES + 1).clamp(0, 6);
    (1i64 << doublings).min(MAX_DELAY_SECONDS)
}

/// Refuses with 429 while the account waits out its growing delay; then records an attempt under
/// the account, the account from this address and the address before the credentials are checked
/// (so that parallel attempts cannot all pass a count taken before any of them was recorded),
/// and refuses while the account from this address (`origin_limit`) or the address has had too
/// many recent attempts. Returns the ids of the recorded rows, to be deleted when the attempt
/// succeeds. Nothing is counted while rate limits are off.
async fn record_attempt(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    account: &str,
    req: &HttpRequest,
    origin_limit: i64,
) -> Result<Vec<i64>, Refusal> {
    if state.config.rate_limit_per_second == 0 {
        return Ok(Vec::new());
    }
    let (failures, age) = accounts::failure_age(conn, account, FAILURE_WINDOW_SECONDS).await?;
    if failures >= ACCOUNT_FREE_FAILURES && age < growing_delay(failures) {
        return Err(Refusal::Throttled("", growing_delay(failures) - age));
    }
    let limited = [
        (origin_key(account, req), origin_limit),
        (caller_ip_key(req), IP_FAILURES),
    ];
    let mut names: Vec<String> = limited.iter().map(|(k, _)| k.clone()).collect();
    names.push(account.to_owned());
    let ids = accounts::record_failures(conn, &names).await?;
    for (key, limit) in &limited {
        let (attempts, retry_after) =
            accounts::recent_failures(conn, key, FAILURE_WINDOW_SECONDS).await?;
        if attempts > *limit {
            // A refused attempt does not lengthen the wait.
            accounts::delete_failures(conn, &ids).await?;
            return Err(Refusal::Throttled("", retry_after));
        }
    }
    Ok(ids)
}

/// Stores a new refresh token of the login `family` and returns it (the only time it is seen in
/// clear).
pub(super) async fn new_refresh_token(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    family: Uuid,
    user: Uuid,
    scopes: &[Scope],
) -> Result<String, Refusal> {
    let token = secrets::random_token(32);
    let digest = state.digest_key.digest(REFRESH_TOKEN, &token);
    let expires_at = Utc::now()
        + chrono::Duration::from_std(state.config.refresh_token_ttl)
            .map_err(|e| ApiError::Internal(e.into()))?;
    accounts::insert_refresh_token(
        conn,
        &accounts::NewRefreshToken {
            id: Uuid::now_v7(),
            family_id: family,
            user_id: user,
            token_digest: &digest,
            scope: &scope_string(scopes),
            expires_at,
        },
    )
    .await?;
    Ok(token)
}

pub(super) fn role_of(raw: &str) -> Result<Role, Refusal> {
    Role::parse(raw)
        .ok_or_else(|| Refusal::Api(ApiError::Internal(anyhow::anyhow!("unknown role"))))
}

/// The grant of a person's login (`session` is its refresh-token family).
pub(super) fn person_grant(user: Uuid, family: Uuid, role: Role, scopes: &[Scope]) -> Grant<'_> {
    Grant {
        subject: user,
        role,
        scopes,
        client_id: None,
        session: Some(family),
    }
}

/// Signs the access token of `grant` and answers it (with the next refresh token, if any).
pub(super) fn answer(
    state: &AppState,
    grant: &Grant<'_>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, Refusal> {
    let access_token = state.authority.issue(grant).map_err(ApiError::Internal)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.authority.ttl().as_secs(),
        scope: scope_string(grant.scopes),
        refresh_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_account_delay_grows_and_stays_bounded() {
        assert_eq!(growing_delay(ACCOUNT_FREE_FAILURES), 2);
        assert_eq!(growing_delay(ACCOUNT_FREE_FAILURES + 1), 4);
        assert_eq!(growing_delay(ACCOUNT_FREE_FAILURES + 2), 8);
        assert_eq!(growing_delay(ACCOUNT_FREE_FAILURES + 50), MAX_DELAY_SECONDS);
    }
}
