//! Facet counts over every match, and the generation (change feed and date) that an answer kept
//! in memory is computed from.

use chrono::NaiveDate;
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Date, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{
    cache::Generation,
    filters::{Filters, Visibility},
    sql::{Sql, conditions},
};

/// What a search can see, as far as answers kept in memory go: the newest change-feed id and the
/// date (see `cache`).
pub async fn generation(conn: &mut AsyncPgConnection) -> diesel::QueryResult<Generation> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        feed: i64,
        #[diesel(sql_type = Date)]
        today: NaiveDate,
    }
    let row: Row = diesel::sql_query(
        "SELECT coalesce(max(id), 0) AS feed, current_date AS today FROM change_events",
    )
    .get_result(conn)
    .await?;
    Ok(Generation {
        feed: row.feed,
        today: row.today,
    })
}

#[derive(Debug, QueryableByName)]
pub struct FacetRow {
    #[diesel(sql_type = Text)]
    pub facet: String,
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Counts over every match: by capability (each level), country, subdivision, size class,
/// certification (valid today) and status.
pub async fn facets(
    conn: &mut AsyncPgConnection,
    filters: &Filters,
    visibility: &Visibility,
) -> diesel::QueryResult<Vec<FacetRow>> {
    let mut sql = Sql::default();
    let wh = conditions(&mut sql, filters, visibility);
    // One read of the matches; the flat facets in one pass (grouping sets), and the
    // certifications from the arrays on the row (valid today), not a join per match.
    sql.text = format!(
        "WITH matched AS MATERIALIZED (
             SELECT s.id, s.country, s.subdivision, s.size_class, s.status, s.capability_codes,
                    s.certification_schemes, s.certification_expiries
             FROM suppliers s WHERE {wh})
         SELECT 'capability' AS facet, code AS value, count(*) AS count
           FROM matched, unnest(capability_codes) AS code GROUP BY code
         UNION ALL
         SELECT CASE WHEN grouping(country) = 0 THEN 'country'
                     WHEN grouping(subdivision) = 0 THEN 'subdivision'
                     WHEN grouping(size_class) = 0 THEN 'size_class' ELSE 'status' END,
                coalesce(country::text, subdivision, size_class, status), count(*)
           FROM matched
           GROUP BY GROUPING SETS ((country), (subdivision), (size_class), (status))
           HAVING grouping(subdivision) = 1 OR subdivision IS NOT NULL
         UNION ALL
         SELECT 'certification', scheme, count(DISTINCT id)
           FROM matched, unnest(certification_schemes, certification_expiries) AS c(scheme, expires_on)
           WHERE expires_on IS NULL OR expires_on >= current_date GROUP BY scheme"
    );
    sql.into_query().load(conn).await
}
