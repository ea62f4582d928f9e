//! Bulk imports: the uploaded file, its progress and its per-row errors. A worker claims a queued
//! import (or one whose worker's lease ran out) with `FOR UPDATE SKIP LOCKED`, and each batch
//! commits its progress with its suppliers.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{import_errors, imports};

#[derive(Insertable)]
#[diesel(table_name = imports)]
pub struct NewImport<'a> {
    pub id: Uuid,
    pub format: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Uuid,
    pub actor_name: &'a str,
    pub actor_role: &'a str,
    pub actor_countries: &'a [String],
    pub request_id: Option<&'a str>,
    pub body: &'a [u8],
}

impl std::fmt::Debug for NewImport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewImport")
            .field("id", &self.id)
            .field("format", &self.format)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct ImportRow {
    pub id: Uuid,
    pub status: String,
    pub format: String,
    pub actor_id: Uuid,
    pub rows_done: i32,
    pub rows_total: Option<i32>,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub failed: i32,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &NewImport<'_>) -> QueryResult<()> {
    diesel::insert_into(imports::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// An import; only `owner`'s when given.
pub async fn find(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    owner: Option<Uuid>,
) -> QueryResult<Option<ImportRow>> {
    let mut query = imports::table
        .filter(imports::id.eq(id))
        .select(ImportRow::as_select())
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(imports::actor_id.eq(owner));
    }
    query.first(conn).await.optional()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_errors)]
pub struct ErrorRow {
    pub row: i32,
    pub field: String,
    pub message: String,
}

/// The first `limit` errors, by row.
pub async fn errors(
    conn: &mut AsyncPgConnection,
    import: Uuid,
    limit: i64,
) -> QueryResult<Vec<ErrorRow>> {
    import_errors::table
        .filter(import_errors::import_id.eq(import))
        .order((import_errors::row, import_errors::id))
        .limit(limit)
        .select(ErrorRow::as_select())
        .load(conn)
        .await
}

/// A claimed import with what the worker needs. No `Debug` of the body.
#[derive(Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct Claimed {
    pub id: Uuid,
    pub format: String,
    pub actor_kind: String,
    pub actor_id: Uuid,
    pub actor_name: String,
    pub actor_role: String,
    pub actor_countries: Vec<Option<String>>,
    pub request_id: Option<String>,
    pub body: Option<Vec<u8>>,
    pub batches_done: Vec<Option<i32>>,
    pub rows_alone: Vec<Option<i32>>,
    pub attempts: i32,
}

/// Claims the oldest import that is queued, or running under a lease that ran out, for
/// `lease_seconds`.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    lease_seconds: i32,
) -> QueryResult<Option<Claimed>> {
    use diesel::dsl::{now, sql};
    use diesel_async::AsyncConnection;
    conn.transaction(async |conn| {
        let due: Option<Uuid> = imports::table
            .filter(
                imports::status.eq("queued").or(imports::status
                    .eq("running")
                    .and(imports::lease_until.lt(now))),
            )
            .order(imports::created_at)
            .select(imports::id)
            .for_update()
            .skip_locked()
            .first(conn)
            .await
            .optional()?;
        let Some(id) = due else {
            return Ok(None);
        };
        diesel::update(imports::table.filter(imports::id.eq(id)))
            .set((
                imports::status.eq("running"),
                imports::attempts.eq(imports::attempts + 1),
                imports::lease_until.eq(lease_end(lease_seconds)),
                imports::started_at.eq(sql("coalesce(started_at, now())")),
            ))
            .returning(Claimed::as_returning())
            .get_result(conn)
            .await
            .map(Some)
    })
    .await
}

fn lease_end(seconds: i32) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(i64::from(seconds))
}

/// What one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub failed: i32,
}

/// What a transaction of an import's rows completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A whole batch: its number and its rows.
    Batch(i32, i32),
    /// One row, committed alone.
    Row(i32),
}

/// Records what rows did (in their transaction), marks them done and renews the lease. `false`
/// when they were already marked done — by another worker that took over a lapsed lease — and
/// the caller must roll back, so that nothing is done or counted twice.
pub async fn progress(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    mark: Mark,
    counts: Counts,
    errors: &[(i32, String, String)],
    lease_seconds: i32,
) -> QueryResult<bool> {
    use diesel::{
        dsl::sql,
        sql_types::{Array, Bool, Int4, Nullable},
    };
    if !errors.is_empty() {
        let values: Vec<_> = errors
            .iter()
            .map(|(row, field, message)| {
                (
                    import_errors::import_id.eq(id),
                    import_errors::row.eq(row),
                    import_errors::field.eq(field),
                    import_errors::message.eq(message),
                )
            })
            .collect();
        diesel::insert_into(import_errors::table)
            .values(values)
            .execute(conn)
            .await?;
    }
    let (list, number, rows) = match mark {
        Mark::Batch(number, rows) => ("batches_done", number, rows),
        Mark::Row(number) => ("rows_alone", number, 0),
    };
    let not_done = sql::<Bool>("NOT (")
        .bind::<Int4, _>(number)
        .sql(&format!(" = ANY ({list}))"));
    let appended = sql::<Array<Nullable<Int4>>>(&format!("array_append({list}, "))
        .bind::<Int4, _>(number)
        .sql(")");
    let target = imports::table.filter(imports::id.eq(id)).filter(not_done);
    let common = (
        imports::rows_done.eq(imports::rows_done + rows),
        imports::created.eq(imports::created + counts.created),
        imports::updated.eq(imports::updated + counts.updated),
        imports::unchanged.eq(imports::unchanged + counts.unchanged),
        imports::failed.eq(imports::failed + counts.failed),
        imports::lease_until.eq(lease_end(lease_seconds)),
    );
    let updated = match mark {
        Mark::Batch(..) => {
            diesel::update(target)
                .set((common, imports::batches_done.eq(appended)))
                .execute(conn)
                .await?
        }
        Mark::Row(_) => {
            diesel::update(target)
                .set((common, imports::rows_alone.eq(appended)))
                .execute(conn)
                .await?
        }
    };
    Ok(updated == 1)
}

/// Ends an import (`completed` or `failed`) and lets go of its file.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: &str,
    rows_total: i32,
) -> QueryResult<()> {
    diesel::update(imports::table.filter(imports::id.eq(id)))
        .set((
            imports::status.eq(status),
            imports::rows_total.eq(rows_total),
            imports::finished_at.eq(Utc::now()),
            imports::lease_until.eq(None::<DateTime<Utc>>),
            imports::body.eq(None::<Vec<u8>>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The ids of the suppliers with these `(country, tax_id)` keys (one unique-index probe each:
/// `country` is `char(2)`, so the key is cast to it, not the column to `text`).
pub async fn ids_by_tax_id(
    conn: &mut AsyncPgConnection,
    keys: &[(String, String)],
) -> QueryResult<Vec<(Uuid, String, String)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let (countries, tax_ids): (Vec<&str>, Vec<&str>) =
        keys.iter().map(|(c, t)| (c.as_str(), t.as_str())).unzip();
    diesel::sql_query(
        "SELECT s.id, s.country::text AS country, s.tax_id FROM suppliers s \
         JOIN unnest($1::text[], $2::text[]) AS k (country, tax_id) \
           ON s.country = k.country::bpchar AND s.tax_id = k.tax_id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(countries)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(tax_ids)
    .load::<KeyRow>(conn)
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|r| (r.id, r.country, r.tax_id))
            .collect()
    })
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    country: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    tax_id: String,
}

/// A created row that may duplicate a supplier: (row, supplier, score).
pub type PossibleDuplicate = (i32, Uuid, f64);

/// Records the possible duplicates of an import's created rows (in the batch's transaction).
pub async fn add_duplicates(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    found: &[PossibleDuplicate],
) -> QueryResult<()> {
    use diesel::sql_types::{Array, Double, Int4, Uuid as SqlUuid};
    if found.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO import_duplicates (import_id, row, supplier_id, score)
         SELECT $1, * FROM unnest($2::int4[], $3::uuid[], $4::float8[])
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Array<Int4>, _>(found.iter().map(|f| f.0).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(found.iter().map(|f| f.1).collect::<Vec<_>>())
    .bind::<Array<Double>, _>(found.iter().map(|f| f.2).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map(drop)
}

/// The first `limit` possible duplicates of an import, by row.
pub async fn duplicates(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    limit: i64,
) -> QueryResult<Vec<PossibleDuplicate>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        n: i32,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        supplier_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Double)]
        score: f64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT row AS n, supplier_id, score FROM import_duplicates WHERE import_id = $1
         ORDER BY row, score DESC, supplier_id LIMIT $2",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.n, r.supplier_id, r.score))
        .collect())
}
