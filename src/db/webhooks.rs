//! Webhook endpoints and the outbox of their deliveries.
//!
//! [`enqueue`] runs inside the transaction that writes a change event (see
//! `suppliers::record`), so every committed event has its delivery rows and a rolled-back
//! one has none. The dispatcher [`claim_due`]s deliveries with `FOR UPDATE SKIP LOCKED` — any
//! number of service instances can dispatch at once without sending one delivery twice in the same
//! lease — and records each attempt with [`record_attempt`].

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Double, Int8, Jsonb, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use super::schema::{webhook_attempts, webhook_deliveries, webhooks};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<Option<String>>,
    pub status: String,
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint. No `Debug`: it holds the secret.
#[derive(Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhookRow<'a> {
    pub id: Uuid,
    pub url: &'a str,
    pub events: &'a [String],
    pub secret: &'a str,
    pub owner_kind: &'a str,
    pub owner_id: Uuid,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    row: &NewWebhookRow<'_>,
) -> QueryResult<WebhookRow> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .returning(WebhookRow::as_returning())
        .get_result(conn)
        .await
}

/// Endpoints in id order after `after`; only `owner`'s when given (admins see all).
pub async fn list(
    conn: &mut AsyncPgConnection,
    owner: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<WebhookRow>> {
    let mut query = webhooks::table
        .select(WebhookRow::as_select())
        .order(webhooks::id)
        .limit(limit)
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(webhooks::owner_id.eq(owner));
    }
    if let Some(after) = after {
        query = query.filter(webhooks::id.gt(after));
    }
    query.load(conn).await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    owner: Option<Uuid>,
) -> QueryResult<Option<WebhookRow>> {
    let mut query = webhooks::table
        .filter(webhooks::id.eq(id))
        .select(WebhookRow::as_select())
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(webhooks::owner_id.eq(owner));
    }
    query.first(conn).await.optional()
}

/// Deletes an endpoint and its deliveries; whether there was one.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    owner: Option<Uuid>,
) -> QueryResult<bool> {
    let mut query = diesel::delete(webhooks::table)
        .filter(webhooks::id.eq(id))
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(webhooks::owner_id.eq(owner));
    }
    query.execute(conn).await.map(|n| n > 0)
}

/// Queues events (ids and types in pairs) for every endpoint subscribed to their type (not
/// disabled ones). Runs in the transaction that wrote the events.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    event_ids: &[i64],
    kinds: &[String],
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO webhook_deliveries (webhook_id, event_id) \
         SELECT w.id, e.id FROM unnest($1::bigint[], $2::text[]) AS e (id, type) \
         JOIN webhooks w ON w.status <> 'disabled' AND e.type = ANY (w.events)",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(event_ids)
    .bind::<diesel::sql_types::Array<Text>, _>(kinds)
    .execute(conn)
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_id: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A webhook's deliveries, newest first, before `before`, optionally of one status; with their
/// event types.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    webhook: Uuid,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(DeliveryRow, String)>> {
    use super::schema::change_events;
    let mut query = webhook_deliveries::table
        .inner_join(change_events::table)
        .filter(webhook_deliveries::webhook_id.eq(webhook))
        .select((DeliveryRow::as_select(), change_events::type_))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(webhook_deliveries::status.eq(status.to_owned()));
    }
    if let Some(before) = before {
        query = query.filter(webhook_deliveries::id.lt(before));
    }
    query.load(conn).await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub delivery_id: i64,
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    pub response_status: Option<i16>,
    pub outcome: String,
    pub duration_ms: i32,
}

pub async fn attempts_of(
    conn: &mut AsyncPgConnection,
    deliveries: &[i64],
) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(deliveries))
        .order((webhook_attempts::delivery_id, webhook_attempts::attempt))
        .select(AttemptRow::as_select())
        .load(conn)
        .await
}

/// A due delivery, leased to this worker, with what it takes to send it. No `Debug`: it holds the
/// endpoint's secret.
#[derive(QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = Int8)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    pub webhook_id: Uuid,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    #[diesel(sql_type = Int8)]
    pub event_id: i64,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    pub supplier_id: Uuid,
    #[diesel(sql_type = Jsonb)]
    pub data: Value,
}

/// Leases up to `limit` due deliveries for `lease_seconds`: they are skipped by other workers
/// (row locks while claiming, then the pushed-forward due time) until the lease ends.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease_seconds: f64,
) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(
        "WITH due AS ( \
             SELECT d.id FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id AND w.status <> 'disabled' \
             WHERE d.status = 'pending' AND d.next_attempt_at <= now() \
             ORDER BY d.next_attempt_at LIMIT $1 \
             FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d \
            SET next_attempt_at = now() + make_interval(secs => $2) \
           FROM due, webhooks w, change_events e \
          WHERE d.id = due.id AND w.id = d.webhook_id AND e.id = d.event_id \
         RETURNING d.id, d.attempts, d.created_at, w.id AS webhook_id, w.url, w.secret, \
                   e.id AS event_id, e.type AS event_type, e.occurred_at, e.supplier_id, e.data",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(lease_seconds)
    .load(conn)
    .await
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Next {
    /// 2xx: done; a `failing` endpoint is `active` again.
    Delivered,
    /// Try again then.
    RetryAt(DateTime<Utc>),
    /// Out of retries: the delivery failed and the endpoint is `failing`.
    GiveUp,
    /// 410 Gone: the endpoint is disabled and its pending deliveries fail.
    Gone,
}

/// One attempt's record.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub delivery: i64,
    pub webhook: Uuid,
    pub number: i32,
    pub response_status: Option<i16>,
    pub outcome: &'a str,
    pub duration_ms: i32,
}

/// Records an attempt and moves the delivery (and, when it says so, the endpoint) on; one
/// transaction. A delivery that is no longer pending (another worker finished it after this one's
/// lease ran out) keeps its state; the attempt is still recorded.
pub async fn record_attempt(
    conn: &mut AsyncPgConnection,
    attempt: &Attempt<'_>,
    next: Next,
) -> QueryResult<()> {
    use diesel_async::AsyncConnection;
    conn.transaction(async |conn| {
        insert_attempt(conn, attempt).await?;
        let now = Utc::now();
        // The delivery's new state, its next due time, and the endpoint's move (from, to).
        let (status, due, endpoint) = match next {
            Next::Delivered => ("delivered", now, Some(("failing", "active"))),
            Next::RetryAt(at) => ("pending", at, None),
            Next::GiveUp => ("failed", now, Some(("active", "failing"))),
            Next::Gone => ("failed", now, None),
        };
        if !move_delivery(conn, attempt, status, due, now).await? {
            return Ok(());
        }
        if let Some((from, to)) = endpoint {
            diesel::update(webhooks::table)
                .filter(webhooks::id.eq(attempt.webhook))
                .filter(webhooks::status.eq(from))
                .set(webhooks::status.eq(to))
                .execute(conn)
                .await?;
        }
        if next == Next::Gone {
            disable_endpoint(conn, attempt.webhook, now).await?;
        }
        Ok(())
    })
    .await
}

async fn insert_attempt(conn: &mut AsyncPgConnection, attempt: &Attempt<'_>) -> QueryResult<()> {
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::delivery_id.eq(attempt.delivery),
            webhook_attempts::attempt.eq(attempt.number),
            webhook_attempts::response_status.eq(attempt.response_status),
            webhook_attempts::outcome.eq(attempt.outcome),
            webhook_attempts::duration_ms.eq(attempt.duration_ms),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// Moves the delivery to `status`; whether it moved. Only from the state this attempt started
/// in: if another worker has recorded an attempt since (this one's lease lapsed), this record
/// must not move the delivery back.
async fn move_delivery(
    conn: &mut AsyncPgConnection,
    attempt: &Attempt<'_>,
    status: &str,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let moved = diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(attempt.delivery))
            .filter(webhook_deliveries::status.eq("pending"))
            .filter(webhook_deliveries::attempts.eq(attempt.number - 1)),
    )
    .set((
        webhook_deliveries::status.eq(status),
        webhook_deliveries::attempts.eq(attempt.number),
        webhook_deliveries::next_attempt_at.eq(due),
        webhook_deliveries::finished_at.eq((status != "pending").then_some(now)),
    ))
    .execute(conn)
    .await?;
    Ok(moved > 0)
}

/// The receiver answered 410 Gone: the endpoint is disabled and its pending deliveries fail.
async fn disable_endpoint(
    conn: &mut AsyncPgConnection,
    webhook: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(webhook))
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set((
        webhook_deliveries::status.eq("failed"),
        webhook_deliveries::finished_at.eq(now),
    ))
    .execute(conn)
    .await?;
    diesel::update(webhooks::table)
        .filter(webhooks::id.eq(webhook))
        .set(webhooks::status.eq("disabled"))
        .execute(conn)
        .await?;
    Ok(())
}
