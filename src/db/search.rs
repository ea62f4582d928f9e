//! Supplier search: one `WHERE` built from the filters (shared by the list, the facets and the
//! export), keyset pagination on the sort key and id, and facet counts over the same set.
//! Every value is a bind parameter; only fixed SQL fragments are concatenated.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    QueryableByName,
    pg::Pg,
    query_builder::BoxedSqlQuery,
    sql_types::{Array, BigInt, Date, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{SearchPools, suppliers::SupplierRecord};

/// Who is searching, as far as visibility goes.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Verified suppliers only.
    Public,
    /// Verified suppliers and those this user owns.
    Owner(Uuid),
    /// Everything but archived suppliers.
    AllButArchived,
    /// Everything.
    All,
}

/// A bind parameter's value.
#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Texts(Vec<String>),
    Float(f64),
    Time(DateTime<Utc>),
    Id(Uuid),
    Int(i64),
}

/// The search, as parsed from the query string.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Already lower-cased and unaccented by the database, from the raw text.
    pub q: Option<String>,
    pub capabilities: Vec<String>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
    pub size_classes: Vec<String>,
    pub certification: Option<String>,
    pub statuses: Vec<String>,
    /// (lat, lon, radius in km).
    pub near: Option<(f64, f64, f64)>,
    pub updated_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    UpdatedDesc,
    Distance,
    Relevance,
}

/// Where the previous page ended: the sort key and the id (tagged, so that a time is never read
/// back as text).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum After {
    Text(String, Uuid),
    Time(DateTime<Utc>, Uuid),
    Number(f64, Uuid),
}

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// SQL text plus its binds, numbered as they are added.
#[derive(Default)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        let cast = match self.binds.last() {
            Some(Bind::Text(_)) => "::text",
            Some(Bind::Texts(_)) => "::text[]",
            Some(Bind::Float(_)) => "::float8",
            Some(Bind::Time(_)) => "::timestamptz",
            Some(Bind::Id(_)) => "::uuid",
            Some(Bind::Int(_)) | None => "::bigint",
        };
        format!("${}{cast}", self.binds.len())
    }

    fn into_query(self) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
        let mut query = diesel::sql_query(self.text).into_boxed::<Pg>();
        for bind in self.binds {
            query = match bind {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Texts(v) => query.bind::<Array<Text>, _>(v),
                Bind::Float(v) => query.bind::<Double, _>(v),
                Bind::Time(v) => query.bind::<Timestamptz, _>(v),
                Bind::Id(v) => query.bind::<SqlUuid, _>(v),
                Bind::Int(v) => query.bind::<BigInt, _>(v),
            };
        }
        query
    }
}

/// A search statement that diesel keeps prepared per connection, keyed by its text (the text is
/// one of a bounded set: it depends on which filters are given, never on their values). Whether
/// it is planned once or per call is the session's `plan_cache_mode`, set by the pool it runs on
/// (see [`SearchPools`]): once for the nearest-first sorts, whose best plan is a GiST
/// nearest-first scan whatever the values (planning was half the database time of a geo page);
/// per call for the name and update orders (see `../shared/reference/search-performance.md` on
/// generic plans).
struct PreparedSql(Sql);

impl diesel::query_builder::QueryId for PreparedSql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for PreparedSql {
    type SqlType = diesel::sql_types::Untyped;
}

impl diesel::query_builder::QueryFragment<Pg> for PreparedSql {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()> {
        // The text holds `$n` where bind n goes (and nowhere else); each is pushed where it
        // occurs, so diesel numbers them itself.
        let text = self.0.text.as_str();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let n: usize = rest[at + 1..at + 1 + digits].parse().map_err(|_| {
                diesel::result::Error::SerializationError("a `$` without a bind number".into())
            })?;
            let bind = self.0.binds.get(n.wrapping_sub(1)).ok_or_else(|| {
                diesel::result::Error::SerializationError(format!("no bind ${n}").into())
            })?;
            match bind {
                Bind::Text(v) => out.push_bind_param::<Text, _>(v)?,
                Bind::Texts(v) => out.push_bind_param::<Array<Text>, _>(v)?,
                Bind::Float(v) => out.push_bind_param::<Double, _>(v)?,
                Bind::Time(v) => out.push_bind_param::<Timestamptz, _>(v)?,
                Bind::Id(v) => out.push_bind_param::<SqlUuid, _>(v)?,
                Bind::Int(v) => out.push_bind_param::<BigInt, _>(v)?,
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

/// The straight-line (chord) distance in metres from a point to a supplier, both on the sphere
/// of `sr_earth` (migration `add_supplier_earth_index`). It grows with the great-circle distance,
/// and the GiST index on `sr_earth(lat, lon)` returns suppliers nearest first by it.
fn chord_sql(sql: &mut Sql, lat: f64, lon: f64) -> String {
    let (lat, lon) = (sql.bind(Bind::Float(lat)), sql.bind(Bind::Float(lon)));
    format!("(sr_earth(s.lat, s.lon) <-> sr_earth({lat}, {lon}))")
}

/// The chord, in metres, of a great-circle distance in km on the same sphere.
fn chord_of(km: f64) -> f64 {
    let r = EARTH_RADIUS_KM * 1000.0;
    2.0 * r * (km * 1000.0 / (2.0 * r)).sin()
}

/// The word-similarity distance (a real). Ordered by this alone, the trigram GiST index returns
/// the nearest names first and stops early; a tie-break column or a cast would turn that into
/// reading every candidate (78 ms instead of 0.9 ms at 100,000 suppliers), so ties are settled by
/// id afterwards (see `settle_ties`).
fn relevance_sql(sql: &mut Sql, q: &str) -> String {
    let q = sql.bind(Bind::Text(q.to_owned()));
    format!("(lower(sr_unaccent({q})) <<-> s.name_key)")
}

/// `column` is one of `values`. One value is written as `=`: with `= ANY` on its leading columns
/// the btree `(status, country, size_class, legal_name, id)` cannot return rows in name order, and
/// the first page of a status + country + size search read 316 rows through the name index
/// instead of 57 through this one (8.4 ms → 0.5 ms at 1,000,000 suppliers).
fn one_of(sql: &mut Sql, column: &str, mut values: Vec<String>) -> String {
    if values.len() == 1 {
        let value = sql.bind(Bind::Text(values.remove(0)));
        format!("{column} = {value}")
    } else {
        let values = sql.bind(Bind::Texts(values));
        format!("{column} = ANY({values})")
    }
}

/// The conditions of a search, as a `WHERE` body over `suppliers s`.
fn conditions(sql: &mut Sql, filters: &Filters, visibility: &Visibility) -> String {
    let mut parts = Vec::new();
    // One status condition with the statuses both asked for and visible, so that the planner
    // estimates it once (two conditions on one column multiply their selectivities).
    let visible: Vec<String> = filters
        .statuses
        .iter()
        .filter(|s| match visibility {
            Visibility::Public => *s == "verified",
            Visibility::AllButArchived => *s != "archived",
            Visibility::Owner(_) | Visibility::All => true,
        })
        .cloned()
        .collect();
    parts.push(one_of(sql, "s.status", visible));
    if let Visibility::Owner(user) = visibility {
        let user = sql.bind(Bind::Id(*user));
        parts.push(format!(
            "(s.status = 'verified' OR s.id IN (SELECT supplier_id FROM supplier_owners WHERE user_id = {user}))"
        ));
    }
    if let Some(q) = &filters.q {
        let q = sql.bind(Bind::Text(q.clone()));
        parts.push(format!("lower(sr_unaccent({q})) <% s.name_key"));
    }
    if !filters.capabilities.is_empty() {
        let codes = sql.bind(Bind::Texts(filters.capabilities.clone()));
        parts.push(format!("s.capability_codes && {codes}"));
    }
    if let Some(country) = &filters.country {
        let c = sql.bind(Bind::Text(country.clone()));
        // As char(2), like the column: compared as text, the column index would not serve.
        parts.push(format!("s.country = {c}::bpchar"));
    }
    if let Some(subdivision) = &filters.subdivision {
        let sd = sql.bind(Bind::Text(subdivision.clone()));
        parts.push(format!("s.subdivision = {sd}"));
    }
    if !filters.size_classes.is_empty() {
        parts.push(one_of(sql, "s.size_class", filters.size_classes.clone()));
    }
    if let Some(scheme) = &filters.certification {
        let scheme = sql.bind(Bind::Text(scheme.clone()));
        parts.push(format!(
            "EXISTS (SELECT 1 FROM supplier_certifications c WHERE c.supplier_id = s.id \
             AND c.scheme = {scheme} AND (c.expires_on IS NULL OR c.expires_on >= current_date))"
        ));
    }
    if let Some((lat, lon, radius)) = filters.near {
        // Within the chord of the radius (the same as the haversine distance within the radius):
        // a cube around the point bounds the index scan, then the exact distance.
        let (plat, plon) = (sql.bind(Bind::Float(lat)), sql.bind(Bind::Float(lon)));
        let chord = sql.bind(Bind::Float(chord_of(radius)));
        parts.push(format!(
            "sr_earth(s.lat, s.lon) <@ cube_enlarge(sr_earth({plat}, {plon}), {chord}, 3)"
        ));
        let distance = chord_sql(sql, lat, lon);
        parts.push(format!("{distance} <= {chord}"));
    }
    if let Some(since) = filters.updated_since {
        let since = sql.bind(Bind::Time(since));
        parts.push(format!("s.updated_at >= {since}"));
    }
    parts.join(" AND ")
}

/// One row of a page: the id, and the sort key the next cursor starts after.
#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    pub key_text: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub key_time: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Double>)]
    pub key_number: Option<f64>,
}

impl Hit {
    pub fn after(&self) -> After {
        match (&self.key_text, self.key_time, self.key_number) {
            (Some(t), _, _) => After::Text(t.clone(), self.id),
            (_, Some(t), _) => After::Time(t, self.id),
            (_, _, n) => After::Number(n.unwrap_or_default(), self.id),
        }
    }
}

/// A page's query: up to `limit` hits after `after`, in `sort` order (before relevance ties are
/// settled).
fn page_sql(
    filters: &Filters,
    visibility: &Visibility,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Sql {
    let mut sql = Sql::default();
    let mut wh = conditions(&mut sql, filters, visibility);
    let key = match sort {
        Sort::Name => "s.legal_name".to_owned(),
        Sort::UpdatedDesc => "s.updated_at".to_owned(),
        Sort::Distance => {
            let (lat, lon, _) = filters.near.unwrap_or_default();
            chord_sql(&mut sql, lat, lon)
        }
        Sort::Relevance => relevance_sql(&mut sql, filters.q.as_deref().unwrap_or_default()),
    };
    // The sort key goes back in the column of its type, for the next cursor.
    let (select, order) = match sort {
        Sort::Name => (
            format!("{key} AS key_text, NULL::timestamptz AS key_time, NULL::float8 AS key_number"),
            format!("{key}, s.id"),
        ),
        Sort::UpdatedDesc => (
            format!("NULL::text AS key_text, {key} AS key_time, NULL::float8 AS key_number"),
            format!("{key} DESC, s.id DESC"),
        ),
        Sort::Distance | Sort::Relevance => (
            format!(
                "NULL::text AS key_text, NULL::timestamptz AS key_time, {key}::float8 AS key_number"
            ),
            // Ordered by the distance alone, for the index's nearest-first scan (a tie-break
            // column would read and sort every candidate); ties are settled by id afterwards.
            key.clone(),
        ),
    };
    if let Some(after) = after {
        let id = match after {
            After::Text(_, id) | After::Time(_, id) | After::Number(_, id) => *id,
        };
        let value = match after {
            After::Text(v, _) => sql.bind(Bind::Text(v.clone())),
            After::Time(v, _) => sql.bind(Bind::Time(*v)),
            After::Number(v, _) => sql.bind(Bind::Float(*v)),
        };
        let id = sql.bind(Bind::Id(id));
        let op = if sort == Sort::UpdatedDesc { "<" } else { ">" };
        wh = if nearest_first(sort) {
            // Spelled out, so that the planner keeps the index order on the distance.
            format!("{wh} AND ({key} > {value} OR ({key} = {value} AND s.id > {id}))")
        } else {
            format!("{wh} AND ({key}, s.id) {op} ({value}, {id})")
        };
    }
    let limit_param = sql.bind(Bind::Int(limit));
    sql.text = format!(
        "SELECT s.id, {select} FROM suppliers s WHERE {wh} ORDER BY {order} LIMIT {limit_param}"
    );
    sql
}

/// Whether a page's statement may be planned once for any values (the generic-plan pool): only a
/// nearest-first page whose every condition the nearest-first index serves (status is checked on
/// the rows it returns). Its generic plan is then the GiST nearest-first scan, checked with
/// `EXPLAIN`. With any other filter, the best plan depends on the values — a generic plan for a
/// name search within `capability=atp&country=MX` read every `atp` supplier through the GIN
/// index (527 ms at 1,000,000 suppliers, where the plan for the values takes 4 ms) — so such
/// pages are planned per call, like the name- and update-ordered ones.
fn plans_once(filters: &Filters, visibility: &Visibility, sort: Sort) -> bool {
    let only_the_key = match sort {
        Sort::Distance => filters.q.is_none(),
        Sort::Relevance => filters.near.is_none(),
        Sort::Name | Sort::UpdatedDesc => false,
    };
    only_the_key
        && filters.capabilities.is_empty()
        && filters.country.is_none()
        && filters.subdivision.is_none()
        && filters.size_classes.is_empty()
        && filters.certification.is_none()
        && filters.updated_since.is_none()
        && !matches!(visibility, Visibility::Owner(_))
}

/// Sorts whose index returns the nearest rows first, ordered by the distance alone.
fn nearest_first(sort: Sort) -> bool {
    matches!(sort, Sort::Distance | Sort::Relevance)
}

/// Whether a full nearest-first page (`limit` rows: the shown ones and one more, which only tells
/// that there are more), sorted by (distance, id), may not hold the first rows in that order. The
/// index returns every row nearer than the farthest it returned, so only a distance shared by the
/// last shown row and the extra row can have rows with smaller ids that it did not return.
fn tie_at_the_end(hits: &[Hit], limit: i64) -> bool {
    let n = hits.len();
    n as i64 == limit && n >= 2 && hits[n - 2].key_number == hits[n - 1].key_number
}

/// Up to `limit` hits after `after`, in `sort` order.
pub async fn page(
    pools: &SearchPools,
    filters: &Filters,
    visibility: &Visibility,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<Hit>, SearchError> {
    let sql = page_sql(filters, visibility, sort, after, limit);
    let pool = if plans_once(filters, visibility, sort) {
        &pools.generic
    } else {
        &pools.custom
    };
    let mut conn = pool.get().await?;
    let conn = &mut *conn;
    if !nearest_first(sort) {
        return Ok(PreparedSql(sql).load(conn).await?);
    }
    let mut hits: Vec<Hit> = PreparedSql(sql).load(conn).await?;
    hits.sort_by(|a, b| {
        a.key_number
            .partial_cmp(&b.key_number)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.id.cmp(&b.id))
    });
    if tie_at_the_end(&hits, limit) {
        settle_ties(conn, filters, visibility, sort, after, limit, &mut hits).await?;
    }
    Ok(hits)
}

/// How many of the nearest names a tie group is looked for in.
const TIE_WINDOW: i64 = 200;

/// Settles a distance shared across the end of a nearest-first page (see [`tie_at_the_end`]):
/// the whole group at that distance is read by id, so that the page ends where the next cursor
/// resumes.
async fn settle_ties(
    conn: &mut AsyncPgConnection,
    filters: &Filters,
    visibility: &Visibility,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
    hits: &mut Vec<Hit>,
) -> diesel::QueryResult<()> {
    let Some(last) = hits.last() else {
        return Ok(());
    };
    let boundary = last.key_number.unwrap_or_default();
    let mut sql = Sql::default();
    let wh = conditions(&mut sql, filters, visibility);
    let key = if sort == Sort::Distance {
        let (lat, lon, _) = filters.near.unwrap_or_default();
        chord_sql(&mut sql, lat, lon)
    } else {
        relevance_sql(&mut sql, filters.q.as_deref().unwrap_or_default())
    };
    let d = sql.bind(Bind::Float(boundary));
    let mut resume = String::new();
    let mut wh = wh;
    if let Some(After::Number(v, id)) = after {
        // The window starts where the page did.
        let (v_param, id_param) = (sql.bind(Bind::Float(*v)), sql.bind(Bind::Id(*id)));
        wh = format!("{wh} AND ({key} > {v_param} OR ({key} = {v_param} AND s.id > {id_param}))");
        if *v == boundary {
            resume = format!(" AND id > {id_param}");
        }
    }
    let cap = sql.bind(Bind::Int(limit));
    // The group is read from a window of the nearest rows (index order, early stop), not from
    // every candidate: pages are exact while one distance is shared by at most TIE_WINDOW rows.
    let window = sql.bind(Bind::Int(TIE_WINDOW));
    sql.text = format!(
        "SELECT id, NULL::text AS key_text, NULL::timestamptz AS key_time, key_number FROM (\
             SELECT s.id, {key}::float8 AS key_number FROM suppliers s WHERE {wh} \
             ORDER BY {key} LIMIT {window}) nearest \
         WHERE key_number = {d}{resume} ORDER BY id LIMIT {cap}"
    );
    let ties: Vec<Hit> = PreparedSql(sql).load(conn).await?;
    hits.retain(|h| h.key_number.unwrap_or_default() < boundary);
    hits.extend(ties);
    hits.truncate(limit as usize);
    Ok(())
}

/// The documents of `ids`, in one query, in no particular order. The statement is the same for
/// every page, so each connection prepares and plans it once (see [`DocumentsById`]).
pub async fn records(
    pools: &SearchPools,
    ids: &[Uuid],
) -> Result<Vec<SupplierRecord>, SearchError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = pools.generic.get().await?;
    Ok(DocumentsById(ids).load(&mut conn).await?)
}

/// A search that failed: no connection, or the query.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Pool(#[from] super::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// `DOCUMENT_SELECT WHERE s.id = ANY($1)` as a query diesel keeps prepared per connection.
/// `sql_query` never is (its text could be anything), so the documents of every page were parsed
/// and planned again: with five aggregated parts that planning cost more than running the page,
/// and halved the throughput of the search at the database.
struct DocumentsById<'a>(&'a [Uuid]);

impl diesel::query_builder::QueryId for DocumentsById<'_> {
    type QueryId = DocumentsById<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for DocumentsById<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl diesel::query_builder::QueryFragment<Pg> for DocumentsById<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> diesel::QueryResult<()> {
        out.push_sql(super::suppliers::DOCUMENT_SELECT);
        out.push_sql(" WHERE s.id = ANY(");
        out.push_bind_param::<Array<SqlUuid>, _>(self.0)?;
        out.push_sql(")");
        Ok(())
    }
}

/// What a search can see, as far as answers kept in memory go: the newest change-feed id and the
/// date (see `http::cache`).
pub async fn generation(
    conn: &mut AsyncPgConnection,
) -> diesel::QueryResult<crate::http::cache::Generation> {
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
    Ok(crate::http::cache::Generation {
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

/// One exported supplier as read: flat columns, parts as the arrays kept on the row.
#[derive(Debug, QueryableByName)]
pub struct ExportRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub legal_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub trade_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub tax_id: String,
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub subdivision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub city: Option<String>,
    #[diesel(sql_type = Text)]
    pub sector: String,
    #[diesel(sql_type = BigInt)]
    pub employees: i64,
    #[diesel(sql_type = Text)]
    pub size_class: String,
    #[diesel(sql_type = Text)]
    pub size_rule: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Own codes, in document order.
    #[diesel(sql_type = Array<Text>)]
    pub capabilities: Vec<String>,
    /// Every certificate's scheme and expiry, in document order (see [`ExportRow::certifications`]).
    #[diesel(sql_type = Array<Text>)]
    pub certification_schemes: Vec<String>,
    #[diesel(sql_type = Array<Nullable<Date>>)]
    pub certification_expiries: Vec<Option<NaiveDate>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub website: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub lat: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub lon: Option<f64>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl ExportRow {
    /// The schemes of the certificates valid on `today` (no expiry, or expiring today or later),
    /// in document order.
    pub fn certifications(&self, today: NaiveDate) -> impl Iterator<Item = &str> {
        self.certification_schemes
            .iter()
            .zip(&self.certification_expiries)
            .filter(move |(_, expires)| expires.is_none_or(|e| e >= today))
            .map(|(scheme, _)| scheme.as_str())
    }
}

/// The database's date, which decides which certificates are valid.
pub async fn current_date(conn: &mut AsyncPgConnection) -> diesel::QueryResult<NaiveDate> {
    #[derive(QueryableByName)]
    struct Today {
        #[diesel(sql_type = Date)]
        today: NaiveDate,
    }
    let row: Today = diesel::sql_query("SELECT current_date AS today")
        .get_result(conn)
        .await?;
    Ok(row.today)
}

/// Every match, in name order, as a stream read as the database sends it. The parts come from the
/// arrays kept on the supplier row: no lookup per row.
pub fn export_query(
    filters: &Filters,
    visibility: &Visibility,
) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
    let mut sql = Sql::default();
    let wh = conditions(&mut sql, filters, visibility);
    sql.text = format!(
        "SELECT s.id, s.legal_name, s.trade_name, s.tax_id, s.country::text AS country, s.subdivision, s.city,
                s.sector, s.employees::bigint AS employees, s.size_class, s.size_rule, s.status,
                s.capability_list AS capabilities, s.certification_schemes, s.certification_expiries,
                s.website, s.lat, s.lon, s.updated_at
         FROM suppliers s WHERE {wh} ORDER BY s.legal_name, s.id"
    );
    sql.into_query()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unfiltered_nearest_first_pages_are_planned_once() {
        let near = Filters {
            near: Some((20.67, -103.35, 25.0)),
            ..Filters::default()
        };
        let q = Filters {
            q: Some("najera".into()),
            ..Filters::default()
        };
        assert!(plans_once(&near, &Visibility::Public, Sort::Distance));
        assert!(plans_once(&q, &Visibility::All, Sort::Relevance));
        // Another filter, another key, another order, or an owner's own suppliers: per call.
        let with = |f: &Filters, edit: fn(&mut Filters)| {
            let mut f = f.clone();
            edit(&mut f);
            f
        };
        let narrowed: [fn(&mut Filters); 7] = [
            |f| f.capabilities = vec!["atp".into()],
            |f| f.country = Some("MX".into()),
            |f| f.subdivision = Some("MX-JAL".into()),
            |f| f.size_classes = vec!["small".into()],
            |f| f.certification = Some("iso_9001".into()),
            |f| f.updated_since = Some(Utc::now()),
            |f| f.q = Some("najera".into()),
        ];
        for edit in narrowed {
            assert!(!plans_once(
                &with(&near, edit),
                &Visibility::Public,
                Sort::Distance
            ));
        }
        assert!(!plans_once(
            &with(&q, |f| f.near = Some((20.67, -103.35, 25.0))),
            &Visibility::Public,
            Sort::Relevance
        ));
        assert!(!plans_once(
            &near,
            &Visibility::Owner(Uuid::nil()),
            Sort::Distance
        ));
        assert!(!plans_once(&q, &Visibility::Public, Sort::Name));
        assert!(!plans_once(
            &Filters::default(),
            &Visibility::Public,
            Sort::UpdatedDesc
        ));
    }
}
