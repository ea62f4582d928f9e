//! The SQL of a search: statement text with its numbered binds, a statement diesel keeps
//! prepared, and the `WHERE` every search operation shares.

use chrono::{DateTime, Utc};
use diesel::{
    pg::Pg,
    query_builder::BoxedSqlQuery,
    sql_types::{Array, BigInt, Double, Text, Timestamptz, Uuid as SqlUuid},
};
use uuid::Uuid;

use super::filters::{Filters, Visibility};
use crate::domain::status::SupplierStatus;

/// A bind parameter's value.
#[derive(Debug, Clone)]
pub(super) enum Bind {
    Text(String),
    Texts(Vec<String>),
    Float(f64),
    Time(DateTime<Utc>),
    Id(Uuid),
    Int(i64),
}

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// SQL text plus its binds, numbered as they are added.
#[derive(Default)]
pub(super) struct Sql {
    pub(super) text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub(super) fn bind(&mut self, value: Bind) -> String {
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

    pub(super) fn into_query(self) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
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
pub(super) struct PreparedSql(pub(super) Sql);

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
pub(super) fn chord_sql(sql: &mut Sql, lat: f64, lon: f64) -> String {
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
pub(super) fn relevance_sql(sql: &mut Sql, q: &str) -> String {
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
pub(super) fn conditions(sql: &mut Sql, filters: &Filters, visibility: &Visibility) -> String {
    let mut parts = Vec::new();
    // One status condition with the statuses both asked for and visible, so that the planner
    // estimates it once (two conditions on one column multiply their selectivities).
    let visible: Vec<String> = filters
        .statuses
        .iter()
        .filter(|s| match visibility {
            Visibility::Public => **s == SupplierStatus::Verified,
            Visibility::AllButArchived => **s != SupplierStatus::Archived,
            Visibility::Owner(_) | Visibility::All => true,
        })
        .map(|s| s.as_str().to_owned())
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
    if let Some(tax_id) = &filters.tax_id {
        // With `country` (required with it): the unique (country, tax_id) index.
        let tax_id = sql.bind(Bind::Text(tax_id.clone()));
        parts.push(format!("s.tax_id = {tax_id}"));
    }
    if !filters.external_refs.is_empty() {
        let (systems, values): (Vec<String>, Vec<String>) =
            filters.external_refs.iter().cloned().unzip();
        let (systems, values) = (
            sql.bind(Bind::Texts(systems)),
            sql.bind(Bind::Texts(values)),
        );
        parts.push(format!(
            "s.id IN (SELECT r.supplier_id FROM supplier_external_refs r \
             JOIN unnest({systems}, {values}) AS q (system, value) \
             ON r.system = q.system AND r.value = q.value)"
        ));
    }
    parts.join(" AND ")
}
