//! The one write path of a supplier: [`record`] stores a change — the row (or its parts, status
//! or owners), its audit entry, its change event and the event's webhook outbox rows — on the
//! caller's connection, inside the caller's transaction, so that all of it commits or none does.
//! Every writer goes through it: the API (create, update, archive, the workflow, owners), the
//! bulk import (many changes at once, [`record_all`]) and the certificate expiry job.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    result::{DatabaseErrorKind, Error as DbError},
    sql_types::{Array, BigInt, Jsonb, Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};
use uuid::Uuid;

use super::columns::{self, SupplierColumns};
use crate::domain::{
    status::{EventType, SupplierStatus},
    supplier::{Edit, Size, SupplierInput, ValidSupplier, created_audit},
};

/// Who makes a change, and under which request.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub actor: &'a Actor,
    pub request_id: Option<&'a str>,
}

/// What a change does to the supplier's own rows.
pub enum RowWrite<'a> {
    /// A new supplier with its parts, and its first owner.
    Insert {
        columns: SupplierColumns<'a>,
        input: &'a SupplierInput,
        owner: Option<Uuid>,
    },
    /// New column values; the parts are rewritten when `parts` is set, and the status moves when
    /// `status` is set.
    Update {
        columns: SupplierColumns<'a>,
        parts: Option<&'a SupplierInput>,
        status: Option<StatusColumns<'a>>,
    },
    /// A move of the workflow, or an archive.
    Status(StatusColumns<'a>),
    AddOwner(Uuid),
    RemoveOwner(Uuid),
    /// A duplicate merged into `into`: archived, naming its survivor.
    Merged {
        into: Uuid,
        status: StatusColumns<'a>,
    },
    /// The survivor of a merge: its new columns and parts when it gains references or
    /// contacts, and the owners it gains.
    Absorb {
        edit: Option<(SupplierColumns<'a>, &'a SupplierInput)>,
        owners: &'a [Uuid],
    },
    /// The version only: what changed was written by the caller in the same transaction (the
    /// expiry job's certificate statuses).
    Version,
}

/// A status, with its reason and the time of the last verification.
#[derive(Debug, Clone, Copy)]
pub struct StatusColumns<'a> {
    pub status: SupplierStatus,
    pub reason: Option<&'a str>,
    pub verified_at: Option<DateTime<Utc>>,
}

/// One change to one supplier, with what the audit log and the change feed say of it.
pub struct SupplierChange<'a> {
    pub supplier: Uuid,
    /// The version after the change (owners are not part of the document: it stays then).
    pub version: i32,
    pub write: RowWrite<'a>,
    /// The audit entry's action (`create`, `update`, `verify`, …) and its field → `[old, new]`.
    pub action: &'a str,
    pub audit: Value,
    pub event: EventType,
    pub data: Value,
}

/// Why a change was not stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Another supplier holds this `(country, tax_id)` (committed by a concurrent request).
    #[error("a supplier with this country and tax id exists")]
    DuplicateTaxId,
    /// Another supplier that is not archived holds one of the `(system, value)` external
    /// references (committed by a concurrent request).
    #[error("a supplier with one of these external references exists")]
    DuplicateRef,
    #[error(transparent)]
    Database(DbError),
}

impl From<DbError> for WriteError {
    fn from(e: DbError) -> Self {
        match &e {
            DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some("suppliers_country_tax_id_key") =>
            {
                Self::DuplicateTaxId
            }
            DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some("supplier_external_refs_active_key") =>
            {
                Self::DuplicateRef
            }
            _ => Self::Database(e),
        }
    }
}

/// Stores one change (see the module's documentation).
pub async fn record(
    conn: &mut AsyncPgConnection,
    author: Author<'_>,
    change: SupplierChange<'_>,
) -> Result<(), WriteError> {
    record_all(conn, author, std::slice::from_ref(&change)).await
}

/// Stores many changes: new suppliers in one statement per table, the others one by one, then
/// every audit entry in one statement and every event (with its outbox rows) in one, last, as
/// the feed's lock is held from then to the commit.
pub async fn record_all(
    conn: &mut AsyncPgConnection,
    author: Author<'_>,
    changes: &[SupplierChange<'_>],
) -> Result<(), WriteError> {
    write_rows_and_audit(conn, author, changes).await?;
    append_events(conn, changes).await
}

/// A step of the caller's that [`record_then`] runs after the rows, before the events.
#[derive(Debug)]
pub enum ThenError<E> {
    Write(WriteError),
    Then(E),
}

/// Stores one change as [`record`] does, but runs `then` on the same connection after the rows
/// and the audit entry are written and before the event takes the feed's lock: what the caller
/// still has to do in the transaction (read the document back, store an idempotent answer)
/// does not hold up every other writer.
pub async fn record_then<T, E>(
    conn: &mut AsyncPgConnection,
    author: Author<'_>,
    change: SupplierChange<'_>,
    then: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, E>,
) -> Result<T, ThenError<E>> {
    let changes = std::slice::from_ref(&change);
    write_rows_and_audit(conn, author, changes)
        .await
        .map_err(ThenError::Write)?;
    let answer = then(conn).await.map_err(ThenError::Then)?;
    append_events(conn, changes)
        .await
        .map_err(ThenError::Write)?;
    Ok(answer)
}

async fn write_rows_and_audit(
    conn: &mut AsyncPgConnection,
    author: Author<'_>,
    changes: &[SupplierChange<'_>],
) -> Result<(), WriteError> {
    insert_new(conn, changes).await?;
    for change in changes {
        write_row(conn, change).await?;
    }
    let entries: Vec<AuditEntry<'_>> = changes
        .iter()
        .map(|c| AuditEntry {
            supplier: c.supplier,
            actor: author.actor,
            action: c.action,
            request_id: author.request_id,
            changes: &c.audit,
        })
        .collect();
    insert_audits(conn, &entries).await?;
    let reached: Vec<(Uuid, &'static str)> = changes
        .iter()
        .filter_map(|c| {
            let parts = match &c.write {
                RowWrite::Insert { input, .. } => Some(*input),
                RowWrite::Update { parts, .. } => *parts,
                _ => None,
            };
            super::steps::reached(c.action, parts).map(|step| (c.supplier, step))
        })
        .collect();
    super::steps::mark(conn, &reached).await?;
    Ok(())
}

async fn append_events(
    conn: &mut AsyncPgConnection,
    changes: &[SupplierChange<'_>],
) -> Result<(), WriteError> {
    let events: Vec<(EventType, Uuid, &Value)> = changes
        .iter()
        .map(|c| (c.event, c.supplier, &c.data))
        .collect();
    insert_events(conn, &events).await?;
    Ok(())
}

/// The new suppliers among `changes`, their parts and first owners, together.
async fn insert_new(
    conn: &mut AsyncPgConnection,
    changes: &[SupplierChange<'_>],
) -> Result<(), WriteError> {
    let mut rows = Vec::new();
    let mut parts = Vec::new();
    let mut owners = Vec::new();
    for c in changes {
        if let RowWrite::Insert {
            columns,
            input,
            owner,
        } = &c.write
        {
            rows.push((c.supplier, columns));
            parts.push((c.supplier, *input));
            owners.extend(owner.map(|o| (c.supplier, o)));
        }
    }
    columns::insert_many(conn, &rows).await?;
    columns::insert_parts_many(conn, &parts).await?;
    for (supplier, owner) in owners {
        columns::add_owner(conn, supplier, owner).await?;
    }
    Ok(())
}

/// A change's own rows, but for new suppliers (see [`insert_new`]).
async fn write_row(
    conn: &mut AsyncPgConnection,
    change: &SupplierChange<'_>,
) -> Result<(), WriteError> {
    let (id, version) = (change.supplier, change.version);
    match &change.write {
        RowWrite::Insert { .. } => {}
        RowWrite::Update {
            columns,
            parts,
            status,
        } => {
            columns::update(conn, id, columns, version).await?;
            if let Some(input) = parts {
                columns::replace_parts(conn, id, input).await?;
            }
            if let Some(s) = status {
                columns::set_status(conn, id, s.status, s.reason, s.verified_at, version).await?;
            }
        }
        RowWrite::Status(s) => {
            columns::set_status(conn, id, s.status, s.reason, s.verified_at, version).await?;
        }
        RowWrite::Merged { into, status: s } => {
            columns::set_status(conn, id, s.status, s.reason, s.verified_at, version).await?;
            columns::set_merged_into(conn, id, *into).await?;
        }
        RowWrite::Absorb { edit, owners } => {
            match edit {
                Some((columns, input)) => {
                    columns::update(conn, id, columns, version).await?;
                    columns::replace_parts(conn, id, input).await?;
                }
                None => columns::set_version(conn, id, version).await?,
            }
            for owner in owners.iter() {
                columns::add_owner(conn, id, *owner).await?;
            }
        }
        RowWrite::AddOwner(user) => columns::add_owner(conn, id, *user).await?,
        RowWrite::RemoveOwner(user) => columns::remove_owner(conn, id, *user).await?,
        RowWrite::Version => columns::set_version(conn, id, version).await?,
    }
    Ok(())
}

/// Who made a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `client` or `system`.
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub name: String,
}

/// An audit entry: `changes` maps each changed field to `[old, new]`.
struct AuditEntry<'a> {
    supplier: Uuid,
    actor: &'a Actor,
    action: &'a str,
    request_id: Option<&'a str>,
    changes: &'a Value,
}

async fn insert_audits(
    conn: &mut AsyncPgConnection,
    entries: &[AuditEntry<'_>],
) -> QueryResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    // One array per column, unnested by the database (see `insert_many`).
    diesel::sql_query(
        "INSERT INTO audit_log (supplier_id, actor_kind, actor_id, actor_name, action, request_id,
                                changes)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                              $6::text[], $7::jsonb[])",
    )
    .bind::<Array<SqlUuid>, _>(entries.iter().map(|e| e.supplier).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(entries.iter().map(|e| e.actor.kind).collect::<Vec<_>>())
    .bind::<Array<Nullable<SqlUuid>>, _>(entries.iter().map(|e| e.actor.id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        entries
            .iter()
            .map(|e| e.actor.name.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(entries.iter().map(|e| e.action).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(entries.iter().map(|e| e.request_id).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(entries.iter().map(|e| e.changes).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map(drop)
}

/// The advisory lock that orders the change feed.
const FEED_LOCK: i64 = 0x5352_4645_4544; // "SRFEED"

/// Appends to the change feed. Event ids come from a sequence, which hands them out before
/// commit: left alone, a slow transaction could commit id 10 after a fast one committed id 11,
/// and a poller that had read 11 would never see 10. So every writer takes one transaction-scoped
/// lock before it draws its id and keeps it until it commits: ids are then drawn in commit
/// order. [`record_all`] writes the events last, to hold the lock as briefly as possible.
///
/// Appends many events (type, supplier, data) under one take of the feed's lock, and queues their
/// webhook deliveries.
async fn insert_events(
    conn: &mut AsyncPgConnection,
    events: &[(EventType, Uuid, &Value)],
) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(FEED_LOCK)
        .execute(conn)
        .await?;
    // One array per column, unnested by the database (see `insert_many`); ids are drawn in the
    // order of `events`.
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        #[diesel(column_name = type_)]
        kind: String,
    }
    let inserted: Vec<Inserted> = diesel::sql_query(
        "INSERT INTO change_events (type, supplier_id, data)
         SELECT type, supplier_id, data
         FROM unnest($1::text[], $2::uuid[], $3::jsonb[]) WITH ORDINALITY AS e (type, supplier_id, data, n)
         ORDER BY n
         RETURNING id, type AS type_",
    )
    .bind::<Array<Text>, _>(events.iter().map(|(kind, _, _)| kind.as_str()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(events.iter().map(|(_, id, _)| *id).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(events.iter().map(|(_, _, data)| *data).collect::<Vec<_>>())
    .load(conn)
    .await?;
    let inserted: Vec<(i64, String)> = inserted.into_iter().map(|r| (r.id, r.kind)).collect();
    let (ids, kinds): (Vec<i64>, Vec<String>) = inserted.into_iter().unzip();
    // The webhook outbox, in the same transaction as the change.
    crate::db::webhooks::enqueue(conn, &ids, &kinds)
        .await
        .map(drop)
}

impl<'a> SupplierChange<'a> {
    /// A new supplier (`draft`, version 1), owned by `owner` when a supplier user registers it.
    pub fn create(id: Uuid, valid: &'a ValidSupplier, size: &'a Size, owner: Option<Uuid>) -> Self {
        let status = SupplierStatus::Draft;
        Self {
            supplier: id,
            version: 1,
            write: RowWrite::Insert {
                columns: SupplierColumns::of(valid, size),
                input: &valid.input,
                owner,
            },
            action: "create",
            audit: created_audit(valid, size, Utc::now().date_naive()),
            event: EventType::SupplierCreated,
            data: json!({ "version": 1, "status": status }),
        }
    }

    /// An edit (a merge patch, or an import row) of a supplier at `version - 1`.
    pub fn edit(
        id: Uuid,
        version: i32,
        edit: &'a Edit,
        verified_at: Option<DateTime<Utc>>,
    ) -> Self {
        let (event, data) = edit.event(version);
        Self {
            supplier: id,
            version,
            write: RowWrite::Update {
                columns: SupplierColumns::of(&edit.valid, &edit.size),
                parts: edit.parts_changed().then_some(&edit.valid.input),
                status: edit.status.map(|(_, to)| StatusColumns {
                    status: to,
                    reason: None,
                    verified_at,
                }),
            },
            action: "update",
            audit: Value::Object(edit.diff.clone()),
            event,
            data,
        }
    }
}
