//! The refresh-token grant: each refresh token is good once; a rotated one presented again ends
//! its whole login (the family), since someone else may hold it.

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::{
    dto::{TokenRequest, TokenResponse},
    grants::{answer, new_refresh_token, person_grant, role_of},
    refusal::Refusal,
};
use crate::{
    auth::{Role, Scope, grant_scopes, secrets::REFRESH_TOKEN},
    db::accounts::{self, RefreshTokenRow},
    state::AppState,
};

const REFUSED: &str = "The refresh token is invalid, expired or revoked.";

/// What became of a presented refresh token.
enum Rotation {
    Rotated {
        user: Uuid,
        family: Uuid,
        role: Role,
        scopes: Vec<Scope>,
        refresh: String,
    },
    Refused,
    Reused,
}

pub(super) async fn refresh_grant(
    form: &TokenRequest,
    state: &AppState,
) -> Result<TokenResponse, Refusal> {
    let Some(presented) = form.refresh_token.as_deref() else {
        return Err(Refusal::InvalidRequest("refresh_token is required.".into()));
    };
    let digest = state.digest_key.digest(REFRESH_TOKEN, presented);
    let requested = form.scope.as_deref();
    let mut conn = state.pool.get().await?;
    let outcome = conn
        .transaction(async |conn| rotate(conn, state, &digest, requested).await)
        .await?;
    match outcome {
        Rotation::Rotated {
            user,
            family,
            role,
            scopes,
            refresh,
        } => answer(
            state,
            &person_grant(user, family, role, &scopes),
            Some(refresh),
        ),
        Rotation::Refused => Err(Refusal::InvalidGrant(REFUSED)),
        Rotation::Reused => {
            tracing::warn!("a rotated refresh token was used again; its login is revoked");
            Err(Refusal::InvalidGrant(REFUSED))
        }
    }
}

/// Inside one transaction: checks the presented token (by its digest), marks it rotated and
/// stores its successor.
async fn rotate(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    digest: &[u8],
    requested: Option<&str>,
) -> Result<Rotation, Refusal> {
    let Some(row) = accounts::find_refresh_token_for_update(conn, digest).await? else {
        return Ok(Rotation::Refused);
    };
    if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
        return Ok(Rotation::Refused);
    }
    if row.rotated_at.is_some() {
        // A rotated token came back: someone else may hold the family. End it.
        accounts::revoke_family(conn, row.family_id).await?;
        return Ok(Rotation::Reused);
    }
    let status = accounts::user_status(conn, row.user_id, None).await?;
    let Some(status) = status.filter(|s| s.active) else {
        return Ok(Rotation::Refused);
    };
    let role = role_of(&status.role)?;
    let scopes = narrowed_scopes(&row, role, requested)?;
    accounts::mark_rotated(conn, row.id).await?;
    let refresh = new_refresh_token(state, conn, row.family_id, row.user_id, &scopes).await?;
    Ok(Rotation::Rotated {
        user: row.user_id,
        family: row.family_id,
        role,
        scopes,
        refresh,
    })
}

/// Never more than the login was granted, nor than the role now allows; a `scope` asked for
/// narrows it further.
fn narrowed_scopes(
    row: &RefreshTokenRow,
    role: Role,
    requested: Option<&str>,
) -> Result<Vec<Scope>, Refusal> {
    let granted: Vec<Scope> = row
        .scope
        .split(' ')
        .filter_map(Scope::parse)
        .filter(|s| role.scopes().contains(s))
        .collect();
    let Some(asked) = requested.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(granted);
    };
    let asked = grant_scopes(role, Some(asked)).map_err(Refusal::InvalidScope)?;
    if let Some(extra) = asked.iter().find(|s| !granted.contains(s)) {
        return Err(Refusal::InvalidScope(format!(
            "scope `{}` was not granted to this login",
            extra.as_str()
        )));
    }
    Ok(asked)
}
