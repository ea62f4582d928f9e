//! Suppliers: create, read, change (JSON Merge Patch) and archive here; the verification
//! workflow in `workflow`, owners in `owners`, the audit history in `history`. Every change writes
//! its audit entry and its change event in the transaction of the change.

pub mod history;
pub mod import;
pub mod owners;
pub mod search;
pub mod workflow;

use std::collections::HashSet;

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{MaybePrincipal, Principal, PrincipalKind, Role, Scope},
    db::suppliers::{self as store, Actor, AuditEntry, SupplierColumns, SupplierRecord},
    domain::{
        size::{self, SizeClass, SizeInput},
        supplier::{
            CapabilityInput, CertificationView, Contact, ExternalRef, Known, Location, Money,
            SupplierInput, ValidSupplier, check_fields, merge_patch, with_ancestors,
        },
    },
    error::{ApiError, FieldError},
    http::{
        JsonBody, RequestId,
        etag::{OptionalIfMatch, etag},
        idempotency::{self, IdempotencyKey, StoredResponse},
    },
    state::AppState,
};

/// A supplier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplierDocument {
    pub id: Uuid,
    pub legal_name: String,
    pub trade_name: Option<String>,
    pub tax_id: String,
    pub country: String,
    pub subdivision: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub location: Option<Location>,
    pub website: Option<String>,
    pub founded_year: Option<i32>,
    pub sector: size::Sector,
    pub employees: i64,
    pub annual_sales: Option<Money>,
    /// Computed by the country's official MSME rule.
    pub size_class: SizeClass,
    /// The rule that decided `size_class` (see `GET /v1/countries`).
    #[schema(example = "MX-DOF-2009-06-30")]
    pub size_rule: String,
    pub capabilities: Vec<CapabilityInput>,
    pub certifications: Vec<CertificationView>,
    /// Left out for anonymous callers and for suppliers that do not own this profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<Contact>>,
    /// `draft`, `pending`, `verified`, `rejected`, `suspended` or `archived`.
    #[schema(example = "draft")]
    pub status: String,
    pub status_reason: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub external_refs: Vec<ExternalRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1; each change adds 1. The `ETag` is `"<version>"`.
    pub version: i32,
}

/// What a caller may see of a supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Full,
    Public,
}

fn is_owner(principal: &Principal, record: &SupplierRecord) -> bool {
    principal.kind == PrincipalKind::User && record.owners.contains(&principal.id)
}

/// Anonymous callers see verified suppliers without contacts; owners, agencies and admins see
/// everything; viewers everything but archived profiles; a supplier sees other suppliers as the
/// public does.
fn view_of(principal: Option<&Principal>, record: &SupplierRecord) -> Option<View> {
    let verified = record.status == "verified";
    match principal {
        None => verified.then_some(View::Public),
        Some(p) => match p.role {
            Role::Admin | Role::Agency => Some(View::Full),
            Role::Viewer => (record.status != "archived").then_some(View::Full),
            Role::Supplier if is_owner(p, record) => Some(View::Full),
            Role::Supplier => verified.then_some(View::Public),
        },
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("No such supplier.".into())
}

/// An agency acts only inside its countries (when it has a list).
fn check_agency_country(principal: &Principal, country: &str) -> Result<(), ApiError> {
    if principal.role == Role::Agency
        && !principal.countries.is_empty()
        && !principal.countries.iter().any(|c| c == country)
    {
        return Err(ApiError::forbidden(format!(
            "This agency acts in {} only.",
            principal.countries.join(", ")
        )));
    }
    Ok(())
}

/// Owners, agencies (in their countries) and admins may change a supplier; others get 403 when
/// they can see it and 404 when they cannot.
fn check_can_edit(principal: &Principal, record: &SupplierRecord) -> Result<(), ApiError> {
    let Some(_) = view_of(Some(principal), record) else {
        return Err(not_found());
    };
    match principal.role {
        Role::Admin => Ok(()),
        Role::Agency => check_agency_country(principal, &record.country),
        Role::Supplier if is_owner(principal, record) => Ok(()),
        _ => Err(ApiError::forbidden(
            "Only the owners, agencies and admins change a supplier.",
        )),
    }
}

fn document(record: SupplierRecord, view: View) -> Result<SupplierDocument, ApiError> {
    Ok(SupplierDocument {
        id: record.id,
        legal_name: record.legal_name,
        trade_name: record.trade_name,
        tax_id: record.tax_id,
        country: record.country,
        subdivision: record.subdivision,
        city: record.city,
        address: record.address,
        location: record
            .lat
            .zip(record.lon)
            .map(|(lat, lon)| Location { lat, lon }),
        website: record.website,
        founded_year: record.founded_year.map(i32::from),
        sector: size::Sector::parse(&record.sector)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("bad sector")))?,
        employees: i64::from(record.employees),
        annual_sales: record
            .annual_sales_amount
            .zip(record.annual_sales_currency)
            .map(|(amount, currency)| Money {
                amount: amount.with_scale(2).to_string(),
                currency,
            }),
        size_class: SizeClass::parse(&record.size_class)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("bad size class")))?,
        size_rule: record.size_rule,
        capabilities: record.capabilities.0,
        certifications: record.certifications.0,
        contacts: match view {
            View::Full => Some(record.contacts.0),
            View::Public => None,
        },
        status: record.status,
        status_reason: record.status_reason,
        verified_at: record.verified_at,
        external_refs: record.external_refs.0,
        created_at: record.created_at,
        updated_at: record.updated_at,
        version: record.version,
    })
}

/// The client-owned fields of a stored supplier, as the input they came from.
fn input_of(doc: &SupplierDocument, contacts: Vec<Contact>) -> SupplierInput {
    SupplierInput {
        legal_name: doc.legal_name.clone(),
        trade_name: doc.trade_name.clone(),
        tax_id: doc.tax_id.clone(),
        country: doc.country.clone(),
        subdivision: doc.subdivision.clone(),
        city: doc.city.clone(),
        address: doc.address.clone(),
        location: doc.location,
        website: doc.website.clone(),
        founded_year: doc.founded_year,
        sector: doc.sector,
        employees: doc.employees,
        annual_sales: doc.annual_sales.clone(),
        capabilities: doc.capabilities.clone(),
        certifications: doc
            .certifications
            .iter()
            .map(|c| crate::domain::supplier::CertificationInput {
                scheme: c.scheme.clone(),
                number: c.number.clone(),
                issuer: c.issuer.clone(),
                issued_on: c.issued_on,
                expires_on: c.expires_on,
            })
            .collect(),
        contacts,
        external_refs: doc.external_refs.clone(),
    }
}

/// A body as a supplier input: every unknown or server-owned field named at once, then the
/// types (a value of the wrong JSON type is reported alone).
fn parse_input(body: &Value) -> Result<SupplierInput, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            "body",
            "object",
            "must be a JSON object",
        )]));
    };
    let mut errors = check_fields(map);
    // Every missing required field at once (serde would stop at the first).
    for field in ["legal_name", "tax_id", "country", "sector", "employees"] {
        if map.get(field).is_none_or(Value::is_null) {
            errors.push(FieldError::new(field, "required", "is required"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(errors));
    }
    crate::http::json::from_value(body.clone())
}

/// Checks a supplier against the rules and the reference data.
async fn check(
    conn: &mut AsyncPgConnection,
    input: SupplierInput,
) -> Result<ValidSupplier, ApiError> {
    let codes: Vec<String> = input.capabilities.iter().map(|c| c.code.clone()).collect();
    let schemes: Vec<String> = input
        .certifications
        .iter()
        .map(|c| c.scheme.clone())
        .collect();
    let capabilities: HashSet<String> =
        crate::db::reference::existing_capabilities(conn, &codes).await?;
    let schemes: HashSet<String> = crate::db::reference::existing_schemes(conn, &schemes).await?;
    input
        .check(&Known {
            capabilities: &capabilities,
            schemes: &schemes,
            today: Utc::now().date_naive(),
        })
        .map_err(ApiError::unprocessable)
}

/// The size class and rule of a checked supplier.
async fn classify(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    valid: &ValidSupplier,
) -> Result<(SizeClass, String), ApiError> {
    let rules = state.size_rules(conn).await?;
    size_of(rules, Utc::now().date_naive(), valid).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "no size rule applies (the fallback rule is missing)"
        ))
    })
}

/// The size class and rule of a checked supplier under `rules` on `today`.
fn size_of(
    rules: &[size::SizeRule],
    today: chrono::NaiveDate,
    valid: &ValidSupplier,
) -> Option<(SizeClass, String)> {
    let input = SizeInput {
        country: &valid.input.country,
        sector: valid.input.sector,
        employees: valid.input.employees,
        sales: valid.sales.as_ref().map(|(a, c)| (a, c.as_str())),
    };
    size::classify(rules, today, &input)
}

/// Adds the size class and rule to `diff` where they change.
fn diff_size(
    current: &SupplierDocument,
    size: &(SizeClass, String),
    diff: &mut Map<String, Value>,
) {
    for (field, old, new) in [
        ("size_class", json!(current.size_class), json!(size.0)),
        ("size_rule", json!(current.size_rule), json!(size.1)),
    ] {
        if old != new {
            diff.insert(field.into(), json!([old, new]));
        }
    }
}

/// Whether `diff` changes a part kept in its own table (which must then be rewritten).
fn parts_changed(diff: &Map<String, Value>) -> bool {
    [
        "capabilities",
        "certifications",
        "contacts",
        "external_refs",
    ]
    .iter()
    .any(|f| diff.contains_key(*f))
}

fn columns<'a>(valid: &'a ValidSupplier, size: &'a (SizeClass, String)) -> SupplierColumns<'a> {
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

fn actor(principal: &Principal) -> Actor {
    Actor {
        kind: principal.kind.as_str(),
        id: Some(principal.id),
        name: principal.name.clone(),
    }
}

/// Field → `[old, new]` for every top-level field that differs.
fn changes(old: &Value, new: &Value) -> Map<String, Value> {
    let empty = Map::new();
    let (old, new) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (
                old.get(k).unwrap_or(&Value::Null),
                new.get(k).unwrap_or(&Value::Null),
            );
            (a != b).then(|| (k.clone(), json!([a, b])))
        })
        .collect()
}

const DUPLICATE_DETAIL: &str = "A supplier with this tax id is already registered in this country.";

fn duplicate(existing_id: Option<Uuid>) -> ApiError {
    ApiError::Conflict {
        detail: DUPLICATE_DETAIL.into(),
        existing_id,
    }
}

fn is_duplicate_tax_id(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
        if info.constraint_name() == Some("suppliers_country_tax_id_key"))
}

/// How a write transaction failed: a duplicate `(country, tax_id)` that a concurrent request
/// committed first is told apart, so that its id can be read once the transaction has ended.
enum WriteError {
    Api(ApiError),
    DuplicateRace,
}

impl From<ApiError> for WriteError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<diesel::result::Error> for WriteError {
    fn from(e: diesel::result::Error) -> Self {
        if is_duplicate_tax_id(&e) {
            Self::DuplicateRace
        } else {
            Self::Api(e.into())
        }
    }
}

fn stored_document(doc: &SupplierDocument, status: u16) -> Result<StoredResponse, ApiError> {
    Ok(StoredResponse {
        status,
        location: (status == 201).then(|| format!("/v1/suppliers/{}", doc.id)),
        etag: Some(etag(doc.version)),
        body: serde_json::to_value(doc).map_err(|e| ApiError::Internal(e.into()))?,
    })
}

/// Register a supplier.
///
/// Creates a supplier in status `draft` (supplier users, agencies within their countries, and
/// admins; scope `write`). A supplier user becomes its owner. `size_class` and `size_rule` are
/// computed; `tax_id` is validated and normalised per country. Every broken rule is reported at
/// once in `errors`, each with its field path. With `Idempotency-Key`, the same key and body
/// answer the first response again (`Idempotent-Replayed: true`); the same key with another body
/// is 422; a request racing another with the same key is 409.
#[utoipa::path(
    operation_id = "suppliers_create",
    tag = "suppliers",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible ASCII characters, per caller")),
    request_body = SupplierInput,
    responses(
        (status = 201, description = "Registered.", body = SupplierDocument,
            headers(("Location" = String, description = "/v1/suppliers/{id}"), ("ETag" = String, description = "Version tag"),
                    ("Idempotent-Replayed" = String, description = "`true` when this is a stored first response"))),
        (status = 403, description = "Role, scope or agency country not allowed.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The `(country, tax_id)` is registered (`existing_id`), or a request with this `Idempotency-Key` is in progress.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["supplier", "agency", "admin"]))
)]
#[post("/suppliers")]
pub async fn create_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    idempotency_key: IdempotencyKey,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Supplier, Role::Agency, Role::Admin])?;
    principal.require_scope(Scope::Write)?;
    if principal.role == Role::Supplier && principal.kind == PrincipalKind::Client {
        // A profile is owned by supplier users; a client could create one but never edit it.
        return Err(ApiError::forbidden(
            "Supplier profiles are registered by supplier users, agencies or admins.",
        ));
    }
    let body: Value = body.parse()?;
    let input = parse_input(&body)?;
    check_agency_country(&principal, &input.country)?;
    let mut conn = state.pool.get().await?;
    let valid = check(&mut conn, input).await?;
    let size = classify(&state, &mut conn, &valid).await?;
    let caller = format!("{}:{}", principal.kind.as_str(), principal.id);
    let hash = idempotency::request_hash(&body);
    let key = idempotency_key.0;

    let outcome = conn
        .transaction(async |conn| -> Result<(StoredResponse, bool), WriteError> {
            if let Some(key) = &key
                && let Some(stored) = idempotency::begin(conn, &caller, key, &hash).await?
            {
                return Ok((stored, true));
            }
            if let Some(existing) =
                store::find_by_tax_id(conn, &valid.input.country, valid.tax_id.as_str()).await?
            {
                return Err(duplicate(Some(existing)).into());
            }
            let id = Uuid::now_v7();
            // A concurrent registration of the same tax id surfaces as DuplicateRace.
            store::insert(conn, id, &columns(&valid, &size)).await?;
            store::insert_parts(conn, id, &valid.input).await?;
            if principal.role == Role::Supplier && principal.kind == PrincipalKind::User {
                store::add_owner(conn, id, principal.id).await?;
            }
            let record = store::find_record(conn, id, false)
                .await?
                .ok_or_else(not_found)?;
            let doc = document(record, View::Full)?;
            let mut created = changes(
                &Value::Null,
                &serde_json::to_value(&doc).map_err(|e| ApiError::Internal(e.into()))?,
            );
            for field in [
                "id",
                "created_at",
                "updated_at",
                "version",
                "status_reason",
                "verified_at",
            ] {
                created.remove(field);
            }
            store::insert_audit(
                conn,
                &AuditEntry {
                    supplier: id,
                    actor: &actor(&principal),
                    action: "create",
                    request_id: Some(request_id.as_str()),
                    changes: Value::Object(created),
                },
            )
            .await?;
            let response = stored_document(&doc, 201)?;
            if let Some(key) = &key {
                idempotency::store(conn, &caller, key, &hash, &response).await?;
            }
            // Last: the event takes the feed's lock, held until commit.
            store::insert_event(
                conn,
                "supplier.created",
                id,
                &json!({ "version": doc.version, "status": doc.status }),
            )
            .await?;
            Ok((response, false))
        })
        .await;
    match outcome {
        Ok((response, replayed)) => Ok(response.to_http(replayed)),
        // The duplicate's id is read after the failed transaction has rolled back.
        Err(WriteError::DuplicateRace) => Err(duplicate(
            store::find_by_tax_id(&mut conn, &valid.input.country, valid.tax_id.as_str()).await?,
        )),
        Err(WriteError::Api(e)) => Err(e),
    }
}

/// Get a supplier.
///
/// Anonymous callers see verified suppliers, without `contacts`. Owners, agencies and admins see
/// every supplier (archived ones included); viewers all but archived ones. A supplier the caller
/// may not see is 404, as if it did not exist. Read in one database round trip.
#[utoipa::path(
    operation_id = "suppliers_get",
    tag = "suppliers",
    params(("id" = Uuid, Path, description = "The supplier's id")),
    responses(
        (status = 200, description = "The supplier.", body = SupplierDocument, headers(("ETag" = String, description = "Version tag")))
    ),
    security((), ("bearer" = []))
)]
#[get("/suppliers/{id}")]
pub async fn get_supplier(
    principal: MaybePrincipal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let record = store::find_record(&mut conn, *id, false)
        .await?
        .ok_or_else(not_found)?;
    let view = view_of(principal.0.as_ref(), &record).ok_or_else(not_found)?;
    let doc = document(record, view)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(doc.version)))
        .json(doc))
}

/// Fields whose change by an owner sends a verified profile back to `pending`.
const VERIFIED_FIELDS: &[&str] = &[
    "legal_name",
    "tax_id",
    "country",
    "capabilities",
    "certifications",
];

/// Change a supplier.
///
/// A JSON Merge Patch (RFC 7396; `application/merge-patch+json`, `application/json` accepted)
/// of the client-owned fields, with `If-Match` set to the current `ETag`: fields left out stay,
/// `null` clears an optional field, arrays are replaced whole. The result must meet every rule of
/// a new supplier; `size_class` is computed again. Each change adds 1 to `version`; a patch that
/// changes nothing changes nothing. When an owner changes a verified profile's legal name, tax
/// id, country, capabilities or certifications, it goes back to `pending`. Owners, agencies
/// (within their countries) and admins; archived suppliers cannot change (409).
#[utoipa::path(
    operation_id = "suppliers_update",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = String, Header, description = "The current ETag")
    ),
    request_body(
        content(
            (crate::domain::supplier::SupplierPatch = "application/merge-patch+json"),
            (crate::domain::supplier::SupplierPatch = "application/json")
        ),
        description = "Any subset of the client-owned fields; `null` clears an optional field"
    ),
    responses(
        (status = 200, description = "Changed.", body = SupplierDocument, headers(("ETag" = String, description = "New version tag"))),
        (status = 403, description = "Not an owner, or outside the agency's countries.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The supplier is archived, or the new `(country, tax_id)` is registered (`existing_id`).", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["supplier", "agency", "admin"]))
)]
#[patch("/suppliers/{id}")]
pub async fn update_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Supplier, Role::Agency, Role::Admin])?;
    principal.require_scope(Scope::Write)?;
    let if_match = if_match.required()?;
    let patch: Value = body.parse()?;
    let Value::Object(patch_fields) = &patch else {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            "body",
            "object",
            "must be a JSON object",
        )]));
    };
    let errors = check_fields(patch_fields);
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(errors));
    }
    let id = *id;
    let mut conn = state.pool.get().await?;
    let outcome = conn
        .transaction(async |conn| -> Result<SupplierDocument, ApiError> {
            let record = store::find_record(conn, id, true).await?.ok_or_else(not_found)?;
            check_can_edit(&principal, &record)?;
            if_match.check(record.version)?;
            if record.status == "archived" {
                return Err(ApiError::conflict("The supplier is archived and cannot change."));
            }
            let was_owner = is_owner(&principal, &record);
            let current = document(record, View::Full)?;
            let old_input = input_of(&current, current.contacts.clone().unwrap_or_default());
            let old_value = serde_json::to_value(&old_input).map_err(|e| ApiError::Internal(e.into()))?;
            let mut merged = old_value.clone();
            merge_patch(&mut merged, &patch);
            let valid = check(conn, parse_input(&merged)?).await?;
            check_agency_country(&principal, &valid.input.country)?;
            let new_value = serde_json::to_value(&valid.input).map_err(|e| ApiError::Internal(e.into()))?;
            let mut diff = changes(&old_value, &new_value);
            if diff.is_empty() {
                return Ok(current);
            }
            let size = classify(&state, conn, &valid).await?;
            diff_size(&current, &size, &mut diff);
            if let Some(other) = store::find_by_tax_id(conn, &valid.input.country, valid.tax_id.as_str()).await?
                && other != id
            {
                return Err(duplicate(Some(other)));
            }
            let version = current.version + 1;
            store::update(conn, id, &columns(&valid, &size), version)
                .await
                .map_err(|e| if is_duplicate_tax_id(&e) { duplicate(None) } else { ApiError::from(e) })?;
            if parts_changed(&diff) {
                store::replace_parts(conn, id, &valid.input).await?;
            }
            let back_to_pending = current.status == "verified"
                && was_owner
                && VERIFIED_FIELDS.iter().any(|f| diff.contains_key(*f));
            if back_to_pending {
                store::set_status(conn, id, "pending", None, current.verified_at, version).await?;
                diff.insert("status".into(), json!(["verified", "pending"]));
            }
            let changed: Vec<String> = diff.keys().cloned().collect();
            store::insert_audit(conn, &AuditEntry {
                supplier: id,
                actor: &actor(&principal),
                action: "update",
                request_id: Some(request_id.as_str()),
                changes: Value::Object(diff),
            })
            .await?;
            // One change, one event: a status move caused by the edit is told in the same event.
            let event = if back_to_pending {
                ("supplier.status_changed", json!({ "version": version, "changed": changed, "from": "verified", "to": "pending", "reason": "verified fields changed" }))
            } else {
                ("supplier.updated", json!({ "version": version, "changed": changed }))
            };
            store::insert_event(conn, event.0, id, &event.1).await?;
            let record = store::find_record(conn, id, false).await?.ok_or_else(not_found)?;
            document(record, View::Full)
        })
        .await;
    let doc = match outcome {
        // A concurrent change took this tax id first: name the supplier that holds it.
        Err(ApiError::Conflict {
            existing_id: None,
            detail,
        }) if detail == DUPLICATE_DETAIL => {
            let patched_tax = patch_fields
                .get("tax_id")
                .and_then(Value::as_str)
                .map(crate::domain::tax_id::normalise);
            let country = patch_fields.get("country").and_then(Value::as_str);
            let existing = match (country, patched_tax) {
                (Some(country), Some(tax)) => {
                    store::find_by_tax_id(&mut conn, country, &tax).await?
                }
                _ => None,
            };
            return Err(duplicate(existing));
        }
        other => other?,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(doc.version)))
        .json(doc))
}

/// Archive a supplier.
///
/// Sets status `archived`. The supplier is kept, and stays readable (200) by its owners,
/// agencies and admins. Owners and admins, with `If-Match`; an archived supplier is 409.
#[utoipa::path(
    operation_id = "suppliers_archive",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = String, Header, description = "The current ETag")
    ),
    responses(
        (status = 204, description = "Archived."),
        (status = 403, description = "Not an owner or admin.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already archived.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["supplier", "admin"]))
)]
#[delete("/suppliers/{id}")]
pub async fn archive_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Supplier, Role::Admin])?;
    principal.require_scope(Scope::Write)?;
    let if_match = if_match.required()?;
    let id = *id;
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| -> Result<(), ApiError> {
        let record = store::find_record(conn, id, true)
            .await?
            .ok_or_else(not_found)?;
        check_can_edit(&principal, &record)?;
        if_match.check(record.version)?;
        if record.status == "archived" {
            return Err(ApiError::conflict("The supplier is already archived."));
        }
        let version = record.version + 1;
        store::set_status(conn, id, "archived", None, record.verified_at, version).await?;
        store::insert_audit(
            conn,
            &AuditEntry {
                supplier: id,
                actor: &actor(&principal),
                action: "archive",
                request_id: Some(request_id.as_str()),
                changes: json!({ "status": [record.status, "archived"] }),
            },
        )
        .await?;
        store::insert_event(
            conn,
            "supplier.archived",
            id,
            &json!({ "version": version, "from": record.status }),
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
