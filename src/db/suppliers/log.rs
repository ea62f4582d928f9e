//! What the write path leaves behind, read back: a supplier's audit history, the change feed,
//! and the certificates whose status the expiry job is due to move.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Int2, Int4, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::{audit_log, change_events, supplier_owners};

/// An audit entry as stored.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub request_id: Option<String>,
    pub changes: Value,
}

/// A page of a supplier's audit entries, oldest first, after entry `after`.
pub async fn history_page(
    conn: &mut AsyncPgConnection,
    supplier: Uuid,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_log::table
        .filter(audit_log::supplier_id.eq(supplier))
        .select(AuditRow::as_select())
        .order(audit_log::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(audit_log::id.gt(after));
    }
    query.load(conn).await
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = change_events, check_for_backend(diesel::pg::Pg))]
pub struct EventRow {
    pub id: i64,
    #[diesel(column_name = type_)]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub supplier_id: Uuid,
    pub data: Value,
}

/// Events after `after`, in id (= commit) order; with `owner`, only the events of the suppliers
/// that user owns (a supplier caller's feed: nothing it could not read with `GET`).
pub async fn events_after(
    conn: &mut AsyncPgConnection,
    after: i64,
    limit: i64,
    owner: Option<Uuid>,
) -> QueryResult<Vec<EventRow>> {
    let mut query = change_events::table
        .filter(change_events::id.gt(after))
        .order(change_events::id)
        .limit(limit)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(
            change_events::supplier_id.eq_any(
                supplier_owners::table
                    .filter(supplier_owners::user_id.eq(owner))
                    .select(supplier_owners::supplier_id),
            ),
        );
    }
    query.load(conn).await
}

/// A certificate whose status the expiry job changed.
#[derive(Debug, QueryableByName)]
pub struct CertificateChange {
    #[diesel(sql_type = SqlUuid)]
    pub supplier_id: Uuid,
    #[diesel(sql_type = Int2)]
    pub position: i16,
    #[diesel(sql_type = Text)]
    pub old_status: String,
    #[diesel(sql_type = Text)]
    pub new_status: String,
}

const STATUS_ON_DATE: &str = "CASE WHEN expires_on < $1 THEN 'expired' \
     WHEN expires_on <= $1 + 60 THEN 'expiring' ELSE 'valid' END";

/// The suppliers with a certificate whose stored status differs from what its dates say on
/// `today` (read without locks; each is then moved in its own transaction).
pub async fn suppliers_with_due_certificates(
    conn: &mut AsyncPgConnection,
    today: chrono::NaiveDate,
) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        supplier_id: Uuid,
    }
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT DISTINCT supplier_id FROM supplier_certifications \
         WHERE expires_on IS NOT NULL AND status <> {STATUS_ON_DATE} ORDER BY supplier_id"
    ))
    .bind::<diesel::sql_types::Date, _>(today)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.supplier_id).collect())
}

/// Inside a transaction: locks the supplier (so the job and an edit of it take turns) and moves
/// its certificates to the status their dates say on `today`; returns the supplier's version and
/// what moved (the caller records the change on the write path).
pub async fn refresh_certificates_of(
    conn: &mut AsyncPgConnection,
    supplier: Uuid,
    today: chrono::NaiveDate,
) -> QueryResult<(i32, Vec<CertificateChange>)> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Int4)]
        version: i32,
    }
    let locked: Locked =
        diesel::sql_query("SELECT version FROM suppliers WHERE id = $1 FOR UPDATE")
            .bind::<SqlUuid, _>(supplier)
            .get_result(conn)
            .await?;
    diesel::sql_query(format!(
        "WITH due AS (
             SELECT supplier_id, position, status AS old_status, {STATUS_ON_DATE} AS new_status
             FROM supplier_certifications WHERE supplier_id = $2 AND expires_on IS NOT NULL)
         UPDATE supplier_certifications c SET status = due.new_status
         FROM due
         WHERE c.supplier_id = due.supplier_id AND c.position = due.position
           AND due.old_status <> due.new_status
         RETURNING c.supplier_id, c.position, due.old_status, due.new_status"
    ))
    .bind::<diesel::sql_types::Date, _>(today)
    .bind::<SqlUuid, _>(supplier)
    .load(conn)
    .await
    .map(|moved| (locked.version, moved))
}
