//! Public statistics of the ecosystem, counted from verified suppliers. A supplier counts for a
//! capability when it offers that code or any code below it: both come from `capability_codes`,
//! the same column the search's capability filter and facets use.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_types::{BigInt, Date, Nullable, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, QueryableByName)]
pub struct CoverageRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    /// `total`, `size_class` or `subdivision`.
    #[diesel(sql_type = Text)]
    pub dimension: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub value: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Verified suppliers per capability (with its descendants), in total, by size class and by
/// subdivision, optionally in one country.
pub async fn coverage(
    conn: &mut AsyncPgConnection,
    country: Option<&str>,
) -> QueryResult<Vec<CoverageRow>> {
    diesel::sql_query(
        "WITH offers AS (
             -- capability_codes holds each code and its ancestors, as the search facets count.
             SELECT code, s.id, s.size_class, s.subdivision
             FROM suppliers s, unnest(s.capability_codes) AS code
             WHERE s.status = 'verified' AND ($1::text IS NULL OR s.country = $1::bpchar))
         SELECT code, 'total' AS dimension, NULL AS value, count(*) AS count FROM offers GROUP BY code
         UNION ALL
         SELECT code, 'size_class', size_class, count(*) FROM offers GROUP BY code, size_class
         UNION ALL
         SELECT code, 'subdivision', subdivision, count(*) FROM offers WHERE subdivision IS NOT NULL
         GROUP BY code, subdivision
         ORDER BY 1, 2, 3",
    )
    .bind::<Nullable<Text>, _>(country)
    .load(conn)
    .await
}

#[derive(Debug, QueryableByName)]
pub struct CountRow {
    #[diesel(sql_type = Text)]
    pub dimension: String,
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Verified suppliers by country and by size class, and all suppliers by status.
pub async fn summary_counts(conn: &mut AsyncPgConnection) -> QueryResult<Vec<CountRow>> {
    diesel::sql_query(
        "SELECT 'country' AS dimension, country::text AS value, count(*) AS count
           FROM suppliers WHERE status = 'verified' GROUP BY country
         UNION ALL
         SELECT 'size_class', size_class, count(*) FROM suppliers WHERE status = 'verified' GROUP BY size_class
         UNION ALL
         SELECT 'status', status, count(*) FROM suppliers GROUP BY status
         ORDER BY 1, 2",
    )
    .load(conn)
    .await
}

#[derive(Debug, QueryableByName)]
pub struct MonthRow {
    #[diesel(sql_type = Date)]
    pub month: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Verifications (the `verify` transitions of the audit log) per calendar month, UTC.
pub async fn verifications_per_month(conn: &mut AsyncPgConnection) -> QueryResult<Vec<MonthRow>> {
    diesel::sql_query(
        "SELECT date_trunc('month', at AT TIME ZONE 'UTC')::date AS month, count(*) AS count
         FROM audit_log WHERE action = 'verify' GROUP BY 1 ORDER BY 1",
    )
    .load(conn)
    .await
}
