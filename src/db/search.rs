//! Supplier search: one `WHERE` built from the filters (shared by the list, the facets and the
//! export), keyset pagination on the sort key and id, and facet counts over the same set.
//! Every value is a bind parameter; only fixed SQL fragments are concatenated.

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    pg::Pg,
    query_builder::BoxedSqlQuery,
    sql_types::{Array, BigInt, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::suppliers::SupplierRecord;

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

/// The distance in km from a point to a supplier (haversine).
fn distance_sql(sql: &mut Sql, lat: f64, lon: f64) -> String {
    let (lat, lon) = (sql.bind(Bind::Float(lat)), sql.bind(Bind::Float(lon)));
    format!(
        "(2 * {EARTH_RADIUS_KM} * asin(sqrt(power(sin(radians(s.lat - {lat}) / 2), 2) \
         + cos(radians({lat})) * cos(radians(s.lat)) * power(sin(radians(s.lon - {lon}) / 2), 2))))"
    )
}

/// The word-similarity distance (a real). Ordered by this alone, the trigram GiST index returns
/// the nearest names first and stops early; a tie-break column or a cast would turn that into
/// reading every candidate (78 ms instead of 0.9 ms at 100,000 suppliers), so ties are settled by
/// id afterwards (see `settle_ties`).
fn relevance_sql(sql: &mut Sql, q: &str) -> String {
    let q = sql.bind(Bind::Text(q.to_owned()));
    format!("(lower(sr_unaccent({q})) <<-> s.name_key)")
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
    let statuses = sql.bind(Bind::Texts(visible));
    parts.push(format!("s.status = ANY({statuses})"));
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
        let sizes = sql.bind(Bind::Texts(filters.size_classes.clone()));
        parts.push(format!("s.size_class = ANY({sizes})"));
    }
    if let Some(scheme) = &filters.certification {
        let scheme = sql.bind(Bind::Text(scheme.clone()));
        parts.push(format!(
            "EXISTS (SELECT 1 FROM supplier_certifications c WHERE c.supplier_id = s.id \
             AND c.scheme = {scheme} AND (c.expires_on IS NULL OR c.expires_on >= current_date))"
        ));
    }
    if let Some((lat, lon, radius)) = filters.near {
        // A bounding box the lat/lon index can use, then the exact distance.
        let dlat = radius / 111.32;
        let dlon = radius / (111.32 * lat.to_radians().cos().max(0.01));
        let (lat_lo, lat_hi) = (
            sql.bind(Bind::Float(lat - dlat)),
            sql.bind(Bind::Float(lat + dlat)),
        );
        let (lon_lo, lon_hi) = (
            sql.bind(Bind::Float(lon - dlon)),
            sql.bind(Bind::Float(lon + dlon)),
        );
        parts.push(format!(
            "s.lat BETWEEN {lat_lo} AND {lat_hi} AND s.lon BETWEEN {lon_lo} AND {lon_hi}"
        ));
        let distance = distance_sql(sql, lat, lon);
        let radius = sql.bind(Bind::Float(radius));
        parts.push(format!("{distance} <= {radius}"));
    }
    if let Some(since) = filters.updated_since {
        let since = sql.bind(Bind::Time(since));
        parts.push(format!("s.updated_at >= {since}"));
    }
    parts.join(" AND ")
}

/// One row of a page: the id, and the sort key the next cursor starts after.
#[derive(Debug, QueryableByName)]
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

/// Up to `limit` hits after `after`, in `sort` order.
pub async fn page(
    conn: &mut AsyncPgConnection,
    filters: &Filters,
    visibility: &Visibility,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> diesel::QueryResult<Vec<Hit>> {
    let mut sql = Sql::default();
    let mut wh = conditions(&mut sql, filters, visibility);
    let key = match sort {
        Sort::Name => "s.legal_name".to_owned(),
        Sort::UpdatedDesc => "s.updated_at".to_owned(),
        Sort::Distance => {
            let (lat, lon, _) = filters.near.unwrap_or_default();
            distance_sql(&mut sql, lat, lon)
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
            // Relevance orders by the distance alone, for the index's nearest-first scan.
            if sort == Sort::Distance {
                format!("{key}, s.id")
            } else {
                key.clone()
            },
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
        wh = if sort == Sort::Relevance {
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
    let mut hits: Vec<Hit> = sql.into_query().load(conn).await?;
    if sort == Sort::Relevance {
        settle_ties(conn, filters, visibility, after, limit, &mut hits).await?;
    }
    Ok(hits)
}

/// How many of the nearest names a tie group is looked for in.
const TIE_WINDOW: i64 = 200;

/// Orders relevance hits by (distance, id). When the rows at the end of the page share their
/// distance with rows the index did not return yet, the whole group at that distance is read by
/// id, so that the page ends where the next cursor resumes.
async fn settle_ties(
    conn: &mut AsyncPgConnection,
    filters: &Filters,
    visibility: &Visibility,
    after: Option<&After>,
    limit: i64,
    hits: &mut Vec<Hit>,
) -> diesel::QueryResult<()> {
    hits.sort_by(|a, b| {
        a.key_number
            .partial_cmp(&b.key_number)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.id.cmp(&b.id))
    });
    let (Some(last), true) = (hits.last(), hits.len() as i64 == limit) else {
        return Ok(());
    };
    let boundary = last.key_number.unwrap_or_default();
    let mut sql = Sql::default();
    let wh = conditions(&mut sql, filters, visibility);
    let key = relevance_sql(&mut sql, filters.q.as_deref().unwrap_or_default());
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
    // The group is read from a window of the nearest names (index order, early stop), not from
    // every candidate: pages are exact while one distance is shared by at most TIE_WINDOW names.
    let window = sql.bind(Bind::Int(TIE_WINDOW));
    sql.text = format!(
        "SELECT id, NULL::text AS key_text, NULL::timestamptz AS key_time, key_number FROM (\
             SELECT s.id, {key}::float8 AS key_number FROM suppliers s WHERE {wh} \
             ORDER BY {key} LIMIT {window}) nearest \
         WHERE key_number = {d}{resume} ORDER BY id LIMIT {cap}"
    );
    let ties: Vec<Hit> = sql.into_query().load(conn).await?;
    hits.retain(|h| h.key_number.unwrap_or_default() < boundary);
    hits.extend(ties);
    hits.truncate(limit as usize);
    Ok(())
}

/// The documents of `ids`, in one query, in no particular order.
pub async fn records(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> diesel::QueryResult<Vec<SupplierRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(format!(
        "{} WHERE s.id = ANY($1)",
        super::suppliers::DOCUMENT_SELECT
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
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
    sql.text = format!(
        "WITH matched AS MATERIALIZED (
             SELECT s.id, s.country, s.subdivision, s.size_class, s.status, s.capability_codes
             FROM suppliers s WHERE {wh})
         SELECT 'capability' AS facet, code AS value, count(*) AS count
           FROM matched, unnest(capability_codes) AS code GROUP BY code
         UNION ALL SELECT 'country', country::text, count(*) FROM matched GROUP BY country
         UNION ALL SELECT 'subdivision', subdivision, count(*) FROM matched WHERE subdivision IS NOT NULL GROUP BY subdivision
         UNION ALL SELECT 'size_class', size_class, count(*) FROM matched GROUP BY size_class
         UNION ALL SELECT 'status', status, count(*) FROM matched GROUP BY status
         UNION ALL SELECT 'certification', c.scheme, count(DISTINCT c.supplier_id)
           FROM supplier_certifications c JOIN matched m ON m.id = c.supplier_id
           WHERE c.expires_on IS NULL OR c.expires_on >= current_date GROUP BY c.scheme"
    );
    sql.into_query().load(conn).await
}

/// One exported supplier: flat columns, parts as lists.
#[derive(Debug, QueryableByName, serde::Serialize)]
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
    #[diesel(sql_type = Array<Text>)]
    pub capabilities: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub certifications: Vec<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub website: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub lat: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub lon: Option<f64>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// Every match, in name order, as a stream read as the database sends it.
pub fn export_query(
    filters: &Filters,
    visibility: &Visibility,
) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
    let mut sql = Sql::default();
    let wh = conditions(&mut sql, filters, visibility);
    sql.text = format!(
        "SELECT s.id, s.legal_name, s.trade_name, s.tax_id, s.country::text AS country, s.subdivision, s.city,
                s.sector, s.employees::bigint AS employees, s.size_class, s.size_rule, s.status,
                ARRAY(SELECT sc.code FROM supplier_capabilities sc WHERE sc.supplier_id = s.id ORDER BY sc.position) AS capabilities,
                ARRAY(SELECT c.scheme FROM supplier_certifications c WHERE c.supplier_id = s.id
                      AND (c.expires_on IS NULL OR c.expires_on >= current_date) ORDER BY c.position) AS certifications,
                s.website, s.lat, s.lon, s.updated_at
         FROM suppliers s WHERE {wh} ORDER BY s.legal_name, s.id"
    );
    sql.into_query()
}
