//! The caller. A handler that needs one declares a [`Principal`] argument; a handler open to
//! anonymous callers declares [`MaybePrincipal`] (no `Authorization` header → anonymous; a bad
//! token is still 401, never silently anonymous).
//!
//! The token says who the caller is; the database says what the account may do now: each request
//! reads the account, so disabling it, changing its role or countries, or revoking its login takes
//! effect at once.

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use diesel_async::AsyncPgConnection;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::{
    roles::{Role, Scope},
    tokens::AccessClaims,
    verifier::Verifier,
};
use crate::{db, error::ApiError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Client,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Client => "client",
        }
    }
}

/// An authenticated caller, as the database knows it now.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub id: Uuid,
    /// A user's e-mail or a client's name (for audit entries).
    pub name: String,
    pub role: Role,
    /// Countries an agency is limited to (empty: all).
    pub countries: Vec<String>,
    pub scopes: Vec<Scope>,
}

impl Principal {
    pub fn has_role(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.has_role(roles) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "The `{}` role may not do this.",
                self.role.as_str()
            )))
        }
    }

    /// For resources that agencies and admins keep (webhooks, imports): 403 for other roles or
    /// without `scope`; then whose resources the caller sees — its own (`Some(id)`), or all for
    /// an admin (`None`).
    pub fn agency_or_admin(&self, scope: Scope) -> Result<Option<Uuid>, ApiError> {
        self.require_role(&[Role::Admin, Role::Agency])?;
        self.require_scope(scope)?;
        Ok((self.role != Role::Admin).then_some(self.id))
    }

    /// 403 with `WWW-Authenticate: Bearer error="insufficient_scope"` unless the token has `scope`.
    pub fn require_scope(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                detail: format!("The token lacks the `{}` scope.", scope.as_str()),
                challenge: Some(format!(
                    "Bearer realm=\"supplier-registry\", error=\"insufficient_scope\", scope=\"{}\"",
                    scope.as_str()
                )),
            })
        }
    }
}

/// Claims already verified by the rate limiter for this request (verified once per request).
#[derive(Clone)]
pub struct VerifiedClaims(pub AccessClaims);

fn unauthorized(detail: &str, invalid: bool) -> ApiError {
    let challenge = if invalid {
        format!(
            "Bearer realm=\"supplier-registry\", error=\"invalid_token\", error_description=\"{detail}\""
        )
    } else {
        "Bearer realm=\"supplier-registry\"".to_owned()
    };
    ApiError::Unauthorized {
        detail: detail.to_owned(),
        challenge,
    }
}

/// The bearer token of the request: `None` without an `Authorization` header, an error for any
/// other scheme or an empty token. The scheme is case-insensitive (RFC 7235).
pub fn bearer_token(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| unauthorized("The Authorization header is not readable.", true))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(unauthorized(
            "Send `Authorization: Bearer <access token>`.",
            true,
        )),
    }
}

/// A caller whose token verified, before its account is read.
#[derive(Debug, Clone)]
pub struct Caller {
    claims: AccessClaims,
    id: Uuid,
}

/// The token verifier (its own app data, see `startup`).
fn verifier(req: &HttpRequest) -> Result<&web::Data<Verifier>, ApiError> {
    req.app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no token verifier registered")))
}

/// The caller of the request: `None` without a token; 401 for a bad one. No database yet.
fn caller(req: &HttpRequest) -> Result<Option<Caller>, ApiError> {
    let Some(token) = bearer_token(req)? else {
        return Ok(None);
    };
    let verifier = verifier(req)?;
    let cached = req.extensions().get::<VerifiedClaims>().cloned();
    let claims = match cached {
        Some(VerifiedClaims(claims)) => claims,
        None => verifier.verify(token).map_err(|e| {
            tracing::debug!(reason = %e, "token refused");
            unauthorized("The access token is invalid or expired.", true)
        })?,
    };
    let id: Uuid = claims
        .sub
        .parse()
        .map_err(|_| unauthorized("The access token is invalid or expired.", true))?;
    Ok(Some(Caller { claims, id }))
}

impl Caller {
    /// The principal, from the account as it is now. Takes a shared connection, so that a
    /// handler can send this query and its own together (diesel-async pipelines them).
    pub async fn resolve(self, conn: &AsyncPgConnection) -> Result<Principal, ApiError> {
        let Self { claims, id } = self;
        let account = if claims.client_id.is_some() {
            db::accounts::client_status(conn, id).await?
        } else {
            db::accounts::user_status(conn, id, claims.sid).await?
        };
        let account = account.filter(|a| a.active).ok_or_else(|| {
            unauthorized("The account is disabled or the login was revoked.", true)
        })?;
        let role = Role::parse(&account.role)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown role in database")))?;
        // A token keeps only the scopes its account's current role still allows.
        let scopes = claims
            .scope
            .split(' ')
            .filter_map(Scope::parse)
            .filter(|s| role.scopes().contains(s))
            .collect();
        let principal = Principal {
            kind: if claims.client_id.is_some() {
                PrincipalKind::Client
            } else {
                PrincipalKind::User
            },
            id,
            name: account.name,
            role,
            countries: account.countries,
            scopes,
        };
        tracing::Span::current().record("principal", tracing::field::display(&principal.id));
        Ok(principal)
    }
}

async fn authenticate(req: HttpRequest) -> Result<Option<Principal>, ApiError> {
    let Some(caller) = caller(&req)? else {
        return Ok(None);
    };
    let verifier = verifier(&req)?;
    let conn = verifier.pool().get().await?;
    caller.resolve(&conn).await.map(Some)
}

/// An optional caller whose account is not read yet (see [`Caller::resolve`]).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(caller(req).map(MaybeCaller))
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req)
                .await?
                .ok_or_else(|| unauthorized("Authentication is required.", false))
        })
    }
}

/// An optional caller: `None` for anonymous requests.
pub struct MaybePrincipal(pub Option<Principal>);

impl FromRequest for MaybePrincipal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybePrincipal(authenticate(req).await?)) })
    }
}
