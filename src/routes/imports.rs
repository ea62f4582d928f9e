//! Bulk import over HTTP: `POST /v1/imports` takes a CSV or NDJSON file of suppliers and answers
//! 202 at once (the file is queued; `workers::imports` goes through it in batches, each row with
//! the rules of `POST /v1/suppliers`, upserting on `(country, tax_id)`); `GET /v1/imports/{id}`
//! reports progress, counts and the errors of bad rows.

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Principal, Scope},
    db::imports::{self as imports_db, ImportRow, NewImport},
    domain::{FieldError, import},
    error::ApiError,
    http::RequestId,
    state::AppState,
};

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

/// A created row and a supplier it may duplicate.
#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleDuplicate {
    /// The data row, counted from 1.
    pub row: i32,
    pub supplier_id: Uuid,
    /// The matcher's score (0.8 to 1).
    #[schema(example = 0.91)]
    pub score: f64,
}

/// An import and how far it got.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ImportJob)]
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
    /// Created rows that may duplicate a supplier already registered (or another row): a
    /// `strong` or `exact` candidate of the matcher (`POST /v1/suppliers/match`), among the
    /// suppliers the importer may see. The rows are created all the same (the first 1000).
    pub possible_duplicates: Vec<PossibleDuplicate>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

fn view(
    row: ImportRow,
    errors: Vec<imports_db::ErrorRow>,
    duplicates: Vec<imports_db::PossibleDuplicate>,
) -> Import {
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
        possible_duplicates: duplicates
            .into_iter()
            .map(|(row, supplier_id, score)| PossibleDuplicate {
                row,
                supplier_id,
                score,
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
        description = "The file: CSV with a header row. NDJSON (`Content-Type: application/x-ndjson`, one supplier document per line) is accepted too, with the same rules.",
        content(
            (ImportFile = "text/csv", example = "legal_name,tax_id,country,sector,employees,capabilities\nEnsambles del Bajío,EBA0102035A9,MX,manufacturing,42,atp.asm;atp.tst\n")
        )
    ),
    responses(
        (status = 202, description = "Queued; follow `Location`.", body = ImportAccepted,
            headers(("Location" = String, description = "/v1/imports/{id}"))),
        (status = 413, description = "Larger than `IMPORT_MAX_BYTES`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `text/csv` or `application/x-ndjson`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, not UTF-8, or a CSV header with unknown or missing columns (each named).", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["write"]))
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
    let format = upload_format(&req)?;
    let body = read_upload(&mut payload, state.config.import_max_bytes).await?;
    check_upload(&body, format)?;
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

/// The upload's format, from its media type: 415 for any other.
fn upload_format(req: &HttpRequest) -> Result<&'static str, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match content_type.as_str() {
        "text/csv" => Ok("csv"),
        "application/x-ndjson" => Ok("ndjson"),
        _ => Err(ApiError::UnsupportedMediaType(
            "Send `text/csv` or `application/x-ndjson`.".into(),
        )),
    }
}

/// The whole upload, within `limit` bytes (413 beyond it).
async fn read_upload(payload: &mut web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
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
    Ok(body)
}

/// What is refused before anything is queued: not UTF-8, no rows, or (CSV) a bad header row.
fn check_upload(body: &[u8], format: &str) -> Result<(), ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ApiError::unprocessable(vec![FieldError::new("body", "encoding", "must be UTF-8")])
    })?;
    // Spreadsheet programs start their CSV files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        let error = FieldError::new("body", "empty", "holds no rows");
        return Err(ApiError::unprocessable(vec![error]));
    }
    if format == "csv" {
        import::check_header(text).map_err(ApiError::unprocessable)?;
    }
    Ok(())
}

/// An import's progress.
///
/// Its creator and admins.
#[utoipa::path(
    operation_id = "imports_get",
    tag = "integration",
    params(("id" = Uuid, Path, description = "The import's id")),
    responses((status = 200, description = "The import.", body = Import)),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["read"]))
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
    let duplicates = imports_db::duplicates(&mut conn, row.id, ERRORS_SHOWN).await?;
    Ok(web::Json(view(row, errors, duplicates)))
}

/// An import file: CSV with a header row of supplier field names.
// For the OpenAPI document only: the handler streams the body itself.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ImportFile(Vec<u8>);
