//! Users, API clients, refresh tokens and failed-login counts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{api_clients, login_failures, refresh_tokens, users};

diesel::define_sql_function! {
    /// SQL `lower()`; e-mail addresses are unique and looked up case-insensitively.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub role: String,
    pub countries: Vec<Option<String>>,
    pub disabled: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub role: &'a str,
    pub countries: &'a [String],
    pub password_hash: &'a str,
}

/// The columns a PATCH may change; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub name: Option<Option<String>>,
    pub role: Option<String>,
    pub countries: Option<Vec<String>>,
    pub disabled: Option<bool>,
    pub version: Option<i32>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_clients, check_for_backend(diesel::pg::Pg))]
pub struct ClientRow {
    pub id: Uuid,
    pub client_id: String,
    pub name: String,
    pub role: String,
    pub countries: Vec<Option<String>>,
    pub disabled: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_clients)]
pub struct NewClientRow<'a> {
    pub id: Uuid,
    pub client_id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub countries: &'a [String],
    pub secret_digest: &'a [u8],
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = api_clients)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub role: Option<String>,
    pub countries: Option<Vec<String>>,
    pub disabled: Option<bool>,
    pub version: Option<i32>,
}

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
    conn: &mut AsyncPgConnection,
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
        .first(conn)
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
    conn: &mut AsyncPgConnection,
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
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(disabled, role, countries, name)| AccountStatus {
        active: !disabled,
        role,
        countries: flatten(countries),
        name,
    }))
}

// ---- users

pub async fn insert_user(
    conn: &mut AsyncPgConnection,
    new: &NewUserRow<'_>,
) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_user(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_user_for_update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// A page of users in id order (UUIDv7: creation order), after `after`.
pub async fn list_users_page(
    conn: &mut AsyncPgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    query.load(conn).await
}

pub async fn update_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: &UserChanges,
) -> QueryResult<UserRow> {
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// What a password login needs: id, hash, role and whether the account is enabled.
pub struct LoginRow {
    pub id: Uuid,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
}

pub async fn find_login(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> QueryResult<Option<LoginRow>> {
    let row: Option<(Uuid, String, String, bool)> = users::table
        .filter(lower(users::email).eq(lower(email)))
        .select((
            users::id,
            users::password_hash,
            users::role,
            users::disabled,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(id, password_hash, role, disabled)| LoginRow {
        id,
        password_hash,
        role,
        disabled,
    }))
}

// ---- clients

pub async fn insert_client(
    conn: &mut AsyncPgConnection,
    new: &NewClientRow<'_>,
) -> QueryResult<ClientRow> {
    diesel::insert_into(api_clients::table)
        .values(new)
        .returning(ClientRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_client(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<ClientRow>> {
    api_clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_client_for_update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<ClientRow>> {
    api_clients::table
        .find(id)
        .select(ClientRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn list_clients_page(
    conn: &mut AsyncPgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<ClientRow>> {
    let mut query = api_clients::table
        .select(ClientRow::as_select())
        .order(api_clients::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(api_clients::id.gt(after));
    }
    query.load(conn).await
}

pub async fn update_client(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: &ClientChanges,
) -> QueryResult<ClientRow> {
    diesel::update(api_clients::table.find(id))
        .set(changes)
        .returning(ClientRow::as_returning())
        .get_result(conn)
        .await
}

/// What a client-credentials request needs.
pub struct ClientLoginRow {
    pub id: Uuid,
    pub secret_digest: Vec<u8>,
    pub role: String,
    pub disabled: bool,
}

pub async fn find_client_login(
    conn: &mut AsyncPgConnection,
    client_id: &str,
) -> QueryResult<Option<ClientLoginRow>> {
    let row: Option<(Uuid, Vec<u8>, String, bool)> = api_clients::table
        .filter(api_clients::client_id.eq(client_id))
        .select((
            api_clients::id,
            api_clients::secret_digest,
            api_clients::role,
            api_clients::disabled,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(
        row.map(|(id, secret_digest, role, disabled)| ClientLoginRow {
            id,
            secret_digest,
            role,
            disabled,
        }),
    )
}

// ---- refresh tokens

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_digest: &'a [u8],
    pub scope: &'a str,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn insert_refresh_token(
    conn: &mut AsyncPgConnection,
    new: &NewRefreshToken<'_>,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(new)
        .execute(conn)
        .await
        .map(drop)
}

/// The refresh token with this digest, locked so that two concurrent uses cannot both rotate it.
pub async fn find_refresh_token_for_update(
    conn: &mut AsyncPgConnection,
    digest: &[u8],
) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_digest.eq(digest))
        .select(RefreshTokenRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn mark_rotated(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.find(id))
        .set(refresh_tokens::rotated_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
        .map(drop)
}

/// Ends a login: every token of the family stops working, and so do the access tokens it issued.
pub async fn revoke_family(conn: &mut AsyncPgConnection, family: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
}

// ---- failed logins

/// How many attempts a key had in the last `window_seconds`, and how many seconds
/// until the oldest of them leaves the window.
pub async fn recent_failures(
    conn: &mut AsyncPgConnection,
    key: &str,
    window_seconds: i64,
) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        failures: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        retry_after: i64,
    }
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS failures, \
                COALESCE(ceil(extract(epoch FROM min(failed_at) + make_interval(secs => $2) - now()))::bigint, 0) AS retry_after \
         FROM login_failures WHERE key = $1 AND failed_at > now() - make_interval(secs => $2)",
    )
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Double, _>(window_seconds as f64)
    .get_result(conn)
    .await?;
    Ok((row.failures, row.retry_after.max(1)))
}

/// Records an attempt under each key; returns the new rows' ids.
pub async fn record_failures(
    conn: &mut AsyncPgConnection,
    keys: &[String],
) -> QueryResult<Vec<i64>> {
    let rows: Vec<_> = keys
        .iter()
        .map(|k| login_failures::key.eq(k.as_str()))
        .collect();
    let ids = diesel::insert_into(login_failures::table)
        .values(rows)
        .returning(login_failures::id)
        .get_results(conn)
        .await?;
    // Keep the table small: nothing older than a day matters.
    diesel::sql_query("DELETE FROM login_failures WHERE failed_at < now() - interval '1 day'")
        .execute(conn)
        .await?;
    Ok(ids)
}

pub async fn delete_failures(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids)))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn clear_failures(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::key.eq(key)))
        .execute(conn)
        .await
        .map(drop)
}
