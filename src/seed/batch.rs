//! One batch of seeded suppliers, drawn row by row and held column by column, then written with
//! one `INSERT … SELECT FROM unnest(…)` per table.

use chrono::{DateTime, Days, NaiveDate, Utc};
use diesel::sql_types::{
    Array, Date, Double, Int2, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::{Rng, rngs::StdRng, seq::SliceRandom};
use uuid::Uuid;

use super::{
    history::History,
    vocabulary::{COUNTRIES, NAMES, PREFIXES, SUFFIXES, places, tax_id, weighted},
};
use crate::db::suppliers::QUALITY_SCHEMES;
use crate::domain::{
    size::{self, Sector, SizeInput},
    status::SupplierStatus,
    supplier::{certificate_status, with_ancestors},
};

/// What every row is drawn against.
pub(super) struct Reference {
    pub rules: Vec<size::SizeRule>,
    /// Capabilities without children (a supplier claims leaves; search finds their ancestors).
    pub leaves: Vec<String>,
    pub schemes: Vec<String>,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

/// How often each status is seeded (per cent).
const STATUSES: &[(SupplierStatus, u32)] = &[
    (SupplierStatus::Verified, 70),
    (SupplierStatus::Pending, 12),
    (SupplierStatus::Draft, 10),
    (SupplierStatus::Rejected, 3),
    (SupplierStatus::Suspended, 3),
    (SupplierStatus::Archived, 2),
];

/// A firm's drawn identity and size, before its capabilities and certificates.
struct Firm {
    country: &'static str,
    subdivision: &'static str,
    lat: f64,
    lon: f64,
    prefix: &'static str,
    name: &'static str,
    legal_name: String,
    sector: Sector,
    employees: i64,
    currency: &'static str,
    sales: Option<String>,
    size_class: size::SizeClass,
    size_rule: String,
}

/// One batch of rows, column by column (for `unnest`).
#[derive(Default)]
pub(super) struct Batch {
    id: Vec<Uuid>,
    legal_name: Vec<String>,
    trade_name: Vec<Option<String>>,
    tax_id: Vec<String>,
    country: Vec<String>,
    subdivision: Vec<String>,
    city: Vec<Option<String>>,
    lat: Vec<f64>,
    lon: Vec<f64>,
    sector: Vec<String>,
    employees: Vec<i32>,
    sales: Vec<Option<String>>,
    currency: Vec<Option<String>>,
    size_class: Vec<String>,
    size_rule: Vec<String>,
    status: Vec<String>,
    /// When each was registered, last changed, and reached each step of the ladder.
    created: Vec<DateTime<Utc>>,
    updated: Vec<DateTime<Utc>>,
    submitted: Vec<Option<DateTime<Utc>>>,
    verified: Vec<Option<DateTime<Utc>>>,
    certified: Vec<Option<DateTime<Utc>>>,
    history: History,
    codes: Vec<String>,
    /// Array literals: own codes in order, certificate schemes and expiries in order.
    cap_list: Vec<String>,
    cert_schemes: Vec<String>,
    cert_expiries: Vec<String>,
    founded: Vec<i16>,
    cap_supplier: Vec<Uuid>,
    cap_code: Vec<String>,
    cap_position: Vec<i16>,
    cert_supplier: Vec<Uuid>,
    cert_scheme: Vec<String>,
    cert_position: Vec<i16>,
    cert_issued: Vec<NaiveDate>,
    cert_expires: Vec<NaiveDate>,
    cert_status: Vec<String>,
    /// A D-U-N-S number for one supplier in three (unique: drawn from the supplier's number).
    duns_supplier: Vec<Uuid>,
    duns: Vec<String>,
}

impl Batch {
    /// Draws supplier `n` (the draws come in a fixed order: the same seed, the same rows).
    pub(super) fn push(&mut self, rng: &mut StdRng, n: u64, reference: &Reference) {
        let id = Uuid::from_u64_pair(0x0190_0000_0000_7000 | (n >> 48), 0x8000_0000_0000_0000 | n);
        let firm = draw_firm(rng, reference);
        let codes = self.push_capabilities(rng, id, &reference.leaves);
        let quality_since = self.push_certifications(rng, id, &reference.schemes, reference.today);
        self.codes.push(format!(
            "{{{}}}",
            with_ancestors(codes.iter().map(String::as_str)).join(",")
        ));
        self.push_supplier(rng, id, n, firm, quality_since, reference.now);
    }

    /// One to four leaf capabilities, in code order; returns their codes.
    fn push_capabilities(&mut self, rng: &mut StdRng, id: Uuid, leaves: &[String]) -> Vec<String> {
        let how_many = rng.gen_range(1..=4);
        let mut codes: Vec<String> = leaves.choose_multiple(rng, how_many).cloned().collect();
        codes.sort();
        for (i, code) in codes.iter().enumerate() {
            self.cap_supplier.push(id);
            self.cap_code.push(code.clone());
            self.cap_position.push(i as i16);
        }
        // Codes are [a-z0-9._]: safe in an array literal unquoted.
        self.cap_list.push(format!("{{{}}}", codes.join(",")));
        codes
    }

    /// None to two certificates, some of them expired or expiring; returns the issue date of the
    /// oldest valid quality certificate among them.
    fn push_certifications(
        &mut self,
        rng: &mut StdRng,
        id: Uuid,
        schemes: &[String],
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        let mut quality_since: Option<NaiveDate> = None;
        let cert_count = [0, 0, 1, 1, 1, 2][rng.gen_range(0..6)];
        let (mut row_schemes, mut row_expiries) = (Vec::new(), Vec::new());
        for (i, scheme) in schemes.choose_multiple(rng, cert_count).enumerate() {
            let issued = today - Days::new(rng.gen_range(30..2_000));
            let expires = issued + Days::new(rng.gen_range(365..1_460));
            self.cert_supplier.push(id);
            self.cert_scheme.push(scheme.clone());
            self.cert_position.push(i as i16);
            self.cert_issued.push(issued);
            self.cert_expires.push(expires);
            let status = certificate_status(Some(expires), today);
            if status != "expired" && QUALITY_SCHEMES.contains(&scheme.as_str()) {
                quality_since = Some(quality_since.map_or(issued, |q| q.min(issued)));
            }
            self.cert_status.push(status.to_owned());
            row_schemes.push(scheme.as_str());
            row_expiries.push(expires.to_string());
        }
        // Schemes are [a-z0-9._]: safe in an array literal unquoted.
        self.cert_schemes
            .push(format!("{{{}}}", row_schemes.join(",")));
        self.cert_expiries
            .push(format!("{{{}}}", row_expiries.join(",")));
        quality_since
    }

    /// The supplier row's own columns.
    fn push_supplier(
        &mut self,
        rng: &mut StdRng,
        id: Uuid,
        n: u64,
        firm: Firm,
        quality_since: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) {
        self.id.push(id);
        self.trade_name.push(
            rng.gen_bool(0.4)
                .then(|| format!("{} {}", firm.prefix, firm.name)),
        );
        self.legal_name.push(firm.legal_name);
        self.tax_id.push(tax_id(firm.country, n, rng));
        if n.is_multiple_of(3) {
            self.duns_supplier.push(id);
            self.duns.push(format!("{:09}", n % 1_000_000_000));
        }
        self.country.push(firm.country.to_owned());
        self.subdivision.push(firm.subdivision.to_owned());
        self.city.push(None);
        self.lat.push(firm.lat + rng.gen_range(-0.4..0.4));
        self.lon.push(firm.lon + rng.gen_range(-0.4..0.4));
        self.sector.push(firm.sector.as_str().to_owned());
        self.employees.push(firm.employees as i32);
        self.currency
            .push(firm.sales.as_ref().map(|_| firm.currency.to_owned()));
        self.sales.push(firm.sales);
        self.size_class.push(firm.size_class.as_str().to_owned());
        self.size_rule.push(firm.size_rule);
        let status = weighted(rng, STATUSES, |s| s.1).0;
        self.status.push(status.as_str().to_owned());
        self.founded.push(rng.gen_range(1960..2025));
        let past = self.history.push(rng, id, status, quality_since, now);
        self.created.push(past.created);
        self.updated.push(past.updated);
        self.submitted.push(past.submitted);
        self.verified.push(past.verified);
        self.certified.push(past.certified);
    }

    /// Writes the batch: suppliers, then their capabilities and certifications.
    pub(super) async fn insert(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        self.insert_suppliers(conn).await?;
        self.insert_capabilities(conn).await?;
        self.insert_certifications(conn).await?;
        diesel::sql_query(
            "INSERT INTO supplier_external_refs (supplier_id, position, system, value, active)
             SELECT t.s, 0, 'duns', t.v, x.status <> 'archived'
             FROM unnest($1::uuid[], $2::text[]) AS t(s, v) JOIN suppliers x ON x.id = t.s",
        )
        .bind::<Array<SqlUuid>, _>(&self.duns_supplier)
        .bind::<Array<Text>, _>(&self.duns)
        .execute(conn)
        .await?;
        self.history.insert(conn).await
    }

    async fn insert_suppliers(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO suppliers (id, legal_name, trade_name, tax_id, country, subdivision, city, lat, lon,
                 sector, employees, annual_sales_amount, annual_sales_currency, size_class, size_rule, status,
                 verified_at, capability_codes, founded_year, capability_list, certification_schemes,
                 certification_expiries, created_at, updated_at, first_submitted_at, first_verified_at,
                 first_certified_at)
             SELECT id, legal_name, trade_name, tax_id, country, subdivision, city, lat, lon, sector, employees,
                    sales::numeric, currency, size_class, size_rule, status,
                    CASE WHEN status IN ('verified', 'suspended') THEN verified END, codes::text[], founded,
                    cap_list::text[], cert_schemes::text[], cert_expiries::date[], created, updated,
                    submitted, verified, certified
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::float8[], $9::float8[], $10::text[], $11::int4[], $12::text[], $13::text[],
                         $14::text[], $15::text[], $16::text[], $17::text[], $18::int2[], $19::text[],
                         $20::text[], $21::text[], $22::timestamptz[], $23::timestamptz[],
                         $24::timestamptz[], $25::timestamptz[], $26::timestamptz[])
                  AS t(id, legal_name, trade_name, tax_id, country, subdivision, city, lat, lon, sector,
                       employees, sales, currency, size_class, size_rule, status, codes, founded,
                       cap_list, cert_schemes, cert_expiries, created, updated, submitted, verified,
                       certified)",
        )
        .bind::<Array<SqlUuid>, _>(&self.id)
        .bind::<Array<Text>, _>(&self.legal_name)
        .bind::<Array<Nullable<Text>>, _>(&self.trade_name)
        .bind::<Array<Text>, _>(&self.tax_id)
        .bind::<Array<Text>, _>(&self.country)
        .bind::<Array<Text>, _>(&self.subdivision)
        .bind::<Array<Nullable<Text>>, _>(&self.city)
        .bind::<Array<Double>, _>(&self.lat)
        .bind::<Array<Double>, _>(&self.lon)
        .bind::<Array<Text>, _>(&self.sector)
        .bind::<Array<Int4>, _>(&self.employees)
        .bind::<Array<Nullable<Text>>, _>(&self.sales)
        .bind::<Array<Nullable<Text>>, _>(&self.currency)
        .bind::<Array<Text>, _>(&self.size_class)
        .bind::<Array<Text>, _>(&self.size_rule)
        .bind::<Array<Text>, _>(&self.status)
        .bind::<Array<Text>, _>(&self.codes)
        .bind::<Array<Int2>, _>(&self.founded)
        .bind::<Array<Text>, _>(&self.cap_list)
        .bind::<Array<Text>, _>(&self.cert_schemes)
        .bind::<Array<Text>, _>(&self.cert_expiries)
        .bind::<Array<Timestamptz>, _>(&self.created)
        .bind::<Array<Timestamptz>, _>(&self.updated)
        .bind::<Array<Nullable<Timestamptz>>, _>(&self.submitted)
        .bind::<Array<Nullable<Timestamptz>>, _>(&self.verified)
        .bind::<Array<Nullable<Timestamptz>>, _>(&self.certified)
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn insert_capabilities(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO supplier_capabilities (supplier_id, code, position)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int2[])",
        )
        .bind::<Array<SqlUuid>, _>(&self.cap_supplier)
        .bind::<Array<Text>, _>(&self.cap_code)
        .bind::<Array<Int2>, _>(&self.cap_position)
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn insert_certifications(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO supplier_certifications (supplier_id, scheme, position, issued_on, expires_on, status)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int2[], $4::date[], $5::date[], $6::text[])",
        )
        .bind::<Array<SqlUuid>, _>(&self.cert_supplier)
        .bind::<Array<Text>, _>(&self.cert_scheme)
        .bind::<Array<Int2>, _>(&self.cert_position)
        .bind::<Array<Date>, _>(&self.cert_issued)
        .bind::<Array<Date>, _>(&self.cert_expires)
        .bind::<Array<Text>, _>(&self.cert_status)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Country and state, name, sector, head count, sales and the size class they give.
fn draw_firm(rng: &mut StdRng, reference: &Reference) -> Firm {
    let country = weighted(rng, COUNTRIES, |c| c.1).0;
    let (subdivision, _, lat, lon) = *weighted(rng, places(country), |p| p.1);
    let prefix = PREFIXES.choose(rng).copied().unwrap_or("Servicios");
    let name = NAMES.choose(rng).copied().unwrap_or("Nájera");
    let suffix = SUFFIXES.choose(rng).copied().unwrap_or("S.A.");
    let legal_name = format!(
        "{prefix} {name} {} {suffix}",
        NAMES.choose(rng).copied().unwrap_or("")
    );
    let sector = [Sector::Manufacturing, Sector::Services, Sector::Commerce][rng.gen_range(0..3)];
    // Mostly small firms: employees from a skewed distribution.
    let employees = (rng.gen_range(1.0f64..8.0).exp() as i64).min(5_000);
    let currency = currency_of(country);
    let sales = draw_sales(rng, employees, currency);
    let amount = sales
        .as_deref()
        .and_then(|s| s.parse::<bigdecimal::BigDecimal>().ok());
    let input = SizeInput {
        country,
        sector,
        employees,
        sales: amount.as_ref().map(|a| (a, currency)),
    };
    let (size_class, size_rule) = size::classify(&reference.rules, reference.today, &input)
        .unwrap_or((
            size::SizeClass::Micro,
            "FALLBACK-EMPLOYEES-10-50-250".into(),
        ));
    Firm {
        country,
        subdivision,
        lat,
        lon,
        prefix,
        name,
        legal_name,
        sector,
        employees,
        currency,
        sales,
        size_class,
        size_rule,
    }
}

fn currency_of(country: &str) -> &'static str {
    match country {
        "MX" => "MXN",
        "CR" => "CRC",
        "PA" => "PAB",
        _ => "USD",
    }
}

/// Annual sales for four firms in five, about in proportion to the head count.
fn draw_sales(rng: &mut StdRng, employees: i64, currency: &str) -> Option<String> {
    rng.gen_bool(0.8).then(|| {
        let per_employee: f64 = match currency {
            "MXN" => 900_000.0,
            "CRC" => 25_000_000.0,
            _ => 50_000.0,
        };
        format!(
            "{:.2}",
            employees as f64 * per_employee * rng.gen_range(0.3..3.0)
        )
    })
}
