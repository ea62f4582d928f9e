//! The supplier's own rows: the columns a client's document decides ([`SupplierColumns`]), its
//! parts (capabilities, certifications, contacts, external refs) and its owners. Only the write
//! path (`write`) calls these, so that no change is stored without its audit entry and event.

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{
        Array, Bool, Date, Double, Int2, Int4, Jsonb, Nullable, Numeric, Text, Uuid as SqlUuid,
    },
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{
    supplier_capabilities, supplier_certifications, supplier_contacts, supplier_external_refs,
    supplier_owners, suppliers,
};
use crate::domain::{
    status::SupplierStatus,
    supplier::{Size, SupplierInput, ValidSupplier, certificate_status, with_ancestors},
};

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

/// Inserts many suppliers in one statement. The rows go as one array per column, unnested by the
/// database: a statement of 23 parameters whatever the batch, where a multi-row `VALUES` of 2,000
/// suppliers had 46,000 that the server parsed, analysed and planned on every batch (8 % of the
/// database's time in a bulk import). A row's own lists travel as comma-joined text (capability
/// and scheme codes are checked against the reference tables before they get here, and have no
/// commas; `-` stands for a certificate without an expiry).
pub(super) async fn insert_many(
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
pub(super) async fn update(
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

/// Sets the version (for a change made outside the document's columns).
pub(super) async fn set_version(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    version: i32,
) -> QueryResult<()> {
    diesel::update(suppliers::table.find(id))
        .set(suppliers::version.eq(version))
        .execute(conn)
        .await
        .map(drop)
}

/// Sets the status (and its reason and verification time) and the next version.
pub(super) async fn set_status(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: SupplierStatus,
    reason: Option<&str>,
    verified_at: Option<DateTime<Utc>>,
    version: i32,
) -> QueryResult<()> {
    diesel::update(suppliers::table.find(id))
        .set((
            suppliers::status.eq(status.as_str()),
            suppliers::status_reason.eq(reason),
            suppliers::verified_at.eq(verified_at),
            suppliers::version.eq(version),
        ))
        .execute(conn)
        .await?;
    // An archived supplier's references no longer count for uniqueness.
    if status == SupplierStatus::Archived {
        diesel::update(
            supplier_external_refs::table.filter(supplier_external_refs::supplier_id.eq(id)),
        )
        .set(supplier_external_refs::active.eq(false))
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Names the survivor of a merged duplicate.
pub(super) async fn set_merged_into(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    into: Uuid,
) -> QueryResult<()> {
    diesel::update(suppliers::table.find(id))
        .set(suppliers::merged_into.eq(Some(into)))
        .execute(conn)
        .await
        .map(drop)
}

/// Replaces the parts of a supplier with those of `input`.
pub(super) async fn replace_parts(
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
    insert_parts_many(conn, &[(id, input)]).await
}

/// The parts of many suppliers, one statement per kind of part, each as one array per column
/// (see `insert_many`): a batch's size is never limited by PostgreSQL's 65,535 parameters.
pub(super) async fn insert_parts_many(
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
            // `active`: counted for `(system, value)` uniqueness (see the migration
            // `add_identity`).
            "INSERT INTO supplier_external_refs (supplier_id, position, system, value, active)
             SELECT r.supplier_id, r.position, r.system, r.value,
                    s.status <> 'archived' AND r.system NOT LIKE 'legacy\\_%'
             FROM unnest($1::uuid[], $2::int2[], $3::text[], $4::text[])
                  AS r (supplier_id, position, system, value)
             JOIN suppliers s ON s.id = r.supplier_id",
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

pub(super) async fn add_owner(
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

pub(super) async fn remove_owner(
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

impl<'a> SupplierColumns<'a> {
    /// The columns of a checked supplier of size `size`.
    pub fn of(valid: &'a ValidSupplier, size: &'a Size) -> Self {
        let input = &valid.input;
        SupplierColumns {
            legal_name: &input.legal_name,
            trade_name: input.trade_name.as_deref(),
            tax_id: valid.tax_id.as_str(),
            tax_id_check_ok: valid.tax_id.check_digit_ok,
            country: &input.country,
            subdivision: input.subdivision.as_deref(),
            city: input.city.as_deref(),
            address: input.address.as_deref(),
            lat: input.location.map(|l| l.lat),
            lon: input.location.map(|l| l.lon),
            website: input.website.as_deref(),
            founded_year: input.founded_year.map(|y| y as i16),
            sector: input.sector.as_str(),
            employees: input.employees as i32,
            annual_sales_amount: valid.sales.as_ref().map(|(a, _)| a),
            annual_sales_currency: valid.sales.as_ref().map(|(_, c)| c.as_str()),
            size_class: size.0.as_str(),
            size_rule: &size.1,
            capability_codes: with_ancestors(input.capabilities.iter().map(|c| c.code.as_str())),
            capability_list: input.capabilities.iter().map(|c| c.code.as_str()).collect(),
            certification_schemes: input
                .certifications
                .iter()
                .map(|c| c.scheme.as_str())
                .collect(),
            certification_expiries: input.certifications.iter().map(|c| c.expires_on).collect(),
        }
    }
}
