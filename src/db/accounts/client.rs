//! API clients (partner systems): their rows, changes and the lookup of a client-credentials
//! request.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::api_clients;

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
