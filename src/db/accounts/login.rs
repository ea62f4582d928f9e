//! Refresh tokens (rotating, in families that end together) and failed-login counts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{login_failures, refresh_tokens};

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

/// How many attempts a key had in the last `window_seconds`, and how many whole seconds ago the
/// newest of them was.
pub async fn failure_age(
    conn: &mut AsyncPgConnection,
    key: &str,
    window_seconds: i64,
) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Age {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        failures: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        age: i64,
    }
    let row: Age = diesel::sql_query(
        "SELECT count(*) AS failures, \
                COALESCE(floor(extract(epoch FROM now() - max(failed_at)))::bigint, 0) AS age \
         FROM login_failures WHERE key = $1 AND failed_at > now() - make_interval(secs => $2)",
    )
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Double, _>(window_seconds as f64)
    .get_result(conn)
    .await?;
    Ok((row.failures, row.age.max(0)))
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
