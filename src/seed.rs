//! `supplier-registry seed`: deterministic, realistic synthetic suppliers for development and
//! benchmarks — accented Spanish names, the Americas with a Mexican majority, skewed states,
//! capabilities from the taxonomy, certifications (some expired) and locations. The same
//! `--seed` gives the same data. Rows go in with one `INSERT … SELECT FROM unnest(…)` per batch.
//!
//! Seeded suppliers are synthetic bulk data: they get no audit entries and no change events.

use anyhow::Context;
use chrono::{Days, NaiveDate, Utc};
use diesel::sql_types::{Array, Date, Double, Int2, Int4, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use uuid::Uuid;

use crate::{
    db::reference,
    domain::{
        size::{self, Sector, SizeInput},
        supplier::{certificate_status, with_ancestors},
    },
};

const PREFIXES: &[&str] = &[
    "Ensambles",
    "Pruebas",
    "Moldeo",
    "Logística",
    "Soluciones",
    "Ingeniería",
    "Tecnologías",
    "Servicios",
    "Manufacturas",
    "Componentes",
    "Microelectrónica",
    "Fotónica",
    "Empaques",
    "Calibraciones",
    "Automatización",
    "Maquinados",
    "Químicos",
    "Diseños",
    "Laboratorios",
    "Metrología",
];
const NAMES: &[&str] = &[
    "del Bajío",
    "Nájera",
    "Peñasco",
    "Núñez",
    "Ibáñez",
    "de Occidente",
    "Regiomontanos",
    "Jaliscienses",
    "de la Frontera",
    "Peña",
    "Muñoz",
    "Álvarez",
    "Gómez",
    "Hernández",
    "Orozco",
    "Quintana",
    "Cañada",
    "Sánchez",
    "Ortíz",
    "Montaño",
    "Avilés",
    "Solís",
    "del Pacífico",
    "Tapatíos",
    "Córdoba",
    "Durán",
    "Bolaños",
    "Carreño",
    "Zúñiga",
    "Echeverría",
];
const SUFFIXES: &[&str] = &[
    "S.A. de C.V.",
    "S. de R.L. de C.V.",
    "S.A.P.I. de C.V.",
    "S.A.",
    "Ltda.",
    "Inc.",
    "LLC",
];

/// (subdivision, weight, lat, lon) per country, weights skewed toward the industrial states.
fn places(country: &str) -> &'static [(&'static str, u32, f64, f64)] {
    match country {
        "MX" => &[
            ("MX-JAL", 20, 20.67, -103.35),
            ("MX-NLE", 15, 25.67, -100.31),
            ("MX-CHH", 12, 28.63, -106.07),
            ("MX-BCN", 10, 32.51, -117.04),
            ("MX-SON", 6, 29.07, -110.96),
            ("MX-QUE", 6, 20.59, -100.39),
            ("MX-GUA", 6, 21.12, -101.68),
            ("MX-AGU", 4, 21.88, -102.29),
            ("MX-COA", 4, 25.42, -101.0),
            ("MX-TAM", 4, 26.07, -98.3),
            ("MX-CMX", 5, 19.43, -99.13),
            ("MX-MEX", 4, 19.29, -99.65),
            ("MX-PUE", 2, 19.04, -98.2),
            ("MX-SLP", 2, 22.15, -100.98),
        ],
        "US" => &[
            ("US-TX", 40, 30.27, -97.74),
            ("US-AZ", 25, 33.45, -112.07),
            ("US-CA", 20, 37.34, -121.89),
            ("US-NM", 15, 35.08, -106.65),
        ],
        "CR" => &[
            ("CR-H", 50, 10.0, -84.12),
            ("CR-SJ", 35, 9.93, -84.08),
            ("CR-A", 15, 10.02, -84.21),
        ],
        "PA" => &[("PA-8", 80, 8.98, -79.52), ("PA-3", 20, 9.36, -79.9)],
        "GT" => &[("GT-01", 100, 14.63, -90.51)],
        "CO" => &[("CO-ANT", 60, 6.24, -75.58), ("CO-DC", 40, 4.71, -74.07)],
        _ => &[("BR-SP", 100, -23.55, -46.63)],
    }
}

const COUNTRIES: &[(&str, u32)] = &[
    ("MX", 70),
    ("US", 10),
    ("CR", 8),
    ("PA", 5),
    ("GT", 3),
    ("CO", 2),
    ("BR", 2),
];

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.gen_range(0..total);
    for item in items {
        let w = weight(item);
        if pick < w {
            return item;
        }
        pick -= w;
    }
    &items[items.len() - 1]
}

/// A tax id valid for the country and unique by `n`.
fn tax_id(country: &str, n: u64, rng: &mut StdRng) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    match country {
        "MX" => {
            let letters: String = (0..3)
                .map(|i| LETTERS[((n / 26u64.pow(i)) % 26) as usize] as char)
                .collect();
            let day = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
                + Days::new((n / 17_576) % 20_000);
            format!(
                "{letters}{}{}{:02}",
                day.format("%y%m%d"),
                LETTERS[rng.gen_range(0..26)] as char,
                n % 100
            )
        }
        "CR" => format!(
            "3{}{:06}",
            ["101", "102", "103", "104", "105"][(n / 1_000_000 % 5) as usize],
            n % 1_000_000
        ),
        "PA" => format!("{}2{}", 100_000 + n, 1990 + n % 35),
        "US" => format!(
            "{}{:07}",
            [12, 20, 30, 45, 54, 61, 74, 81, 91, 98][(n / 10_000_000 % 10) as usize],
            n % 10_000_000
        ),
        _ => format!("S{n:09}"),
    }
}

/// Seeds `count` suppliers from `seed`; returns how many were written.
pub async fn run(url: &str, count: u64, seed: u64) -> anyhow::Result<u64> {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("Failed to connect")?;
    let rules = reference::load_size_rules(&mut conn).await?;
    let (capabilities, _) = reference::all_capabilities(&mut conn).await?;
    let leaves: Vec<String> = capabilities
        .iter()
        .filter(|c| {
            !capabilities
                .iter()
                .any(|o| o.parent.as_deref() == Some(c.code.as_str()))
        })
        .map(|c| c.code.clone())
        .collect();
    let schemes: Vec<String> = reference::all_schemes(&mut conn)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let today = Utc::now().date_naive();
    let started = std::time::Instant::now();
    let mut written = 0;
    // Offset the tax ids by the seed so that runs with different seeds can share a database.
    let base = seed.wrapping_mul(1_000_003) % 1_000_000_000;
    while written < count {
        let batch = (count - written).min(5_000);
        let mut s = Batch::default();
        for i in 0..batch {
            let n = base + written + i;
            s.push(&mut rng, n, &rules, &leaves, &schemes, today);
        }
        conn.transaction(async |conn| s.insert(conn).await).await?;
        written += batch;
        if written % 100_000 == 0 || written == count {
            tracing::info!(
                written,
                elapsed_s = started.elapsed().as_secs_f64(),
                "seeding"
            );
        }
    }
    Ok(written)
}

/// One batch of rows, column by column (for `unnest`).
#[derive(Default)]
struct Batch {
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
}

impl Batch {
    fn push(
        &mut self,
        rng: &mut StdRng,
        n: u64,
        rules: &[size::SizeRule],
        leaves: &[String],
        schemes: &[String],
        today: NaiveDate,
    ) {
        let id = Uuid::from_u64_pair(0x0190_0000_0000_7000 | (n >> 48), 0x8000_0000_0000_0000 | n);
        let country = weighted(rng, COUNTRIES, |c| c.1).0;
        let (subdivision, _, lat, lon) = *weighted(rng, places(country), |p| p.1);
        let prefix = PREFIXES.choose(rng).copied().unwrap_or("Servicios");
        let name = NAMES.choose(rng).copied().unwrap_or("Nájera");
        let suffix = SUFFIXES.choose(rng).copied().unwrap_or("S.A.");
        let legal_name = format!(
            "{prefix} {name} {} {suffix}",
            NAMES.choose(rng).copied().unwrap_or("")
        );
        let sector =
            [Sector::Manufacturing, Sector::Services, Sector::Commerce][rng.gen_range(0..3)];
        // Mostly small firms: employees from a skewed distribution.
        let employees = (rng.gen_range(1.0f64..8.0).exp() as i64).min(5_000);
        let currency = match country {
            "MX" => "MXN",
            "CR" => "CRC",
            "PA" => "PAB",
            _ => "USD",
        };
        let sales = rng.gen_bool(0.8).then(|| {
            let per_employee: f64 = match currency {
                "MXN" => 900_000.0,
                "CRC" => 25_000_000.0,
                _ => 50_000.0,
            };
            format!(
                "{:.2}",
                employees as f64 * per_employee * rng.gen_range(0.3..3.0)
            )
        });
        let amount = sales
            .as_deref()
            .and_then(|s| s.parse::<bigdecimal::BigDecimal>().ok());
        let input = SizeInput {
            country,
            sector,
            employees,
            sales: amount.as_ref().map(|a| (a, currency)),
        };
        let (size_class, rule) = size::classify(rules, today, &input).unwrap_or((
            size::SizeClass::Micro,
            "FALLBACK-EMPLOYEES-10-50-250".into(),
        ));
        let how_many = rng.gen_range(1..=4);
        let mut codes: Vec<String> = leaves.choose_multiple(rng, how_many).cloned().collect();
        codes.sort();
        for (i, code) in codes.iter().enumerate() {
            self.cap_supplier.push(id);
            self.cap_code.push(code.clone());
            self.cap_position.push(i as i16);
        }
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
            self.cert_status
                .push(certificate_status(Some(expires), today).to_owned());
            row_schemes.push(scheme.as_str());
            row_expiries.push(expires.to_string());
        }
        // Codes and schemes are [a-z0-9._]: safe in an array literal unquoted.
        self.cap_list.push(format!("{{{}}}", codes.join(",")));
        self.cert_schemes
            .push(format!("{{{}}}", row_schemes.join(",")));
        self.cert_expiries
            .push(format!("{{{}}}", row_expiries.join(",")));
        self.codes.push(format!(
            "{{{}}}",
            with_ancestors(codes.iter().map(String::as_str)).join(",")
        ));
        self.id.push(id);
        self.trade_name
            .push(rng.gen_bool(0.4).then(|| format!("{prefix} {name}")));
        self.legal_name.push(legal_name);
        self.tax_id.push(tax_id(country, n, rng));
        self.country.push(country.to_owned());
        self.subdivision.push(subdivision.to_owned());
        self.city.push(None);
        self.lat.push(lat + rng.gen_range(-0.4..0.4));
        self.lon.push(lon + rng.gen_range(-0.4..0.4));
        self.sector.push(sector.as_str().to_owned());
        self.employees.push(employees as i32);
        self.currency
            .push(sales.as_ref().map(|_| currency.to_owned()));
        self.sales.push(sales);
        self.size_class.push(size_class.as_str().to_owned());
        self.size_rule.push(rule);
        self.status.push(
            weighted(
                rng,
                &[
                    ("verified", 70),
                    ("pending", 12),
                    ("draft", 10),
                    ("rejected", 3),
                    ("suspended", 3),
                    ("archived", 2),
                ],
                |s| s.1,
            )
            .0
            .to_owned(),
        );
        self.founded.push(rng.gen_range(1960..2025));
    }

    async fn insert(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO suppliers (id, legal_name, trade_name, tax_id, country, subdivision, city, lat, lon,
                 sector, employees, annual_sales_amount, annual_sales_currency, size_class, size_rule, status,
                 verified_at, capability_codes, founded_year, capability_list, certification_schemes,
                 certification_expiries)
             SELECT id, legal_name, trade_name, tax_id, country, subdivision, city, lat, lon, sector, employees,
                    sales::numeric, currency, size_class, size_rule, status,
                    CASE WHEN status IN ('verified', 'suspended') THEN now() END, codes::text[], founded,
                    cap_list::text[], cert_schemes::text[], cert_expiries::date[]
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::float8[], $9::float8[], $10::text[], $11::int4[], $12::text[], $13::text[],
                         $14::text[], $15::text[], $16::text[], $17::text[], $18::int2[], $19::text[],
                         $20::text[], $21::text[])
                  AS t(id, legal_name, trade_name, tax_id, country, subdivision, city, lat, lon, sector,
                       employees, sales, currency, size_class, size_rule, status, codes, founded,
                       cap_list, cert_schemes, cert_expiries)",
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
        .execute(conn)
        .await?;
        diesel::sql_query(
            "INSERT INTO supplier_capabilities (supplier_id, code, position)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::int2[])",
        )
        .bind::<Array<SqlUuid>, _>(&self.cap_supplier)
        .bind::<Array<Text>, _>(&self.cap_code)
        .bind::<Array<Int2>, _>(&self.cap_position)
        .execute(conn)
        .await?;
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
