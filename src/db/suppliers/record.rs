//! A supplier as read for its document and for a change: [`SupplierRecord`] (the row with its
//! parts and owners, in one round trip), and the lookups by id and by `(country, tax_id)`.

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::{
    deserialize::{self, FromSql},
    pg::{Pg, PgValue},
    prelude::*,
    sql_types::{
        Array, Bool, Bpchar, Double, Int2, Int4, Jsonb, Nullable, Numeric, Text, Timestamptz,
        Uuid as SqlUuid,
    },
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::db::schema::suppliers;
use crate::domain::{
    size::{Sector, SizeClass},
    status::SupplierStatus,
    supplier::{
        CapabilityInput, CertificationInput, CertificationView, Contact, Current, ExternalRef,
        Location, Money, SupplierInput,
    },
};

/// A supplier with its parts, read in one round trip (the parts aggregated as JSON).
#[derive(Debug, Clone, QueryableByName)]
pub struct SupplierRecord {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub legal_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub trade_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub tax_id: String,
    #[diesel(sql_type = Bool)]
    pub tax_id_check_ok: bool,
    #[diesel(sql_type = Bpchar)]
    pub country: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub subdivision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub city: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub address: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub lat: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub lon: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub website: Option<String>,
    #[diesel(sql_type = Nullable<Int2>)]
    pub founded_year: Option<i16>,
    #[diesel(sql_type = Text)]
    pub sector: String,
    #[diesel(sql_type = Int4)]
    pub employees: i32,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub annual_sales_amount: Option<BigDecimal>,
    #[diesel(sql_type = Nullable<Bpchar>)]
    pub annual_sales_currency: Option<String>,
    #[diesel(sql_type = Text)]
    pub size_class: String,
    #[diesel(sql_type = Text)]
    pub size_rule: String,
    #[diesel(sql_type = Text)]
    pub status: SupplierStatus,
    #[diesel(sql_type = Nullable<Text>)]
    pub status_reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub verified_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Int4)]
    pub version: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub merged_into: Option<Uuid>,
    #[diesel(sql_type = Jsonb)]
    pub capabilities: Parts<CapabilityInput>,
    #[diesel(sql_type = Jsonb)]
    pub certifications: Parts<CertificationView>,
    #[diesel(sql_type = Jsonb)]
    pub contacts: Parts<Contact>,
    #[diesel(sql_type = Jsonb)]
    pub external_refs: Parts<ExternalRef>,
    #[diesel(sql_type = Array<SqlUuid>)]
    pub owners: Vec<Uuid>,
}

/// A list of parts as the document query aggregates it (a jsonb array), decoded straight into its
/// type: a search page decodes some hundred parts, and going through `serde_json::Value` first
/// built and dropped a map per part.
#[derive(Debug, Clone)]
pub struct Parts<T>(pub Vec<T>);

impl<T: DeserializeOwned> FromSql<Jsonb, Pg> for Parts<T> {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        // jsonb's binary form: a version byte (1), then the JSON text.
        match value.as_bytes().split_first() {
            Some((1, json)) => Ok(Parts(serde_json::from_slice(json)?)),
            _ => Err("unsupported jsonb encoding".into()),
        }
    }
}

/// The supplier document query, without its `WHERE`.
pub const DOCUMENT_SELECT: &str = "\
SELECT s.id, s.legal_name, s.trade_name, s.tax_id, s.tax_id_check_ok, s.country, s.subdivision,
       s.city, s.address, s.lat, s.lon, s.website, s.founded_year, s.sector, s.employees,
       s.annual_sales_amount, s.annual_sales_currency, s.size_class, s.size_rule, s.status,
       s.status_reason, s.verified_at, s.version, s.created_at, s.updated_at, s.merged_into,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('code', c.code, 'details', c.details,
                                                     'parameters', c.parameters) ORDER BY c.position)
                 FROM supplier_capabilities c WHERE c.supplier_id = s.id), '[]') AS capabilities,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('scheme', x.scheme, 'number', x.number,
                                                     'issuer', x.issuer, 'issued_on', x.issued_on,
                                                     'expires_on', x.expires_on, 'status', x.status) ORDER BY x.position)
                 FROM supplier_certifications x WHERE x.supplier_id = s.id), '[]') AS certifications,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('name', k.name, 'role', k.role,
                                                     'email', k.email, 'phone', k.phone) ORDER BY k.position)
                 FROM supplier_contacts k WHERE k.supplier_id = s.id), '[]') AS contacts,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('system', r.system, 'value', r.value) ORDER BY r.position)
                 FROM supplier_external_refs r WHERE r.supplier_id = s.id), '[]') AS external_refs,
       ARRAY(SELECT o.user_id FROM supplier_owners o WHERE o.supplier_id = s.id ORDER BY o.user_id) AS owners
FROM suppliers s";

/// One supplier with all its parts, in one query. With `lock`, the supplier row is locked until
/// the transaction ends (for a change).
pub async fn find_record(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    lock: bool,
) -> QueryResult<Option<SupplierRecord>> {
    if !lock {
        return read_record(conn, id).await;
    }
    Documents::<true>(std::slice::from_ref(&id))
        .get_result(conn)
        .await
        .optional()
}

/// One supplier with its parts, on a shared connection, so that a handler can send it together
/// with another query (diesel-async pipelines the two).
pub async fn read_record(
    mut conn: &AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<SupplierRecord>> {
    Documents::<false>(std::slice::from_ref(&id))
        .get_result(&mut conn)
        .await
        .optional()
}

/// Many suppliers with their parts in one round trip, in no particular order.
pub async fn find_records(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<SupplierRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Documents::<false>(ids).load(conn).await
}

/// Many suppliers with their parts in one round trip, locked for update (for batch writes).
pub async fn find_records_for_update(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<SupplierRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Documents::<true>(ids).load(conn).await
}

/// `DOCUMENT_SELECT WHERE s.id = ANY($1)` (locked with `LOCK`) as a query diesel keeps prepared
/// per connection. `sql_query` never is (its text could be anything), so the document query,
/// with its five aggregated parts, was parsed and planned again on every read: the planning
/// cost more than running it.
struct Documents<'a, const LOCK: bool>(&'a [Uuid]);

impl<const LOCK: bool> diesel::query_builder::QueryId for Documents<'_, LOCK> {
    type QueryId = Documents<'static, LOCK>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const LOCK: bool> diesel::query_builder::Query for Documents<'_, LOCK> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<const LOCK: bool> diesel::query_builder::QueryFragment<Pg> for Documents<'_, LOCK> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> QueryResult<()> {
        out.push_sql(DOCUMENT_SELECT);
        out.push_sql(" WHERE s.id = ANY(");
        out.push_bind_param::<Array<SqlUuid>, _>(self.0)?;
        out.push_sql(if LOCK {
            ") ORDER BY s.id FOR UPDATE OF s"
        } else {
            ")"
        });
        Ok(())
    }
}

/// The id of the supplier with this `(country, tax_id)`, if any.
pub async fn find_by_tax_id(
    conn: &mut AsyncPgConnection,
    country: &str,
    tax_id: &str,
) -> QueryResult<Option<Uuid>> {
    suppliers::table
        .filter(suppliers::country.eq(country))
        .filter(suppliers::tax_id.eq(tax_id))
        .select(suppliers::id)
        .first(conn)
        .await
        .optional()
}

/// The suppliers that are not archived and hold one of `refs` (`(system, value)`, normalised):
/// each reference with its holder.
pub async fn holders_of_refs(
    conn: &mut AsyncPgConnection,
    refs: &[(&str, &str)],
) -> QueryResult<Vec<(String, String, Uuid)>> {
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(QueryableByName)]
    struct Holder {
        #[diesel(sql_type = Text)]
        system: String,
        #[diesel(sql_type = Text)]
        value: String,
        #[diesel(sql_type = SqlUuid)]
        supplier_id: Uuid,
    }
    let (systems, values): (Vec<&str>, Vec<&str>) = refs.iter().copied().unzip();
    let rows: Vec<Holder> = diesel::sql_query(
        "SELECT r.system, r.value, r.supplier_id
         FROM unnest($1::text[], $2::text[]) AS q (system, value)
         JOIN supplier_external_refs r ON r.system = q.system AND r.value = q.value AND r.active",
    )
    .bind::<Array<Text>, _>(systems)
    .bind::<Array<Text>, _>(values)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|h| (h.system, h.value, h.supplier_id))
        .collect())
}

/// A status as stored (a `text` column, checked by the database).
impl FromSql<Text, Pg> for SupplierStatus {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let text = std::str::from_utf8(value.as_bytes())?;
        SupplierStatus::parse(text).ok_or_else(|| format!("unknown supplier status {text}").into())
    }
}

impl SupplierRecord {
    /// The record as an edit starts from it: the client-owned fields as the input they came
    /// from, the size and the status. `None` when a stored value is not one the code knows.
    pub fn current(&self) -> Option<Current> {
        Some(Current {
            input: self.input()?,
            size_class: SizeClass::parse(&self.size_class)?,
            size_rule: self.size_rule.clone(),
            status: self.status,
        })
    }

    /// Annual sales as the document shows them (two decimals).
    pub fn annual_sales(&self) -> Option<Money> {
        let (amount, currency) = self
            .annual_sales_amount
            .as_ref()
            .zip(self.annual_sales_currency.as_ref())?;
        Some(Money {
            amount: amount.with_scale(2).to_string(),
            currency: currency.clone(),
        })
    }

    /// The supplier as the matcher takes it.
    pub fn company(&self) -> crate::domain::matching::Company {
        crate::domain::matching::Company {
            legal_name: self.legal_name.clone(),
            trade_name: self.trade_name.clone(),
            country: Some(self.country.clone()),
            tax_id: Some(self.tax_id.clone()),
            subdivision: self.subdivision.clone(),
            city: self.city.clone(),
            website: self.website.clone(),
            emails: self
                .contacts
                .0
                .iter()
                .filter_map(|c| c.email.clone())
                .collect(),
            phones: self
                .contacts
                .0
                .iter()
                .filter_map(|c| c.phone.clone())
                .collect(),
            location: self.lat.zip(self.lon),
            refs: self
                .external_refs
                .0
                .iter()
                .map(|x| (x.system.clone(), x.value.clone()))
                .collect(),
        }
    }

    pub fn location(&self) -> Option<Location> {
        self.lat
            .zip(self.lon)
            .map(|(lat, lon)| Location { lat, lon })
    }

    fn input(&self) -> Option<SupplierInput> {
        Some(SupplierInput {
            legal_name: self.legal_name.clone(),
            trade_name: self.trade_name.clone(),
            tax_id: self.tax_id.clone(),
            country: self.country.clone(),
            subdivision: self.subdivision.clone(),
            city: self.city.clone(),
            address: self.address.clone(),
            location: self.location(),
            website: self.website.clone(),
            founded_year: self.founded_year.map(i32::from),
            sector: Sector::parse(&self.sector)?,
            employees: i64::from(self.employees),
            annual_sales: self.annual_sales(),
            capabilities: self.capabilities.0.clone(),
            certifications: self
                .certifications
                .0
                .iter()
                .map(|c| CertificationInput {
                    scheme: c.scheme.clone(),
                    number: c.number.clone(),
                    issuer: c.issuer.clone(),
                    issued_on: c.issued_on,
                    expires_on: c.expires_on,
                })
                .collect(),
            contacts: self.contacts.0.clone(),
            external_refs: self.external_refs.0.clone(),
        })
    }
}
