//! Suppliers: the row and its parts (capabilities, certifications, contacts, external refs),
//! owners, and the audit entry and change event that every write records on the caller's
//! connection, so that they commit or roll back with the change.

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::{
    deserialize::{self, FromSql},
    pg::{Pg, PgValue},
    prelude::*,
    sql_types::{
        Array, BigInt, Bool, Bpchar, Date, Double, Int2, Int4, Jsonb, Nullable, Numeric, Text,
        Timestamptz, Uuid as SqlUuid,
    },
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use super::schema::{
    audit_log, change_events, supplier_capabilities, supplier_certifications, supplier_contacts,
    supplier_external_refs, supplier_owners, suppliers,
};
use crate::domain::supplier::{
    CapabilityInput, CertificationView, Contact, ExternalRef, SupplierInput, certificate_status,
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
    pub status: String,
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
       s.status_reason, s.verified_at, s.version, s.created_at, s.updated_at,
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
    let lock = if lock { " FOR UPDATE OF s" } else { "" };
    let sql = format!("{DOCUMENT_SELECT} WHERE s.id = $1{lock}");
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
        .optional()
}

/// Many suppliers with their parts in one round trip, locked for update (for batch writes).
pub async fn find_records_for_update(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<SupplierRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{DOCUMENT_SELECT} WHERE s.id = ANY($1) ORDER BY s.id FOR UPDATE OF s");
    diesel::sql_query(sql)
        .bind::<Array<SqlUuid>, _>(ids)
        .load(conn)
        .await
}

/// The columns a client's document decides, plus the computed size.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = suppliers, treat_none_as_null = true)]
pub struct SupplierColumns<'a> {
    pub legal_name: &'a str,
    pub trade_name: Option<&'a str>,
    pub tax_id: &'a str,
    pub tax_id_check_ok: bool,
    pub country: &'a str,
    pub subdivision: Option<&'a str>,
    pub city: Option<&'a str>,
    pub address: Option<&'a str>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub website: Option<&'a str>,
    pub founded_year: Option<i16>,
    pub sector: &'a str,
    pub employees: i32,
    pub annual_sales_amount: Option<&'a BigDecimal>,
    pub annual_sales_currency: Option<&'a str>,
    pub size_class: &'a str,
    pub size_rule: &'a str,
    /// The capability codes with all their ancestors, for search.
    pub capability_codes: Vec<String>,
    /// The supplier's own capability codes, in document order (for exports).
    pub capability_list: Vec<&'a str>,
    /// Each certificate's scheme and expiry, in document order (for exports and facets).
    pub certification_schemes: Vec<&'a str>,
    pub certification_expiries: Vec<Option<chrono::NaiveDate>>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    columns: &SupplierColumns<'_>,
) -> QueryResult<()> {
    insert_many(conn, &[(id, columns)]).await
}

/// Inserts many suppliers in one statement. The rows go as one array per column, unnested by the
/// database: a statement of 23 parameters whatever the batch, where a multi-row `VALUES` of 2,000
/// suppliers had 46,000 that the server parsed, analysed and planned on every batch (8 % of the
/// database's time in a bulk import). A row's own lists travel as comma-joined text (capability
/// and scheme codes are checked against the reference tables before they get here, and have no
/// commas; `-` stands for a certificate without an expiry).
pub async fn insert_many(
    conn: &mut AsyncPgConnection,
    rows: &[(Uuid, &SupplierColumns<'_>)],
) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let col = |f: &dyn Fn(&SupplierColumns<'_>) -> String| -> Vec<String> {
        rows.iter().map(|(_, c)| f(c)).collect()
    };
    let ids: Vec<Uuid> = rows.iter().map(|(id, _)| *id).collect();
    let expiries = col(&|c| {
        c.certification_expiries
            .iter()
            .map(|e| e.map_or_else(|| "-".to_owned(), |d| d.to_string()))
            .collect::<Vec<_>>()
            .join(",")
    });
    diesel::sql_query(
        "INSERT INTO suppliers (id, legal_name, trade_name, tax_id, tax_id_check_ok, country,
             subdivision, city, address, lat, lon, website, founded_year, sector, employees,
             annual_sales_amount, annual_sales_currency, size_class, size_rule, capability_codes,
             capability_list, certification_schemes, certification_expiries)
         SELECT id, legal_name, trade_name, tax_id, tax_id_check_ok, country, subdivision, city,
                address, lat, lon, website, founded_year, sector, employees, annual_sales_amount,
                annual_sales_currency, size_class, size_rule, string_to_array(capability_codes, ','),
                string_to_array(capability_list, ','), string_to_array(certification_schemes, ','),
                string_to_array(certification_expiries, ',', '-')::date[]
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::float8[], $11::float8[], $12::text[],
                     $13::int2[], $14::text[], $15::int4[], $16::numeric[], $17::text[],
                     $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[])
           AS r (id, legal_name, trade_name, tax_id, tax_id_check_ok, country, subdivision, city,
                 address, lat, lon, website, founded_year, sector, employees, annual_sales_amount,
                 annual_sales_currency, size_class, size_rule, capability_codes, capability_list,
                 certification_schemes, certification_expiries)",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Text>, _>(rows.iter().map(|(_, c)| c.legal_name).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|(_, c)| c.trade_name).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|(_, c)| c.tax_id).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(rows.iter().map(|(_, c)| c.tax_id_check_ok).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|(_, c)| c.country).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|(_, c)| c.subdivision).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|(_, c)| c.city).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|(_, c)| c.address).collect::<Vec<_>>())
    .bind::<Array<Nullable<Double>>, _>(rows.iter().map(|(_, c)| c.lat).collect::<Vec<_>>())
    .bind::<Array<Nullable<Double>>, _>(rows.iter().map(|(_, c)| c.lon).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|(_, c)| c.website).collect::<Vec<_>>())
    .bind::<Array<Nullable<Int2>>, _>(rows.iter().map(|(_, c)| c.founded_year).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|(_, c)| c.sector).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(rows.iter().map(|(_, c)| c.employees).collect::<Vec<_>>())
    .bind::<Array<Nullable<Numeric>>, _>(
        rows.iter().map(|(_, c)| c.annual_sales_amount).collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(
        rows.iter().map(|(_, c)| c.annual_sales_currency).collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(rows.iter().map(|(_, c)| c.size_class).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|(_, c)| c.size_rule).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(col(&|c| c.capability_codes.join(",")))
    .bind::<Array<Text>, _>(col(&|c| c.capability_list.join(",")))
    .bind::<Array<Text>, _>(col(&|c| c.certification_schemes.join(",")))
    .bind::<Array<Text>, _>(expiries)
    .execute(conn)
    .await
    .map(drop)
}

/// Writes new column values and the next version.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    columns: &SupplierColumns<'_>,
    version: i32,
) -> QueryResult<()> {
    diesel::update(suppliers::table.find(id))
        .set((columns, suppliers::version.eq(version)))
        .execute(conn)
        .await
        .map(drop)
}

/// Sets the status (and its reason and verification time) and the next version.
pub async fn set_status(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
    verified_at: Option<DateTime<Utc>>,
    version: i32,
) -> QueryResult<()> {
    diesel::update(suppliers::table.find(id))
        .set((
            suppliers::status.eq(status),
            suppliers::status_reason.eq(reason),
            suppliers::verified_at.eq(verified_at),
            suppliers::version.eq(version),
        ))
        .execute(conn)
        .await
        .map(drop)
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

/// Replaces the parts of a supplier with those of `input`.
pub async fn replace_parts(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    input: &SupplierInput,
) -> QueryResult<()> {
    diesel::delete(supplier_capabilities::table.filter(supplier_capabilities::supplier_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::delete(
        supplier_certifications::table.filter(supplier_certifications::supplier_id.eq(id)),
    )
    .execute(conn)
    .await?;
    diesel::delete(supplier_contacts::table.filter(supplier_contacts::supplier_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::delete(
        supplier_external_refs::table.filter(supplier_external_refs::supplier_id.eq(id)),
    )
    .execute(conn)
    .await?;
    insert_parts(conn, id, input).await
}

/// Inserts the parts of a new supplier.
pub async fn insert_parts(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    input: &SupplierInput,
) -> QueryResult<()> {
    insert_parts_many(conn, &[(id, input)]).await
}

/// The parts of many suppliers, one statement per kind of part, each as one array per column
/// (see `insert_many`): a batch's size is never limited by PostgreSQL's 65,535 parameters.
pub async fn insert_parts_many(
    conn: &mut AsyncPgConnection,
    suppliers: &[(Uuid, &SupplierInput)],
) -> QueryResult<()> {
    // One array per column, unnested by the database (see `insert_many`).
    let mut capabilities = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, input) in suppliers {
        for (i, c) in input.capabilities.iter().enumerate() {
            capabilities.0.push(*id);
            capabilities.1.push(c.code.as_str());
            capabilities.2.push(i as i16);
            capabilities.3.push(c.details.as_deref());
            capabilities.4.push(c.parameters.as_ref());
        }
    }
    if !capabilities.0.is_empty() {
        diesel::sql_query(
            "INSERT INTO supplier_capabilities (supplier_id, code, position, details, parameters)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int2[], $4::text[], $5::jsonb[])",
        )
        .bind::<Array<SqlUuid>, _>(capabilities.0)
        .bind::<Array<Text>, _>(capabilities.1)
        .bind::<Array<Int2>, _>(capabilities.2)
        .bind::<Array<Nullable<Text>>, _>(capabilities.3)
        .bind::<Array<Nullable<Jsonb>>, _>(capabilities.4)
        .execute(conn)
        .await?;
    }
    let today = Utc::now().date_naive();
    let mut certs = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut cert_dates = (Vec::new(), Vec::new(), Vec::new());
    for (id, input) in suppliers {
        for (i, c) in input.certifications.iter().enumerate() {
            certs.0.push(*id);
            certs.1.push(i as i16);
            certs.2.push(c.scheme.as_str());
            certs.3.push(c.number.as_deref());
            certs.4.push(c.issuer.as_deref());
            cert_dates.0.push(c.issued_on);
            cert_dates.1.push(c.expires_on);
            cert_dates.2.push(certificate_status(c.expires_on, today));
        }
    }
    if !certs.0.is_empty() {
        diesel::sql_query(
            "INSERT INTO supplier_certifications (supplier_id, position, scheme, number, issuer,
                                                  issued_on, expires_on, status)
             SELECT * FROM unnest($1::uuid[], $2::int2[], $3::text[], $4::text[], $5::text[],
                                  $6::date[], $7::date[], $8::text[])",
        )
        .bind::<Array<SqlUuid>, _>(certs.0)
        .bind::<Array<Int2>, _>(certs.1)
        .bind::<Array<Text>, _>(certs.2)
        .bind::<Array<Nullable<Text>>, _>(certs.3)
        .bind::<Array<Nullable<Text>>, _>(certs.4)
        .bind::<Array<Nullable<Date>>, _>(cert_dates.0)
        .bind::<Array<Nullable<Date>>, _>(cert_dates.1)
        .bind::<Array<Text>, _>(cert_dates.2)
        .execute(conn)
        .await?;
    }
    let mut contacts = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (id, input) in suppliers {
        for (i, c) in input.contacts.iter().enumerate() {
            contacts.0.push(*id);
            contacts.1.push(i as i16);
            contacts.2.push(c.name.as_str());
            contacts.3.push(c.role.as_deref());
            contacts.4.push(c.email.as_deref());
            contacts.5.push(c.phone.as_deref());
        }
    }
    if !contacts.0.is_empty() {
        diesel::sql_query(
            "INSERT INTO supplier_contacts (supplier_id, position, name, role, email, phone)
             SELECT * FROM unnest($1::uuid[], $2::int2[], $3::text[], $4::text[], $5::text[],
                                  $6::text[])",
        )
        .bind::<Array<SqlUuid>, _>(contacts.0)
        .bind::<Array<Int2>, _>(contacts.1)
        .bind::<Array<Text>, _>(contacts.2)
        .bind::<Array<Nullable<Text>>, _>(contacts.3)
        .bind::<Array<Nullable<Text>>, _>(contacts.4)
        .bind::<Array<Nullable<Text>>, _>(contacts.5)
        .execute(conn)
        .await?;
    }
    let mut refs = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, input) in suppliers {
        for (i, r) in input.external_refs.iter().enumerate() {
            refs.0.push(*id);
            refs.1.push(i as i16);
            refs.2.push(r.system.as_str());
            refs.3.push(r.value.as_str());
        }
    }
    if !refs.0.is_empty() {
        diesel::sql_query(
            "INSERT INTO supplier_external_refs (supplier_id, position, system, value)
             SELECT * FROM unnest($1::uuid[], $2::int2[], $3::text[], $4::text[])",
        )
        .bind::<Array<SqlUuid>, _>(refs.0)
        .bind::<Array<Int2>, _>(refs.1)
        .bind::<Array<Text>, _>(refs.2)
        .bind::<Array<Text>, _>(refs.3)
        .execute(conn)
        .await?;
    }
    Ok(())
}

pub async fn add_owner(
    conn: &mut AsyncPgConnection,
    supplier: Uuid,
    user: Uuid,
) -> QueryResult<()> {
    diesel::insert_into(supplier_owners::table)
        .values((
            supplier_owners::supplier_id.eq(supplier),
            supplier_owners::user_id.eq(user),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

pub async fn remove_owner(
    conn: &mut AsyncPgConnection,
    supplier: Uuid,
    user: Uuid,
) -> QueryResult<()> {
    diesel::delete(
        supplier_owners::table
            .filter(supplier_owners::supplier_id.eq(supplier))
            .filter(supplier_owners::user_id.eq(user)),
    )
    .execute(conn)
    .await
    .map(drop)
}

/// An audit entry as stored.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub request_id: Option<String>,
    pub changes: Value,
}

/// A page of a supplier's audit entries, oldest first, after entry `after`.
pub async fn history_page(
    conn: &mut AsyncPgConnection,
    supplier: Uuid,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_log::table
        .filter(audit_log::supplier_id.eq(supplier))
        .select(AuditRow::as_select())
        .order(audit_log::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(audit_log::id.gt(after));
    }
    query.load(conn).await
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
pub struct AuditEntry<'a> {
    pub supplier: Uuid,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub request_id: Option<&'a str>,
    pub changes: Value,
}

pub async fn insert_audit(conn: &mut AsyncPgConnection, entry: &AuditEntry<'_>) -> QueryResult<()> {
    insert_audits(conn, std::slice::from_ref(entry)).await
}

pub async fn insert_audits(
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
    .bind::<Array<Jsonb>, _>(entries.iter().map(|e| &e.changes).collect::<Vec<_>>())
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
/// order. Callers write their event last, to hold the lock as briefly as possible.
pub async fn insert_event(
    conn: &mut AsyncPgConnection,
    kind: &str,
    supplier: Uuid,
    data: &Value,
) -> QueryResult<()> {
    insert_events(conn, &[(kind, supplier, data.clone())]).await
}

/// Appends many events (type, supplier, data) under one take of the feed's lock, and queues their
/// webhook deliveries.
pub async fn insert_events(
    conn: &mut AsyncPgConnection,
    events: &[(&str, Uuid, Value)],
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
    .bind::<Array<Text>, _>(events.iter().map(|(kind, _, _)| *kind).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(events.iter().map(|(_, id, _)| *id).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(events.iter().map(|(_, _, data)| data).collect::<Vec<_>>())
    .load(conn)
    .await?;
    let inserted: Vec<(i64, String)> = inserted.into_iter().map(|r| (r.id, r.kind)).collect();
    let (ids, kinds): (Vec<i64>, Vec<String>) = inserted.into_iter().unzip();
    // The webhook outbox, in the same transaction as the change.
    super::webhooks::enqueue(conn, &ids, &kinds).await.map(drop)
}

/// A certificate whose status the expiry job changed.
#[derive(Debug, QueryableByName)]
pub struct CertificateChange {
    #[diesel(sql_type = SqlUuid)]
    pub supplier_id: Uuid,
    #[diesel(sql_type = Int2)]
    pub position: i16,
    #[diesel(sql_type = Text)]
    pub old_status: String,
    #[diesel(sql_type = Text)]
    pub new_status: String,
}

const STATUS_ON_DATE: &str = "CASE WHEN expires_on < $1 THEN 'expired' \
     WHEN expires_on <= $1 + 60 THEN 'expiring' ELSE 'valid' END";

/// The suppliers with a certificate whose stored status differs from what its dates say on
/// `today` (read without locks; each is then moved in its own transaction).
pub async fn suppliers_with_due_certificates(
    conn: &mut AsyncPgConnection,
    today: chrono::NaiveDate,
) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        supplier_id: Uuid,
    }
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT DISTINCT supplier_id FROM supplier_certifications \
         WHERE expires_on IS NOT NULL AND status <> {STATUS_ON_DATE} ORDER BY supplier_id"
    ))
    .bind::<diesel::sql_types::Date, _>(today)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.supplier_id).collect())
}

/// Inside a transaction: locks the supplier (so the job and an edit of it take turns) and moves
/// its certificates to the status their dates say on `today`; returns what moved.
pub async fn refresh_certificates_of(
    conn: &mut AsyncPgConnection,
    supplier: Uuid,
    today: chrono::NaiveDate,
) -> QueryResult<Vec<CertificateChange>> {
    diesel::sql_query("SELECT 1 FROM suppliers WHERE id = $1 FOR UPDATE")
        .bind::<SqlUuid, _>(supplier)
        .execute(conn)
        .await?;
    diesel::sql_query(format!(
        "WITH due AS (
             SELECT supplier_id, position, status AS old_status, {STATUS_ON_DATE} AS new_status
             FROM supplier_certifications WHERE supplier_id = $2 AND expires_on IS NOT NULL)
         UPDATE supplier_certifications c SET status = due.new_status
         FROM due
         WHERE c.supplier_id = due.supplier_id AND c.position = due.position
           AND due.old_status <> due.new_status
         RETURNING c.supplier_id, c.position, due.old_status, due.new_status"
    ))
    .bind::<diesel::sql_types::Date, _>(today)
    .bind::<SqlUuid, _>(supplier)
    .load(conn)
    .await
}

/// Adds one to a supplier's version (for changes made outside the document's columns).
pub async fn bump_version(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<i32> {
    diesel::update(suppliers::table.find(id))
        .set(suppliers::version.eq(suppliers::version + 1))
        .returning(suppliers::version)
        .get_result(conn)
        .await
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = change_events, check_for_backend(diesel::pg::Pg))]
pub struct EventRow {
    pub id: i64,
    #[diesel(column_name = type_)]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub supplier_id: Uuid,
    pub data: Value,
}

/// Events after `after`, in id (= commit) order.
pub async fn events_after(
    conn: &mut AsyncPgConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    change_events::table
        .filter(change_events::id.gt(after))
        .order(change_events::id)
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
        .await
}
