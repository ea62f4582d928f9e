//! Bulk import: `POST /v1/imports` takes a CSV or NDJSON file of suppliers and answers 202 at
//! once; the import worker (`workers::imports`) goes through it in batches, each row checked with
//! the same rules as `POST /v1/suppliers`, and upserts on `(country, tax_id)`. `GET
//! /v1/imports/{id}` reports progress, counts and the errors of bad rows.
//!
//! Each batch of rows is one transaction: the new suppliers (inserted together), the changed ones,
//! their audit entries and events, the rows' errors and the import's progress commit together. A
//! row that exists and would not change is `unchanged`: no write, no version, no event — so
//! running the same file twice changes nothing the second time.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{changes, columns, diff_size, document, input_of, parse_input, parts_changed, size_of};
use crate::{
    auth::{Principal, Role, Scope},
    db::{
        accounts::flatten,
        imports::{self as imports_db, Claimed, Counts, ImportRow, Mark, NewImport},
        suppliers::{self as store, Actor, AuditEntry, SupplierColumns, SupplierRecord},
    },
    domain::{
        size::{SizeClass, SizeRule},
        supplier::{Known, SupplierInput, ValidSupplier, merge_patch},
        tax_id,
    },
    error::{ApiError, FieldError},
    http::RequestId,
    state::AppState,
};

/// CSV columns: the supplier document's fields, flattened.
pub const CSV_COLUMNS: &[&str] = &[
    "legal_name",
    "trade_name",
    "tax_id",
    "country",
    "subdivision",
    "city",
    "address",
    "lat",
    "lon",
    "website",
    "founded_year",
    "sector",
    "employees",
    "annual_sales_amount",
    "annual_sales_currency",
    "capabilities",
    "certifications",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
];
const REQUIRED: [&str; 5] = ["legal_name", "tax_id", "country", "sector", "employees"];

/// Rows per transaction.
pub const BATCH_ROWS: usize = 2000;
/// Errors listed in `GET /v1/imports/{id}` (all rows are counted in `counts.failed`).
const ERRORS_SHOWN: i64 = 1000;

/// Queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportAccepted {
    pub id: Uuid,
}

/// Rows by outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportCounts {
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub failed: i32,
}

/// A bad row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportError {
    /// The data row, counted from 1 (a CSV header is not a data row).
    pub row: i32,
    /// The field, as in the supplier document (`capabilities[1].code`), or `row` for a row that
    /// could not be read at all.
    #[schema(example = "tax_id")]
    pub field: String,
    #[schema(example = "not a valid RFC (Mexican tax id)")]
    pub message: String,
}

/// An import and how far it got.
#[derive(Debug, Serialize, ToSchema)]
pub struct Import {
    pub id: Uuid,
    /// `queued`, `running`, `completed` or `failed` (the file could not be read at all).
    #[schema(example = "completed")]
    pub status: String,
    /// `csv` or `ndjson`.
    #[schema(example = "csv")]
    pub format: String,
    /// Data rows gone through so far.
    pub rows_processed: i32,
    /// Data rows in the file, once known.
    pub rows_total: Option<i32>,
    pub counts: ImportCounts,
    /// Bad rows, by row (the first 1000; `counts.failed` counts them all).
    pub errors: Vec<ImportError>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

fn view(row: ImportRow, errors: Vec<imports_db::ErrorRow>) -> Import {
    Import {
        id: row.id,
        status: row.status,
        format: row.format,
        rows_processed: row.rows_done,
        rows_total: row.rows_total,
        counts: ImportCounts {
            created: row.created,
            updated: row.updated,
            unchanged: row.unchanged,
            failed: row.failed,
        },
        errors: errors
            .into_iter()
            .map(|e| ImportError {
                row: e.row,
                field: e.field,
                message: e.message,
            })
            .collect(),
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    }
}

/// Start a bulk import.
///
/// Agencies (in their countries) and admins. The body is `text/csv` (a header row of column
/// names: `legal_name`, `trade_name`, `tax_id`, `country`, `subdivision`, `city`, `address`, `lat`,
/// `lon`, `website`, `founded_year`, `sector`, `employees`, `annual_sales_amount`,
/// `annual_sales_currency`, `capabilities` (`;`-separated codes), `certifications` (`;`-separated
/// `SCHEME` or `SCHEME@expires-on-date`), `contact_name`, `contact_role`, `contact_email`,
/// `contact_phone`; the first five are required) or `application/x-ndjson` (one supplier document
/// per line), up to `IMPORT_MAX_BYTES` (50 MB). Each row is checked with the rules of `POST
/// /v1/suppliers` and upserted on `(country, tax_id)`: a new supplier starts as `draft`; an
/// existing one takes the row's fields (CSV: every column of the file, an empty cell clearing an
/// optional field; NDJSON: the keys present, as a merge patch) and keeps its status. A row whose
/// supplier would not change is `unchanged`. A bad row is reported and skipped; a later row with
/// the same `(country, tax_id)` as an earlier one is refused (even when the earlier one is bad:
/// which of two rows is meant cannot be told). An import whose workers fail five times is
/// `failed`.
#[utoipa::path(
    operation_id = "imports_create",
    tag = "integration",
    request_body(
        description = "The file.",
        content(
            (String = "text/csv", example = "legal_name,tax_id,country,sector,employees,capabilities\nEnsambles del Bajío,EBA0102035A1,MX,manufacturing,42,atp.asm;atp.test\n"),
            (String = "application/x-ndjson")
        )
    ),
    responses(
        (status = 202, description = "Queued; follow `Location`.", body = ImportAccepted,
            headers(("Location" = String, description = "/v1/imports/{id}"))),
        (status = 413, description = "Larger than `IMPORT_MAX_BYTES`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `text/csv` or `application/x-ndjson`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, not UTF-8, or a CSV header with unknown or missing columns (each named).", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["agency", "admin"]))
)]
#[post("/imports")]
pub async fn create_import(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    principal.agency_or_admin(Scope::Write)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let format = match content_type.as_str() {
        "text/csv" => "csv",
        "application/x-ndjson" => "ndjson",
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "Send `text/csv` or `application/x-ndjson`.".into(),
            ));
        }
    };
    let limit = state.config.import_max_bytes;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::bad_request("body", "unreadable", "the body could not be read")
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::unprocessable(vec![FieldError::new("body", "encoding", "must be UTF-8")])
    })?;
    // Spreadsheet programs start their CSV files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            "body",
            "empty",
            "holds no rows",
        )]));
    }
    if format == "csv" {
        check_header(text)?;
    }
    let id = Uuid::now_v7();
    let mut conn = state.pool.get().await?;
    imports_db::insert(
        &mut conn,
        &NewImport {
            id,
            format,
            actor_kind: principal.kind.as_str(),
            actor_id: principal.id,
            actor_name: &principal.name,
            actor_role: principal.role.as_str(),
            actor_countries: &principal.countries,
            request_id: Some(request_id.as_str()),
            body: &body,
        },
    )
    .await?;
    state.import_queued.notify_one();
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/imports/{id}")))
        .json(ImportAccepted { id }))
}

fn check_header(text: &str) -> Result<(), ApiError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|_| {
        ApiError::unprocessable(vec![FieldError::new(
            "body",
            "csv",
            "the header row is not CSV",
        )])
    })?;
    let mut errors = Vec::new();
    for name in headers {
        if !CSV_COLUMNS.contains(&name.trim()) {
            errors.push(FieldError::new(
                name,
                "unknown_column",
                "is not an import column",
            ));
        }
    }
    for name in REQUIRED {
        if !headers.iter().any(|h| h.trim() == name) {
            errors.push(FieldError::new(name, "required", "is a required column"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unprocessable(errors))
    }
}

/// An import's progress.
///
/// Its creator and admins.
#[utoipa::path(
    operation_id = "imports_get",
    tag = "integration",
    params(("id" = Uuid, Path, description = "The import's id")),
    responses((status = 200, description = "The import.", body = Import)),
    security(("bearer" = ["agency", "admin"]))
)]
#[get("/imports/{id}")]
pub async fn get_import(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Import>, ApiError> {
    let owner = principal.agency_or_admin(Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let row = imports_db::find(&mut conn, *id, owner)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such import.".into()))?;
    let errors = imports_db::errors(&mut conn, row.id, ERRORS_SHOWN).await?;
    Ok(web::Json(view(row, errors)))
}

/// A row as the supplier fields it sets, or why it could not be read.
pub type Row = Result<Map<String, Value>, FieldError>;

/// The rows of a file, read as they are asked for (a batch at a time: the file is held once, its
/// rows never all at once).
pub fn rows<'a>(format: &str, body: &'a [u8]) -> Box<dyn Iterator<Item = Row> + Send + 'a> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    match format {
        "csv" => csv_rows(body),
        _ => Box::new(
            body.split(|b| *b == b'\n')
                .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
                .map(|line| match serde_json::from_slice::<Value>(line) {
                    Ok(Value::Object(map)) => Ok(map),
                    Ok(_) => Err(FieldError::new("row", "object", "must be a JSON object")),
                    Err(e) => Err(FieldError::new("row", "json", format!("is not JSON: {e}"))),
                }),
        ),
    }
}

fn csv_rows<'a>(body: &'a [u8]) -> Box<dyn Iterator<Item = Row> + Send + 'a> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_owned()).collect(),
        Err(_) => return Box::new(std::iter::empty()),
    };
    Box::new(reader.into_records().map(move |record| {
        let record = record.map_err(|e| {
            FieldError::new(
                "row",
                "csv",
                format!("is not a CSV row like the header: {e}"),
            )
        })?;
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map(str::trim)
        };
        Ok(csv_object(&headers, &cell))
    }))
}

/// One CSV row as the supplier fields it sets (every column of the file; an empty cell is null).
fn csv_object<'a>(
    headers: &[String],
    cell: &impl Fn(&str) -> Option<&'a str>,
) -> Map<String, Value> {
    let text = |name: &str| match cell(name) {
        Some(v) if !v.is_empty() => Value::String(v.to_owned()),
        _ => Value::Null,
    };
    // A number when it is one; otherwise the text, for the type check to name the field.
    let number = |name: &str| match cell(name) {
        Some(v) if !v.is_empty() => v
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| v.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(v.to_owned())),
        _ => Value::Null,
    };
    let has = |name: &str| headers.iter().any(|h| h == name);
    let list = |name: &str| {
        cell(name)
            .unwrap_or_default()
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut map = Map::new();
    for name in [
        "legal_name",
        "trade_name",
        "tax_id",
        "country",
        "subdivision",
        "city",
        "address",
        "website",
        "sector",
    ] {
        if has(name) {
            map.insert(name.into(), text(name));
        }
    }
    for name in ["founded_year", "employees"] {
        if has(name) {
            map.insert(name.into(), number(name));
        }
    }
    if has("lat") || has("lon") {
        let (lat, lon) = (number("lat"), number("lon"));
        let location = if lat.is_null() && lon.is_null() {
            Value::Null
        } else {
            json!({ "lat": lat, "lon": lon })
        };
        map.insert("location".into(), location);
    }
    if has("annual_sales_amount") || has("annual_sales_currency") {
        let (amount, currency) = (text("annual_sales_amount"), text("annual_sales_currency"));
        let sales = if amount.is_null() && currency.is_null() {
            Value::Null
        } else {
            json!({ "amount": amount, "currency": currency })
        };
        map.insert("annual_sales".into(), sales);
    }
    if has("capabilities") {
        let codes: Vec<Value> = list("capabilities")
            .into_iter()
            .map(|code| json!({ "code": code }))
            .collect();
        map.insert("capabilities".into(), Value::Array(codes));
    }
    if has("certifications") {
        let certs: Vec<Value> = list("certifications")
            .into_iter()
            .map(|entry| match entry.split_once('@') {
                Some((scheme, expires)) => {
                    json!({ "scheme": scheme.trim(), "expires_on": expires.trim() })
                }
                None => json!({ "scheme": entry }),
            })
            .collect();
        map.insert("certifications".into(), Value::Array(certs));
    }
    if [
        "contact_name",
        "contact_role",
        "contact_email",
        "contact_phone",
    ]
    .iter()
    .any(|c| has(c))
    {
        let contact: Map<String, Value> = [
            ("name", text("contact_name")),
            ("role", text("contact_role")),
            ("email", text("contact_email")),
            ("phone", text("contact_phone")),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let contacts = if contact.is_empty() {
            json!([])
        } else {
            json!([contact])
        };
        map.insert("contacts".into(), contacts);
    }
    map
}

/// What the worker needs to go through one import.
pub struct Run {
    pub id: Uuid,
    pub actor: Actor,
    pub role: Role,
    pub countries: Vec<String>,
    pub request_id: Option<String>,
    pub rules: Vec<SizeRule>,
    pub capabilities: HashSet<String>,
    pub schemes: HashSet<String>,
    /// Rows that repeat an earlier row's `(country, tax_id)` → that earlier row.
    pub repeats: HashMap<i32, i32>,
}

impl Run {
    pub fn new(
        claimed: &Claimed,
        rules: Vec<SizeRule>,
        (capabilities, schemes): (HashSet<String>, HashSet<String>),
    ) -> Self {
        Self {
            id: claimed.id,
            actor: Actor {
                kind: if claimed.actor_kind == "client" {
                    "client"
                } else {
                    "user"
                },
                id: Some(claimed.actor_id),
                name: claimed.actor_name.clone(),
            },
            role: Role::parse(&claimed.actor_role).unwrap_or(Role::Viewer),
            countries: flatten(claimed.actor_countries.clone()),
            request_id: claimed.request_id.clone(),
            rules,
            capabilities,
            schemes,
            repeats: HashMap::new(),
        }
    }
}

/// `(country, tax_id)`, as stored.
pub type Key = (String, String);

/// A row's key, when it names a country and a tax id.
pub fn key_of(map: &Map<String, Value>) -> Option<Key> {
    match (map.get("country"), map.get("tax_id")) {
        (Some(Value::String(c)), Some(Value::String(t))) => {
            Some((c.trim().to_owned(), tax_id::normalise(t)))
        }
        _ => None,
    }
}

/// A row's verdict before it is stored.
enum Plan {
    Create(Box<(Uuid, ValidSupplier, (SizeClass, String))>),
    Update(Uuid, Map<String, Value>),
}

/// Goes through rows (each with its number) in one transaction with their counts, errors and
/// `mark`; `None` when another worker had already done them (nothing is written then).
pub async fn process_batch(
    conn: &mut AsyncPgConnection,
    run: &Run,
    rows: &[(i32, &Row)],
    mark: Mark,
) -> Result<Option<Counts>, ApiError> {
    let today = Utc::now().date_naive();
    let mut counts = Counts::default();
    let mut errors: Vec<(i32, String, String)> = Vec::new();
    fn fail(
        row: i32,
        list: Vec<FieldError>,
        counts: &mut Counts,
        errors: &mut Vec<(i32, String, String)>,
    ) {
        counts.failed += 1;
        errors.extend(list.into_iter().map(|e| (row, e.field, e.message)));
    }

    // Keys first: which rows name a supplier that exists.
    let mut keyed: Vec<(i32, &Map<String, Value>, Option<Key>)> = Vec::new();
    for &(n, row) in rows {
        match row {
            Err(e) => fail(n, vec![e.clone()], &mut counts, &mut errors),
            Ok(map) => keyed.push((n, map, key_of(map))),
        }
    }
    let keys: Vec<Key> = keyed.iter().filter_map(|(_, _, k)| k.clone()).collect();
    let existing: HashMap<Key, Uuid> = imports_db::ids_by_tax_id(conn, &keys)
        .await?
        .into_iter()
        .map(|(id, country, tax)| ((country, tax), id))
        .collect();
    let known = Known {
        capabilities: &run.capabilities,
        schemes: &run.schemes,
        today,
    };

    let mut plans: Vec<(i32, Plan)> = Vec::new();
    for (n, map, key) in keyed {
        if let Some(key) = &key {
            if let Some(earlier) = run.repeats.get(&n) {
                fail(
                    n,
                    vec![FieldError::new(
                        "tax_id",
                        "duplicate_in_file",
                        format!("repeats the country and tax id of row {earlier}"),
                    )],
                    &mut counts,
                    &mut errors,
                );
                continue;
            }
            if let Some(id) = existing.get(key) {
                plans.push((n, Plan::Update(*id, map.clone())));
                continue;
            }
        }
        let body = Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        match checked(run, &known, &body) {
            Ok((valid, size)) => {
                plans.push((n, Plan::Create(Box::new((Uuid::now_v7(), valid, size)))))
            }
            Err(list) => fail(n, list, &mut counts, &mut errors),
        }
    }

    let outcome = conn
        .transaction(async |conn| -> Result<Counts, ApiError> {
            let mut audits: Vec<(Uuid, &'static str, Value)> = Vec::new();
            let mut events: Vec<(&str, Uuid, Value)> = Vec::new();
            let mut created: Vec<&(Uuid, ValidSupplier, (SizeClass, String))> = Vec::new();
            // The suppliers this batch updates, read and locked in one query.
            let ids: Vec<Uuid> = plans
                .iter()
                .filter_map(|(_, p)| match p {
                    Plan::Update(id, _) => Some(*id),
                    Plan::Create(_) => None,
                })
                .collect();
            let mut records: HashMap<Uuid, SupplierRecord> =
                store::find_records_for_update(conn, &ids)
                    .await?
                    .into_iter()
                    .map(|r| (r.id, r))
                    .collect();
            for (n, plan) in &plans {
                match plan {
                    Plan::Create(c) => created.push(c),
                    Plan::Update(id, map) => {
                        match update_one(conn, run, &known, *id, records.remove(id), map).await? {
                            Ok(None) => counts.unchanged += 1,
                            Ok(Some((diff, version))) => {
                                counts.updated += 1;
                                let changed: Vec<String> = diff.keys().cloned().collect();
                                audits.push((*id, "update", Value::Object(diff)));
                                events.push((
                                    "supplier.updated",
                                    *id,
                                    json!({ "version": version, "changed": changed }),
                                ));
                            }
                            Err(list) => fail(*n, list, &mut counts, &mut errors),
                        }
                    }
                }
            }
            let columns: Vec<SupplierColumns<'_>> =
                created.iter().map(|c| columns(&c.1, &c.2)).collect();
            let rows: Vec<(Uuid, &SupplierColumns<'_>)> = created
                .iter()
                .zip(&columns)
                .map(|(c, cols)| (c.0, cols))
                .collect();
            store::insert_many(conn, &rows).await?;
            let parts: Vec<(Uuid, &SupplierInput)> =
                created.iter().map(|c| (c.0, &c.1.input)).collect();
            store::insert_parts_many(conn, &parts).await?;
            for c in &created {
                counts.created += 1;
                let mut fields = changes(
                    &Value::Null,
                    &serde_json::to_value(&c.1.input).map_err(|e| ApiError::Internal(e.into()))?,
                );
                fields.insert("status".into(), json!([null, "draft"]));
                fields.insert("size_class".into(), json!([null, c.2.0.as_str()]));
                audits.push((c.0, "create", Value::Object(fields)));
                events.push((
                    "supplier.created",
                    c.0,
                    json!({ "version": 1, "status": "draft" }),
                ));
            }
            let entries: Vec<AuditEntry<'_>> = audits
                .into_iter()
                .map(|(supplier, action, changes)| AuditEntry {
                    supplier,
                    actor: &run.actor,
                    action,
                    request_id: run.request_id.as_deref(),
                    changes,
                })
                .collect();
            store::insert_audits(conn, &entries).await?;
            // The events take the feed's lock, held until commit; the import's row is locked after
            // it, so that two batches of one import take the two in the same order.
            store::insert_events(conn, &events).await?;
            if !imports_db::progress(conn, run.id, mark, counts, &errors, LEASE_SECONDS).await? {
                return Err(ApiError::Conflict {
                    detail: ALREADY_DONE.into(),
                    existing_id: None,
                });
            }
            Ok(counts)
        })
        .await;
    match outcome {
        Ok(counts) => Ok(Some(counts)),
        Err(ApiError::Conflict { detail, .. }) if detail == ALREADY_DONE => Ok(None),
        Err(e) => Err(e),
    }
}

const ALREADY_DONE: &str = "already done by another worker";

/// How long a worker holds an import between batches.
pub const LEASE_SECONDS: i32 = 120;

/// Checks a row as `POST /v1/suppliers` would, and sizes it.
fn checked(
    run: &Run,
    known: &Known<'_>,
    body: &Value,
) -> Result<(ValidSupplier, (SizeClass, String)), Vec<FieldError>> {
    let input = parse_input(body).map_err(|e| e.problem().errors)?;
    if run.role == Role::Agency
        && !run.countries.is_empty()
        && !run.countries.contains(&input.country)
    {
        return Err(vec![FieldError::new(
            "country",
            "not_your_country",
            "is not one of the countries this agency acts in",
        )]);
    }
    let valid = input.check(known)?;
    let size = size_of(&run.rules, known.today, &valid).ok_or_else(|| {
        vec![FieldError::new(
            "country",
            "no_size_rule",
            "no size rule applies",
        )]
    })?;
    Ok((valid, size))
}

type RowOutcome = Result<Option<(Map<String, Value>, i32)>, Vec<FieldError>>;

/// Applies a row to an existing supplier: `Ok(None)` when nothing would change, else the changes
/// and the new version. Its audit entry and event are the caller's to write.
async fn update_one(
    conn: &mut AsyncPgConnection,
    run: &Run,
    known: &Known<'_>,
    id: Uuid,
    record: Option<SupplierRecord>,
    row: &Map<String, Value>,
) -> Result<RowOutcome, ApiError> {
    let Some(record) = record else {
        return Ok(Err(vec![FieldError::new(
            "tax_id",
            "gone",
            "the supplier with this tax id is gone",
        )]));
    };
    if record.status == "archived" {
        return Ok(Err(vec![FieldError::new(
            "tax_id",
            "archived",
            "the supplier with this country and tax id is archived and cannot change",
        )]));
    }
    let current = document(record, super::View::Full)?;
    let old_value = serde_json::to_value(input_of(
        &current,
        current.contacts.clone().unwrap_or_default(),
    ))
    .map_err(|e| ApiError::Internal(e.into()))?;
    let mut merged = old_value.clone();
    merge_patch(&mut merged, &Value::Object(row.clone()));
    let (valid, size) = match checked(run, known, &merged) {
        Ok(ok) => ok,
        Err(list) => return Ok(Err(list)),
    };
    let new_value = serde_json::to_value(&valid.input).map_err(|e| ApiError::Internal(e.into()))?;
    let mut diff = changes(&old_value, &new_value);
    if diff.is_empty() {
        return Ok(Ok(None));
    }
    diff_size(&current, &size, &mut diff);
    let version = current.version + 1;
    store::update(conn, id, &columns(&valid, &size), version).await?;
    if parts_changed(&diff) {
        store::replace_parts(conn, id, &valid.input).await?;
    }
    Ok(Ok(Some((diff, version))))
}
