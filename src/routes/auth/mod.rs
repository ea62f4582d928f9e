//! The OAuth 2.0 token endpoint (client credentials, password, rotating refresh tokens), token
//! revocation (RFC 7009) and the JWKS document. Errors here are RFC 6749 §5.2 JSON
//! (`{ "error", "error_description" }`), as OAuth clients expect, not problem documents.

mod dto;
mod grants;
mod refresh;
mod refusal;

use actix_web::{
    HttpRequest, HttpResponse, get,
    http::{StatusCode, header},
    post, web,
};
use diesel_async::AsyncConnection;

pub use self::dto::{OAuthError, RevokeRequest, TokenRequest, TokenResponse};
use self::refusal::{Refusal, parse_body, plain, plain_form, uncached};
use crate::{
    auth::{keys::Jwks, secrets::REFRESH_TOKEN},
    db::accounts,
    error::ApiError,
    state::AppState,
};

/// Issue an access token.
///
/// OAuth 2.0 token endpoint. `client_credentials` (partner systems; client id and secret in HTTP
/// Basic or in the body) answers an access token only; `password` (people: `username` is the
/// e-mail) and `refresh_token` also answer a new refresh token. Refresh tokens rotate: each is
/// good once, and using one a second time revokes every token of that login. Repeated failures
/// per account (or client) and address, per address, and (with growing delays) per account from
/// anywhere are answered 429 (with `Retry-After`) for a while. Control characters in any field
/// (Basic credentials included) are `invalid_request`. Errors follow
/// RFC 6749 §5.2 (every error of this endpoint, 413 to 503 included, is an RFC 6749 body); the
/// answer is the same whether or not an account exists.
#[utoipa::path(
    operation_id = "auth_token",
    tag = "auth",
    request_body(
        description = "A form (RFC 6749). A JSON object with the same fields is accepted too.",
        content((TokenRequest = "application/x-www-form-urlencoded"))
    ),
    responses(
        (status = 200, description = "Tokens issued (`Cache-Control: no-store`).", body = TokenResponse),
        (status = 400, description = "`invalid_request` (control characters included), `invalid_grant`, `unsupported_grant_type` or `invalid_scope`.", body = OAuthError),
        (status = 401, description = "`invalid_client` (with `WWW-Authenticate: Basic`).", body = OAuthError),
        (status = 413, description = "`invalid_request`: body too large.", body = OAuthError),
        (status = 429, description = "Too many failed attempts for this account, client or address (`invalid_grant` or `invalid_client`), or too many requests (`temporarily_unavailable`); see `Retry-After`.", body = OAuthError,
            headers(("Retry-After" = u32, description = "Seconds to wait"))),
        (status = 500, description = "`server_error` (no internals).", body = OAuthError),
        (status = 503, description = "`temporarily_unavailable`: the database is unavailable; see `Retry-After`.", body = OAuthError,
            headers(("Retry-After" = u32, description = "Seconds to wait")))
    ),
    security(())
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

/// Answers a token request by its `grant_type`.
async fn grant(req: &HttpRequest, body: &[u8], state: &AppState) -> Result<HttpResponse, Refusal> {
    let form: TokenRequest = parse_body(req, body)?;
    plain_form(&form)?;
    let response = match form.grant_type.as_deref() {
        Some("client_credentials") => grants::client_credentials(req, &form, state).await?,
        Some("password") => grants::password_grant(req, &form, state).await?,
        Some("refresh_token") => refresh::refresh_grant(&form, state).await?,
        Some(_) => return Err(Refusal::UnsupportedGrant),
        None => return Err(Refusal::InvalidRequest("grant_type is required.".into())),
    };
    Ok(uncached(StatusCode::OK).json(response))
}

/// Revoke a token.
///
/// RFC 7009. Revoking a refresh token, or a person's access token, ends that whole login: its
/// refresh tokens and the access tokens it issued stop working at once. The answer is 200 whether
/// or not the token was known.
#[utoipa::path(
    operation_id = "auth_revoke",
    tag = "auth",
    request_body(
        description = "A form (RFC 7009). A JSON object with the same fields is accepted too.",
        content((RevokeRequest = "application/x-www-form-urlencoded"))
    ),
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
    if let Err(refusal) = plain("token", &token) {
        return refusal.into_response();
    }
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
