//! What a caller sees of a supplier: the [`SupplierDocument`], the view policy (who sees which
//! suppliers, and whether with contacts) and who may change one.

use actix_web::{HttpResponse, http::header};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Principal, PrincipalKind, Role},
    db::suppliers::{self as store, Actor, SupplierRecord},
    domain::{
        accounts::outside_countries,
        size::{Sector, SizeClass},
        status::SupplierStatus,
        supplier::{CapabilityInput, CertificationView, Contact, ExternalRef, Location, Money},
    },
    error::ApiError,
    http::etag::etag,
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
    pub sector: Sector,
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
    pub status: SupplierStatus,
    pub status_reason: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub external_refs: Vec<ExternalRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1; each change adds 1. The `ETag` is `"<version>"`.
    pub version: i32,
    /// The supplier this one was merged into as its duplicate (it is then `archived`); null
    /// otherwise. Partners follow it.
    pub merged_into: Option<Uuid>,
}

/// What a caller may see of a supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Full,
    Public,
}

pub fn is_owner(principal: &Principal, record: &SupplierRecord) -> bool {
    principal.kind == PrincipalKind::User && record.owners.contains(&principal.id)
}

/// Anonymous callers see verified suppliers without contacts; owners, agencies and admins see
/// everything; viewers everything but archived profiles; a supplier sees other suppliers as the
/// public does.
///
/// A merged duplicate stays visible to those who could see it just before the merge (so that
/// partners can follow `merged_into`): to all when it was verified then (it keeps `verified_at`
/// only then), else as a supplier that is not archived.
pub fn view_of(principal: Option<&Principal>, record: &SupplierRecord) -> Option<View> {
    let merged = record.merged_into.is_some();
    let verified =
        record.status == SupplierStatus::Verified || (merged && record.verified_at.is_some());
    let archived = record.status == SupplierStatus::Archived && !merged;
    match principal {
        None => verified.then_some(View::Public),
        Some(p) => match p.role {
            Role::Admin | Role::Agency => Some(View::Full),
            Role::Viewer => (!archived).then_some(View::Full),
            Role::Supplier if is_owner(p, record) => Some(View::Full),
            Role::Supplier => verified.then_some(View::Public),
        },
    }
}

pub fn not_found() -> ApiError {
    ApiError::NotFound("No such supplier.".into())
}

/// An agency acts only inside its countries (when it has a list).
pub fn check_agency_country(principal: &Principal, country: &str) -> Result<(), ApiError> {
    if principal.role == Role::Agency && outside_countries(&principal.countries, country) {
        return Err(ApiError::forbidden(format!(
            "This agency acts in {} only.",
            principal.countries.join(", ")
        )));
    }
    Ok(())
}

/// Owners, agencies (in their countries) and admins may change a supplier; others get 403 when
/// they can see it and 404 when they cannot.
pub fn check_can_edit(principal: &Principal, record: &SupplierRecord) -> Result<(), ApiError> {
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

pub fn document(record: SupplierRecord, view: View) -> Result<SupplierDocument, ApiError> {
    let corrupt = |what: &str| ApiError::Internal(anyhow::anyhow!("stored {what} is not known"));
    let (location, annual_sales) = (record.location(), record.annual_sales());
    Ok(SupplierDocument {
        id: record.id,
        legal_name: record.legal_name,
        trade_name: record.trade_name,
        tax_id: record.tax_id,
        country: record.country,
        subdivision: record.subdivision,
        city: record.city,
        address: record.address,
        location,
        website: record.website,
        founded_year: record.founded_year.map(i32::from),
        sector: Sector::parse(&record.sector).ok_or_else(|| corrupt("sector"))?,
        employees: i64::from(record.employees),
        annual_sales,
        size_class: SizeClass::parse(&record.size_class).ok_or_else(|| corrupt("size class"))?,
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
        merged_into: record.merged_into,
    })
}

/// The supplier as it is now, in full (after a change, for the answer).
pub async fn reread(conn: &mut AsyncPgConnection, id: Uuid) -> Result<SupplierDocument, ApiError> {
    let record = store::find_record(conn, id, false)
        .await?
        .ok_or_else(not_found)?;
    document(record, View::Full)
}

/// The audit log's name for the caller.
pub fn actor(principal: &Principal) -> Actor {
    Actor {
        kind: principal.kind.as_str(),
        id: Some(principal.id),
        name: principal.name.clone(),
    }
}

/// A supplier document as a `200` answer with its `ETag`.
pub fn ok_with_etag(doc: &SupplierDocument) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(doc.version)))
        .json(doc)
}
