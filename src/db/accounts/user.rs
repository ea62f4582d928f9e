//! Users: their rows, the changes a PATCH may make, and the lookups of a password login.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::users;

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
