//! `GET /v1/suppliers/export`: every match in name order, streamed as CSV or NDJSON while the
//! database sends it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use chrono::{DateTime, Utc};
use diesel::{
    pg::Pg,
    query_builder::{BoxedSqlQuery, SqlQuery},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, pooled_connection::deadpool};
use futures_util::StreamExt;
use serde::Serialize;

use super::{
    params::{ExportFormat, ExportParams, Query, SearchParams},
    visibility::visibility,
};
use crate::{
    auth::{MaybePrincipal, Principal},
    db::search::{self, ExportRow},
    domain::text,
    error::ApiError,
    state::{AppState, ExportSlot, ReadKind},
};

/// What the writer task sends the response: a chunk of the body, or the error that ends it.
type Chunk = Result<web::Bytes, std::io::Error>;

/// Export suppliers.
///
/// Every supplier that matches the filters (no limit), in name order, streamed as it is read:
/// `format=csv` (a header row, then one row per supplier; capabilities and valid certifications
/// as `;`-separated codes) or `format=ndjson` (one JSON object per line, the same fields).
/// Contacts are never exported. At most two exports per caller (account, or address when
/// anonymous) and `DATABASE_POOL_SIZE` in all run at once, on connections of their own (429 with
/// `Retry-After` beyond); a client that takes nothing for the statement timeout has its export
/// cut.
#[utoipa::path(
    operation_id = "suppliers_export",
    tag = "suppliers",
    params(SearchParams, ExportParams),
    responses((status = 200, description = "The matches.",
        content((String = "text/csv"), (String = "application/x-ndjson")))),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/suppliers/export")]
pub async fn export_suppliers(
    req: HttpRequest,
    principal: MaybePrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let visibility = visibility(principal.0.as_ref());
    let query = Query::<ExportParams>::parse(req.query_string())?;
    let filters = query.filters.into_filters(&visibility)?;
    let format = query.extra.format.unwrap_or_default();
    let slot = state
        .exports
        .try_start(caller_key(&req, principal.0.as_ref()))?;
    let source = state.read_source(&req).await;
    let (_, conn) = state.read_conn(source, ReadKind::Export).await?;
    let rows = search::export_query(&filters, &visibility);
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(8);
    let cut = Arc::new(AtomicBool::new(false));
    let sender = Sender {
        tx,
        timeout: state.exports.send_timeout,
        cut: Arc::clone(&cut),
    };
    actix_web::rt::spawn(export(conn, rows, format, sender, slot));
    let (content_type, file) = match format {
        ExportFormat::Ndjson => ("application/x-ndjson", "suppliers.ndjson"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "suppliers.csv"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(body(rx, cut)))
}

/// The response body: the writer's chunks; a stalled client's export ends as an error, so the
/// response is cut (no terminating chunk) rather than looking complete.
fn body(
    rx: tokio::sync::mpsc::Receiver<Chunk>,
    cut: Arc<AtomicBool>,
) -> impl futures_util::Stream<Item = Chunk> {
    futures_util::stream::unfold(rx, move |mut rx| {
        let cut = Arc::clone(&cut);
        async move {
            match rx.recv().await {
                Some(item) => Some((item, rx)),
                None if cut.swap(false, Ordering::AcqRel) => {
                    Some((Err(std::io::Error::other("export timed out")), rx))
                }
                None => None,
            }
        }
    })
}

/// Who an export counts against: the account, or the peer address of an anonymous caller.
fn caller_key(req: &HttpRequest, principal: Option<&Principal>) -> String {
    match principal {
        Some(p) => format!("{}:{}", p.kind.as_str(), p.id),
        None => crate::auth::client_ip::caller_ip_key(req),
    }
}

/// The writer's end of the response: each chunk waits at most `timeout` for the client to take
/// it; past that, the export stops and the response is cut.
struct Sender {
    tx: tokio::sync::mpsc::Sender<Chunk>,
    timeout: Duration,
    cut: Arc<AtomicBool>,
}

impl Sender {
    /// False when the export must stop: the client went away or stopped reading.
    async fn send(&self, chunk: Chunk) -> bool {
        match tokio::time::timeout(self.timeout, self.tx.send(chunk)).await {
            Ok(sent) => sent.is_ok(),
            Err(_) => {
                tracing::warn!("export client stopped reading; export cut");
                self.cut.store(true, Ordering::Release);
                false
            }
        }
    }
}

/// Runs an export on a connection of the exports' own pool (no statement timeout: an export may
/// outlast it), holding its slot until the rows are written. The rows are written in chunks as
/// they arrive; the channel's bound keeps memory flat when the client reads slower than the
/// database sends.
async fn export(
    mut conn: deadpool::Object<AsyncPgConnection>,
    rows: BoxedSqlQuery<'static, Pg, SqlQuery>,
    format: ExportFormat,
    tx: Sender,
    slot: ExportSlot,
) {
    let finished = stream_export(&mut conn, rows, format == ExportFormat::Ndjson, &tx).await;
    if !finished {
        // A query cut short may leave the session busy: close it rather than hand it on.
        drop(deadpool::Object::take(conn));
    }
    drop(slot);
}

const CSV_COLUMNS: [&str; 18] = [
    "id",
    "legal_name",
    "trade_name",
    "tax_id",
    "country",
    "subdivision",
    "city",
    "sector",
    "employees",
    "size_class",
    "size_rule",
    "status",
    "capabilities",
    "certifications",
    "website",
    "lat",
    "lon",
    "updated_at",
];

/// Writes one CSV record, field by field, without copying the row; a text cell that a
/// spreadsheet would run as a formula starts with `'` (`domain::text::csv_cell`).
fn write_csv(
    csv: &mut csv::Writer<Vec<u8>>,
    row: &ExportRow,
    today: chrono::NaiveDate,
    joined: &mut String,
) -> csv::Result<()> {
    fn opt(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or_default()
    }
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    csv.write_field(
        row.id
            .hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer()),
    )?;
    csv.write_field(text::csv_cell(&row.legal_name).as_ref())?;
    csv.write_field(text::csv_cell(opt(&row.trade_name)).as_ref())?;
    csv.write_field(text::csv_cell(&row.tax_id).as_ref())?;
    csv.write_field(text::csv_cell(&row.country).as_ref())?;
    csv.write_field(text::csv_cell(opt(&row.subdivision)).as_ref())?;
    csv.write_field(text::csv_cell(opt(&row.city)).as_ref())?;
    csv.write_field(text::csv_cell(&row.sector).as_ref())?;
    csv.write_field(row.employees.to_string())?;
    csv.write_field(text::csv_cell(&row.size_class).as_ref())?;
    csv.write_field(text::csv_cell(&row.size_rule).as_ref())?;
    csv.write_field(text::csv_cell(&row.status).as_ref())?;
    joined.clear();
    for (i, code) in row.capabilities.iter().enumerate() {
        if i > 0 {
            joined.push(';');
        }
        joined.push_str(code);
    }
    csv.write_field(text::csv_cell(joined.as_str()).as_ref())?;
    joined.clear();
    for (i, scheme) in row.certifications(today).enumerate() {
        if i > 0 {
            joined.push(';');
        }
        joined.push_str(scheme);
    }
    csv.write_field(text::csv_cell(joined.as_str()).as_ref())?;
    csv.write_field(text::csv_cell(opt(&row.website)).as_ref())?;
    csv.write_field(num(row.lat))?;
    csv.write_field(num(row.lon))?;
    csv.write_field(
        row.updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )?;
    csv.write_record(None::<&[u8]>)
}

/// One exported supplier as an NDJSON line.
#[derive(Serialize)]
struct ExportDocument<'a> {
    id: uuid::Uuid,
    legal_name: &'a str,
    trade_name: Option<&'a str>,
    tax_id: &'a str,
    country: &'a str,
    subdivision: Option<&'a str>,
    city: Option<&'a str>,
    sector: &'a str,
    employees: i64,
    size_class: &'a str,
    size_rule: &'a str,
    status: &'a str,
    capabilities: &'a [String],
    certifications: Vec<&'a str>,
    website: Option<&'a str>,
    lat: Option<f64>,
    lon: Option<f64>,
    updated_at: DateTime<Utc>,
}

impl<'a> ExportDocument<'a> {
    fn of(row: &'a ExportRow, today: chrono::NaiveDate) -> Self {
        ExportDocument {
            id: row.id,
            legal_name: &row.legal_name,
            trade_name: row.trade_name.as_deref(),
            tax_id: &row.tax_id,
            country: &row.country,
            subdivision: row.subdivision.as_deref(),
            city: row.city.as_deref(),
            sector: &row.sector,
            employees: row.employees,
            size_class: &row.size_class,
            size_rule: &row.size_rule,
            status: &row.status,
            capabilities: &row.capabilities,
            certifications: row.certifications(today).collect(),
            website: row.website.as_deref(),
            lat: row.lat,
            lon: row.lon,
            updated_at: row.updated_at,
        }
    }
}

/// Writes every exported row to `tx` in chunks; false when the export stopped early (a database
/// error, or the client went away).
async fn stream_export(
    conn: &mut AsyncPgConnection,
    query: BoxedSqlQuery<'static, Pg, SqlQuery>,
    ndjson: bool,
    tx: &Sender,
) -> bool {
    let today = match search::current_date(conn).await {
        Ok(today) => today,
        Err(e) => {
            tracing::error!(error = %e, "export query failed");
            tx.send(Err(std::io::Error::other("export failed"))).await;
            return false;
        }
    };
    let rows = match query.load_stream::<ExportRow>(conn).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "export query failed");
            tx.send(Err(std::io::Error::other("export failed"))).await;
            return false;
        }
    };
    futures_util::pin_mut!(rows);
    // NDJSON lines go to `buf`; CSV rows to the writer's own buffer. Either is sent once it
    // holds 32 KiB.
    let mut buf = Vec::with_capacity(64 * 1024);
    let new_csv = || {
        csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(64 * 1024))
    };
    let mut csv = new_csv();
    let mut joined = String::new();
    if !ndjson {
        let _ = csv.write_record(CSV_COLUMNS);
    }
    while let Some(row) = rows.next().await {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                tracing::error!(error = %e, "export stream failed");
                tx.send(Err(std::io::Error::other("export failed"))).await;
                return false;
            }
        };
        let chunk = if ndjson {
            if serde_json::to_writer(&mut buf, &ExportDocument::of(&row, today)).is_ok() {
                buf.push(b'\n');
            }
            (buf.len() >= 32 * 1024).then(|| std::mem::take(&mut buf))
        } else {
            let _ = write_csv(&mut csv, &row, today, &mut joined);
            (csv.get_ref().len() >= 32 * 1024).then(|| {
                std::mem::replace(&mut csv, new_csv())
                    .into_inner()
                    .unwrap_or_default()
            })
        };
        if let Some(chunk) = chunk
            && !tx.send(Ok(web::Bytes::from(chunk))).await
        {
            return false; // the client went away or stopped reading
        }
    }
    buf.extend(csv.into_inner().unwrap_or_default());
    buf.is_empty() || tx.send(Ok(web::Bytes::from(buf))).await
}
