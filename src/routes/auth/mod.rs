//! The OAuth 2.0 token endpoint (client credentials, password, rotating refresh tokens), token
//! revocation (RFC 7009) and the JWKS document. Errors here are RFC 6749 §5.2 JSON
//! (`{ "error", "error_description" }`), as OAuth clients expect, not problem documents.

use actix_web::{
    HttpRequest, HttpResponse, get,
    http::{StatusCode, header},
    post, web,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use diesel_async::AsyncConnection;
use secrecy::SecretString;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{
        Role, Scope, grant_scopes,
        keys::Jwks,
        password, scope_string,
        secrets::{self, CLIENT_SECRET, REFRESH_TOKEN},
        tokens::Grant,
    },
    db::{self, accounts},
    error::ApiError,
    state::AppState,
};

/// A token request (`application/x-www-form-urlencoded`, or JSON). Which fields apply depends on
/// `grant_type`. Client credentials may come in HTTP Basic instead of the body (not both).
#[derive(Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `client_credentials`, `password` or `refresh_token`.
    #[schema(example = "client_credentials")]
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The e-mail address (password grant).
    pub username: Option<String>,
    pub password: Option<String>,
    pub refresh_token: Option<String>,
    /// Space-separated subset of the account's scopes (`read write verify admin`); all by default.
    pub scope: Option<String>,
}

/// A successful token response (RFC 6749 §5.1). No `Debug`: it holds tokens.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// An EdDSA-signed JWT (`typ: at+jwt`).
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    #[schema(example = "read write")]
    pub scope: String,
    /// For the password and refresh grants: the next refresh token (each is good once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// An RFC 6749 §5.2 error.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`,
    /// `invalid_scope` (RFC 6749 §5.2); with 429, 500 and 503 also `temporarily_unavailable` and
    /// `server_error` (RFC 6749 §4.1.2.1).
    #[schema(example = "invalid_grant")]
    pub error: String,
    pub error_description: String,
}

/// How a token request failed.
enum Refusal {
    InvalidRequest(String),
    InvalidClient,
    InvalidGrant(&'static str),
    UnsupportedGrant,
    InvalidScope(String),
    /// Too many failed attempts: 429 with `Retry-After`, under the grant's own error code.
    Throttled(&'static str, i64),
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Self::Api(e.into())
    }
}

impl From<db::PoolError> for Refusal {
    fn from(e: db::PoolError) -> Self {
        Self::Api(e.into())
    }
}

fn oauth_response(status: StatusCode, error: &str, description: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(OAuthError {
            error: error.to_owned(),
            error_description: description,
        })
}

impl Refusal {
    fn into_response(self) -> Result<HttpResponse, ApiError> {
        Ok(match self {
            Self::InvalidRequest(d) => {
                oauth_response(StatusCode::BAD_REQUEST, "invalid_request", d)
            }
            Self::InvalidClient => {
                let mut resp = oauth_response(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "Client authentication failed.".into(),
                );
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Basic realm=\"supplier-registry\""),
                );
                resp
            }
            Self::InvalidGrant(d) => {
                oauth_response(StatusCode::BAD_REQUEST, "invalid_grant", d.into())
            }
            Self::UnsupportedGrant => oauth_response(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be client_credentials, password or refresh_token.".into(),
            ),
            Self::InvalidScope(d) => oauth_response(StatusCode::BAD_REQUEST, "invalid_scope", d),
            Self::Throttled(code, seconds) => {
                let mut resp = oauth_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    code,
                    format!("Too many failed attempts; try again in {seconds} s."),
                );
                resp.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(seconds.max(1)),
                );
                resp
            }
            // Database trouble and the like stay problem documents (503 with Retry-After).
            Self::Api(e) => return Err(e),
        })
    }
}

/// Issue an access token.
///
/// OAuth 2.0 token endpoint. `client_credentials` (partner systems; client id and secret in HTTP
/// Basic or in the body) answers an access token only; `password` (people: `username` is the
/// e-mail) and `refresh_token` also answer a new refresh token. Refresh tokens rotate: each is
/// good once, and using one a second time revokes every token of that login. Repeated failures
/// per account, per client and per IP are answered 429 (with `Retry-After`) for a while. Errors follow
/// RFC 6749 §5.2 (every error of this endpoint, 413 to 503 included, is an RFC 6749 body); the
/// answer is the same whether or not an account exists.
#[utoipa::path(
    operation_id = "auth_token",
    tag = "auth",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json")
    )),
    responses(
        (status = 200, description = "Tokens issued (`Cache-Control: no-store`).", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `unsupported_grant_type` or `invalid_scope`.", body = OAuthError),
        (status = 401, description = "`invalid_client` (with `WWW-Authenticate: Basic`).", body = OAuthError),
        (status = 413, description = "`invalid_request`: body too large.", body = OAuthError),
        (status = 429, description = "Too many failed attempts for this account, client or address (`invalid_grant` or `invalid_client`), or too many requests (`temporarily_unavailable`); see `Retry-After`.", body = OAuthError,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
        (status = 500, description = "`server_error` (no internals).", body = OAuthError),
        (status = 503, description = "`temporarily_unavailable`: the database is unavailable; see `Retry-After`.", body = OAuthError,
            headers(("Retry-After" = u32, description = "Seconds to wait")))
    ),
    security((), ("client_basic" = []))
)]
#[post("/auth/token")]
pub async fn issue_token(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    match grant(&req, &body, &state).await {
        Ok(resp) => Ok(resp),
        Err(refusal) => refusal.into_response(),
    }
}

async fn grant(req: &HttpRequest, body: &[u8], state: &AppState) -> Result<HttpResponse, Refusal> {
    let form: TokenRequest = parse_body(req, body)?;
    let response = match form.grant_type.as_deref() {
        Some("client_credentials") => client_credentials(req, &form, state).await?,
        Some("password") => password_grant(req, &form, state).await?,
        Some("refresh_token") => refresh_grant(&form, state).await?,
        Some(_) => return Err(Refusal::UnsupportedGrant),
        None => return Err(Refusal::InvalidRequest("grant_type is required.".into())),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response))
}

fn parse_body<T: DeserializeOwned + Default>(req: &HttpRequest, body: &[u8]) -> Result<T, Refusal> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        // serde's message could repeat a submitted value (a password): say only what failed.
        serde_urlencoded::from_bytes(body)
            .map_err(|_| Refusal::InvalidRequest("The form could not be read.".into()))
    } else if content_type.starts_with("application/json") {
        serde_json::from_slice(body).map_err(|_| {
            Refusal::InvalidRequest(
                "The JSON body could not be read (all fields are strings).".into(),
            )
        })
    } else if body.is_empty() {
        Ok(T::default())
    } else {
        Err(Refusal::InvalidRequest(
            "Send application/x-www-form-urlencoded (or application/json).".into(),
        ))
    }
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
        .map(|(_, encoded)| {
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
            Ok::<_, Refusal>((unescape(id), unescape(secret)))
        })
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

/// Failed attempts allowed per key within `FAILURE_WINDOW_SECONDS`.
const ACCOUNT_FAILURES: i64 = 5;
const IP_FAILURES: i64 = 20;
const FAILURE_WINDOW_SECONDS: i64 = 300;

fn peer_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Records an attempt under each key before the credentials are checked (so that parallel
/// attempts cannot all pass a count taken before any of them was recorded), then refuses with
/// 429 while a key has had too many recent attempts. Returns the ids of the recorded rows, to be
/// deleted when the attempt succeeds. Nothing is counted while rate limits are off.
async fn record_attempt(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    keys: &[(String, i64)],
    code: &'static str,
) -> Result<Vec<i64>, Refusal> {
    if state.config.rate_limit_per_second == 0 {
        return Ok(Vec::new());
    }
    let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    let ids = accounts::record_failures(conn, &names).await?;
    for (key, limit) in keys {
        let (attempts, retry_after) =
            accounts::recent_failures(conn, key, FAILURE_WINDOW_SECONDS).await?;
        if attempts > *limit {
            // A refused attempt does not lengthen the wait.
            accounts::delete_failures(conn, &ids).await?;
            return Err(Refusal::Throttled(code, retry_after));
        }
    }
    Ok(ids)
}

async fn client_credentials(
    req: &HttpRequest,
    form: &TokenRequest,
    state: &AppState,
) -> Result<TokenResponse, Refusal> {
    let (client_id, secret) = client_credentials_of(req, form)?;
    let keys = [
        (format!("client:{client_id}"), ACCOUNT_FAILURES * 2),
        (format!("ip:{}", peer_ip(req)), IP_FAILURES),
    ];
    let mut conn = state.pool.get().await?;
    let attempt = record_attempt(state, &mut conn, &keys, "invalid_client").await?;
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
    let access_token = state
        .authority
        .issue(&Grant {
            subject: client.id,
            role,
            scopes: &scopes,
            client_id: Some(&client_id),
            session: None,
        })
        .map_err(ApiError::Internal)?;
    Ok(token_response(state, access_token, &scopes, None))
}

async fn password_grant(
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
    let keys = [
        (account_key.clone(), ACCOUNT_FAILURES),
        (format!("ip:{}", peer_ip(req)), IP_FAILURES),
    ];
    let mut conn = state.pool.get().await?;
    let attempt = record_attempt(state, &mut conn, &keys, "invalid_grant").await?;
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
    let role = role_of(&user.role)?;
    let scopes = grant_scopes(role, form.scope.as_deref()).map_err(Refusal::InvalidScope)?;
    let family = Uuid::now_v7();
    let refresh = new_refresh_token(state, &mut conn, family, user.id, &scopes).await?;
    let access_token = state
        .authority
        .issue(&Grant {
            subject: user.id,
            role,
            scopes: &scopes,
            client_id: None,
            session: Some(family),
        })
        .map_err(ApiError::Internal)?;
    Ok(token_response(state, access_token, &scopes, Some(refresh)))
}

async fn new_refresh_token(
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

/// What became of a presented refresh token.
enum Rotation {
    Rotated {
        user: Uuid,
        family: Uuid,
        role: Role,
        scopes: Vec<Scope>,
        refresh: String,
    },
    Refused(&'static str),
    Reused,
}

async fn refresh_grant(form: &TokenRequest, state: &AppState) -> Result<TokenResponse, Refusal> {
    let Some(presented) = form.refresh_token.clone() else {
        return Err(Refusal::InvalidRequest("refresh_token is required.".into()));
    };
    let digest = state.digest_key.digest(REFRESH_TOKEN, &presented);
    let requested = form.scope.clone();
    let mut conn = state.pool.get().await?;
    let outcome = conn
        .transaction(async |conn| -> Result<Rotation, Refusal> {
            let refused = "The refresh token is invalid, expired or revoked.";
            let Some(row) = accounts::find_refresh_token_for_update(conn, &digest).await? else {
                return Ok(Rotation::Refused(refused));
            };
            if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
                return Ok(Rotation::Refused(refused));
            }
            if row.rotated_at.is_some() {
                // A rotated token came back: someone else may hold the family. End it.
                accounts::revoke_family(conn, row.family_id).await?;
                return Ok(Rotation::Reused);
            }
            let status = accounts::user_status(conn, row.user_id, None).await?;
            let Some(status) = status.filter(|s| s.active) else {
                return Ok(Rotation::Refused(refused));
            };
            let role = role_of(&status.role)?;
            // Never more than the login was granted, nor than the role now allows.
            let granted: Vec<Scope> = row
                .scope
                .split(' ')
                .filter_map(Scope::parse)
                .filter(|s| role.scopes().contains(s))
                .collect();
            let scopes = match requested
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                None => granted,
                Some(req) => {
                    let asked = grant_scopes(role, Some(req)).map_err(Refusal::InvalidScope)?;
                    if let Some(extra) = asked.iter().find(|s| !granted.contains(s)) {
                        return Err(Refusal::InvalidScope(format!(
                            "scope `{}` was not granted to this login",
                            extra.as_str()
                        )));
                    }
                    asked
                }
            };
            accounts::mark_rotated(conn, row.id).await?;
            let refresh =
                new_refresh_token(state, conn, row.family_id, row.user_id, &scopes).await?;
            Ok(Rotation::Rotated {
                user: row.user_id,
                family: row.family_id,
                role,
                scopes,
                refresh,
            })
        })
        .await?;
    match outcome {
        Rotation::Rotated {
            user,
            family,
            role,
            scopes,
            refresh,
        } => {
            let access_token = state
                .authority
                .issue(&Grant {
                    subject: user,
                    role,
                    scopes: &scopes,
                    client_id: None,
                    session: Some(family),
                })
                .map_err(ApiError::Internal)?;
            Ok(token_response(state, access_token, &scopes, Some(refresh)))
        }
        Rotation::Refused(why) => Err(Refusal::InvalidGrant(why)),
        Rotation::Reused => {
            tracing::warn!("a rotated refresh token was used again; its login is revoked");
            Err(Refusal::InvalidGrant(
                "The refresh token is invalid, expired or revoked.",
            ))
        }
    }
}

fn role_of(raw: &str) -> Result<Role, Refusal> {
    Role::parse(raw)
        .ok_or_else(|| Refusal::Api(ApiError::Internal(anyhow::anyhow!("unknown role"))))
}

fn token_response(
    state: &AppState,
    access_token: String,
    scopes: &[Scope],
    refresh_token: Option<String>,
) -> TokenResponse {
    TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.authority.ttl().as_secs(),
        scope: scope_string(scopes),
        refresh_token,
    }
}

/// A revocation request (RFC 7009).
#[derive(Default, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// A refresh token, or an access token of a person's login.
    pub token: Option<String>,
    /// `refresh_token` or `access_token` (a hint; both are tried).
    pub token_type_hint: Option<String>,
}

/// Revoke a token.
///
/// RFC 7009. Revoking a refresh token, or a person's access token, ends that whole login: its
/// refresh tokens and the access tokens it issued stop working at once. The answer is 200 whether
/// or not the token was known.
#[utoipa::path(
    operation_id = "auth_revoke",
    tag = "auth",
    request_body(content(
        (RevokeRequest = "application/x-www-form-urlencoded"),
        (RevokeRequest = "application/json")
    )),
    responses(
        (status = 200, description = "Revoked, or not a token of ours."),
        (status = 400, description = "`invalid_request`: no `token`.", body = OAuthError),
        (status = 413, description = "`invalid_request`: body too large.", body = OAuthError),
        (status = 429, description = "`temporarily_unavailable`: too many requests; see `Retry-After`.", body = OAuthError,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
        (status = 500, description = "`server_error` (no internals).", body = OAuthError),
        (status = 503, description = "`temporarily_unavailable`: the database is unavailable; see `Retry-After`.", body = OAuthError,
            headers(("Retry-After" = u32, description = "Seconds to wait")))
    ),
    security(())
)]
#[post("/auth/revoke")]
pub async fn revoke_token(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let form: RevokeRequest = match parse_body(&req, &body) {
        Ok(form) => form,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(token) = form.token.filter(|t| !t.is_empty()) else {
        return Refusal::InvalidRequest("token is required.".into()).into_response();
    };
    let mut conn = state.pool.get().await?;
    let family = match state.authority.verify(&token) {
        Ok(claims) => claims.sid,
        Err(_) => {
            let digest = state.digest_key.digest(REFRESH_TOKEN, &token);
            conn.transaction(async |conn| {
                accounts::find_refresh_token_for_update(conn, &digest)
                    .await
                    .map(|row| row.map(|r| r.family_id))
            })
            .await?
        }
    };
    if let Some(family) = family {
        accounts::revoke_family(&mut conn, family).await?;
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// The public signing keys.
///
/// The JSON Web Key Set of the Ed25519 keys that sign access tokens, so that a partner can verify
/// tokens itself. During a key rotation it lists the old and the new key.
#[utoipa::path(
    operation_id = "auth_jwks",
    tag = "auth",
    responses((status = 200, description = "The key set.", body = Jwks)),
    security(())
)]
#[get("/.well-known/jwks.json")]
pub async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(state.authority.keys().jwks())
}
