//! Accounts: users, API clients, refresh tokens and failed-login counts — and the account status
//! every authenticated request reads.

mod client;
mod login;
mod user;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub use self::{client::*, login::*, user::*};
use super::schema::{api_clients, refresh_tokens, users};

/// Flattens a PostgreSQL text array (whose elements diesel types as nullable).
pub fn flatten(values: Vec<Option<String>>) -> Vec<String> {
    values.into_iter().flatten().collect()
}

/// What a request needs to know about its caller's account.
#[derive(Debug)]
pub struct AccountStatus {
    /// Not disabled, and (for a user's login) not revoked.
    pub active: bool,
    pub role: String,
    pub countries: Vec<String>,
    pub name: String,
}

pub async fn user_status(
    mut conn: &AsyncPgConnection,
    id: Uuid,
    session: Option<Uuid>,
) -> QueryResult<Option<AccountStatus>> {
    // One round trip on every authenticated request: the account and whether its login was
    // revoked (a token without a login asks about the nil family, which never exists).
    let revoked = diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(session.unwrap_or(Uuid::nil())))
            .filter(refresh_tokens::revoked_at.is_not_null()),
    );
    type Row = (bool, String, Vec<Option<String>>, String, bool);
    let row: Option<Row> = users::table
        .find(id)
        .select((
            users::disabled,
            users::role,
            users::countries,
            users::email,
            revoked,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    Ok(row.map(
        |(disabled, role, countries, email, revoked)| AccountStatus {
            active: !disabled && !revoked,
            role,
            countries: flatten(countries),
            name: email,
        },
    ))
}

pub async fn client_status(
    mut conn: &AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<AccountStatus>> {
    let row: Option<(bool, String, Vec<Option<String>>, String)> = api_clients::table
        .find(id)
        .select((
            api_clients::disabled,
            api_clients::role,
            api_clients::countries,
            api_clients::name,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    Ok(row.map(|(disabled, role, countries, name)| AccountStatus {
        active: !disabled,
        role,
        countries: flatten(countries),
        name,
    }))
}
