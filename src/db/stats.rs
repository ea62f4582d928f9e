//! Public statistics of the ecosystem, counted from verified suppliers. A supplier counts for a
//! capability when it offers that code or any code below it: both come from `capability_codes`,
//! the same column the search's capability filter and facets use.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_types::{BigInt, Date, Double, Nullable, Text},
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

#[derive(Debug, QueryableByName)]
pub struct CohortRow {
    /// The first day of the cohort's month (UTC).
    #[diesel(sql_type = Date)]
    pub month: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub registered: i64,
    #[diesel(sql_type = BigInt)]
    pub submitted: i64,
    #[diesel(sql_type = BigInt)]
    pub verified: i64,
    #[diesel(sql_type = BigInt)]
    pub certified: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub median_days_to_verified: Option<f64>,
}

/// What the ladder and the resilience figures are counted over.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub country: Option<&'a str>,
    /// A code: the suppliers that offer it or a code below it.
    pub capability: Option<&'a str>,
}

/// The supplier-development ladder: per monthly cohort of registration in `[from, until)`, the
/// suppliers registered and how many of them reached each step (the `first_*_at` columns, set
/// once by the write path when the step's audit entry is written: see the migration
/// `add_supplier_milestones`).
pub async fn ladder(
    conn: &mut AsyncPgConnection,
    scope: Scope<'_>,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> QueryResult<Vec<CohortRow>> {
    diesel::sql_query(
        "SELECT date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS month,
                count(*) AS registered,
                count(first_submitted_at) AS submitted,
                count(first_verified_at) AS verified,
                count(first_certified_at) AS certified,
                percentile_cont(0.5) WITHIN GROUP
                    (ORDER BY extract(epoch FROM first_verified_at - created_at) / 86400)
                    AS median_days_to_verified
         FROM suppliers
         WHERE ($1::text IS NULL OR country = $1::bpchar)
           AND ($2::text IS NULL OR capability_codes @> ARRAY[$2::text])
           AND ($3::date IS NULL OR created_at >= ($3::date::timestamp AT TIME ZONE 'UTC'))
           AND ($4::date IS NULL OR created_at < ($4::date::timestamp AT TIME ZONE 'UTC'))
         GROUP BY 1 ORDER BY 1",
    )
    .bind::<Nullable<Text>, _>(scope.country)
    .bind::<Nullable<Text>, _>(scope.capability)
    .bind::<Nullable<Date>, _>(from)
    .bind::<Nullable<Date>, _>(until)
    .load(conn)
    .await
}

#[derive(Debug, QueryableByName)]
pub struct PlacesRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = BigInt)]
    pub verified: i64,
    /// Distinct places (subdivisions in one country, countries otherwise) of those suppliers.
    #[diesel(sql_type = BigInt)]
    pub places: i64,
    /// The suppliers whose place is known (a supplier may have no subdivision).
    #[diesel(sql_type = BigInt)]
    pub placed: i64,
    /// The suppliers of the place that has most.
    #[diesel(sql_type = BigInt)]
    pub largest: i64,
    /// The sum over places of the square of their count (the HHI's numerator).
    #[diesel(sql_type = BigInt)]
    pub squares: i64,
}

/// Per capability (with its descendants), the verified suppliers and how they spread over
/// places: subdivisions of `country`, or countries when there is none.
pub async fn places(
    conn: &mut AsyncPgConnection,
    country: Option<&str>,
) -> QueryResult<Vec<PlacesRow>> {
    diesel::sql_query(
        "WITH placed AS (
             SELECT code, CASE WHEN $1::text IS NULL THEN s.country::text ELSE s.subdivision END AS place
             FROM suppliers s, unnest(s.capability_codes) AS code
             WHERE s.status = 'verified' AND ($1::text IS NULL OR s.country = $1::bpchar)),
         counted AS (SELECT code, place, count(*) AS n FROM placed GROUP BY code, place)
         SELECT code,
                sum(n)::bigint AS verified,
                count(place) AS places,
                coalesce(sum(n) FILTER (WHERE place IS NOT NULL), 0)::bigint AS placed,
                coalesce(max(n) FILTER (WHERE place IS NOT NULL), 0)::bigint AS largest,
                coalesce(sum(n * n) FILTER (WHERE place IS NOT NULL), 0)::bigint AS squares
         FROM counted GROUP BY code ORDER BY code",
    )
    .bind::<Nullable<Text>, _>(country)
    .load(conn)
    .await
}
