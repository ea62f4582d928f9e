//! Admins add capability codes and change their labels and industry codes (codes are never
//! deleted, so profiles that use them stay valid).

use actix_web::{HttpRequest, HttpResponse, http::header, patch, post, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use utoipa::ToSchema;

use super::read::{Labels, find_node, language};
use crate::{
    auth::{Principal, Role, Scope},
    db::reference::{self, CapabilityRow},
    domain::{accounts::check_name, capability},
    error::{ApiError, FieldError},
    http::{
        JsonBody,
        etag::{IfMatch, OptionalIfMatch, etag},
        json::{double_option, not_null},
    },
    state::AppState,
};

/// A new capability code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCapabilityRequest {
    /// Lower-case dotted; its parent (the code without its last part) must exist.
    #[schema(example = "atp.tst.sys")]
    pub code: String,
    pub labels: Labels,
    #[serde(default)]
    pub naics: Vec<String>,
    #[serde(default)]
    pub unspsc: Vec<String>,
    #[serde(default)]
    pub hs: Vec<String>,
}

/// A merge patch of a capability: labels and industry codes (arrays replace).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCapabilityRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Labels)]
    pub labels: Option<Option<Labels>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Vec<String>)]
    pub naics: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Vec<String>)]
    pub unspsc: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Vec<String>)]
    pub hs: Option<Option<Vec<String>>>,
}

/// The industry codes of a capability, by system; `None` leaves a system's codes as they are.
struct IndustryCodes<'a> {
    naics: Option<&'a [String]>,
    unspsc: Option<&'a [String]>,
    hs: Option<&'a [String]>,
}

impl IndustryCodes<'_> {
    /// Each given code must have the digits of its system (dots aside).
    fn check(&self, errors: &mut Vec<FieldError>) {
        for (field, codes, digits) in [
            ("naics", self.naics, &[6][..]),
            ("unspsc", self.unspsc, &[8]),
            ("hs", self.hs, &[4, 6]),
        ] {
            for (i, code) in codes.unwrap_or_default().iter().enumerate() {
                let plain = code.replace('.', "");
                if !digits.contains(&plain.len()) || !plain.chars().all(|c| c.is_ascii_digit()) {
                    errors.push(FieldError::new(
                        format!("{field}[{i}]"),
                        "pattern",
                        format!("must be {digits:?} digits"),
                    ));
                }
            }
        }
    }

    /// Replaces the given systems' codes of `code`.
    async fn write(&self, conn: &mut AsyncPgConnection, code: &str) -> Result<(), ApiError> {
        for (system, version, codes) in [
            ("naics", "2022", self.naics),
            ("unspsc", "segment-family", self.unspsc),
            ("hs", "2022", self.hs),
        ] {
            if let Some(codes) = codes {
                reference::replace_industry_codes(conn, code, system, version, codes).await?;
            }
        }
        Ok(())
    }
}

fn check_labels(labels: &Labels, errors: &mut Vec<FieldError>) {
    check_name("labels.en", &labels.en, errors);
    check_name("labels.es", &labels.es, errors);
}

fn admin_only(principal: &Principal) -> Result<(), ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)
}

impl CreateCapabilityRequest {
    fn codes(&self) -> IndustryCodes<'_> {
        IndustryCodes {
            naics: Some(&self.naics),
            unspsc: Some(&self.unspsc),
            hs: Some(&self.hs),
        }
    }

    /// The new row, once every rule holds (its parent among them); else 422 naming each break.
    async fn check(&self, conn: &mut AsyncPgConnection) -> Result<CapabilityRow, ApiError> {
        let mut errors = Vec::new();
        let valid_code = capability::is_code(&self.code);
        if !valid_code {
            errors.push(FieldError::new(
                "code",
                "pattern",
                "must be lower-case dotted parts of a-z and 0-9, at most 5 levels",
            ));
        }
        check_labels(&self.labels, &mut errors);
        self.codes().check(&mut errors);
        let parent = capability::parent(&self.code).map(str::to_owned);
        if let Some(parent) = &parent
            && valid_code
            && reference::existing_capabilities(conn, std::slice::from_ref(parent))
                .await?
                .is_empty()
        {
            errors.push(FieldError::new(
                "code",
                "parent",
                format!("its parent `{parent}` is not a capability"),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::unprocessable(errors));
        }
        Ok(CapabilityRow {
            level: capability::level(&self.code) as i16,
            code: self.code.clone(),
            parent,
            label_en: self.labels.en.trim().to_owned(),
            label_es: self.labels.es.trim().to_owned(),
            version: 1,
        })
    }
}

/// Add a capability code.
///
/// Admins only. The parent must exist; a code that exists is 409.
#[utoipa::path(
    operation_id = "capabilities_create",
    tag = "reference",
    request_body = CreateCapabilityRequest,
    responses(
        (status = 201, description = "Added.", body = super::read::CapabilityNode,
            headers(("Location" = String, description = "/v1/capabilities/{code}"), ("ETag" = String, description = "Version tag"))),
        (status = 409, description = "The code exists.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[post("/capabilities")]
pub async fn create_capability(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    admin_only(&principal)?;
    let new: CreateCapabilityRequest = body.parse()?;
    let mut conn = state.pool.get().await?;
    let row = new.check(&mut conn).await?;
    conn.transaction(async |conn| {
        reference::insert_capability(conn, &row)
            .await
            .map_err(|e| match e {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                ) => ApiError::conflict(format!("The capability `{}` exists.", row.code)),
                e => e.into(),
            })?;
        new.codes().write(conn, &row.code).await
    })
    .await?;
    drop(conn);
    let (node, version) = find_node(&state, &new.code, language(&req)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/capabilities/{}", node.code)))
        .insert_header((header::ETAG, etag(version)))
        .json(node))
}

/// A checked merge patch of a capability.
struct CapabilityChange {
    labels: Option<Labels>,
    naics: Option<Vec<String>>,
    unspsc: Option<Vec<String>>,
    hs: Option<Vec<String>>,
}

impl UpdateCapabilityRequest {
    /// The change, once every rule holds (labels may not be cleared; `null` codes clear them);
    /// else 422 naming each break.
    fn check(self) -> Result<CapabilityChange, ApiError> {
        let mut errors = Vec::new();
        let change = CapabilityChange {
            labels: not_null("labels", self.labels, &mut errors),
            naics: self.naics.map(Option::unwrap_or_default),
            unspsc: self.unspsc.map(Option::unwrap_or_default),
            hs: self.hs.map(Option::unwrap_or_default),
        };
        if let Some(labels) = &change.labels {
            check_labels(labels, &mut errors);
        }
        change.codes().check(&mut errors);
        if !errors.is_empty() {
            return Err(ApiError::unprocessable(errors));
        }
        Ok(change)
    }
}

impl CapabilityChange {
    fn codes(&self) -> IndustryCodes<'_> {
        IndustryCodes {
            naics: self.naics.as_deref(),
            unspsc: self.unspsc.as_deref(),
            hs: self.hs.as_deref(),
        }
    }

    /// Writes the change to `code` if `if_match` holds for its version, in the caller's
    /// transaction.
    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        code: &str,
        if_match: &IfMatch,
    ) -> Result<(), ApiError> {
        let mut row = reference::find_capability_for_update(conn, code)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("No capability `{code}`.")))?;
        if_match.check(row.version)?;
        if let Some(labels) = &self.labels {
            row.label_en = labels.en.trim().to_owned();
            row.label_es = labels.es.trim().to_owned();
        }
        row.version += 1;
        reference::update_capability(conn, &row).await?;
        self.codes().write(conn, code).await
    }
}

/// Change a capability.
///
/// Admins only. A JSON Merge Patch of `labels`, `naics`, `unspsc` and `hs`, with `If-Match`.
#[utoipa::path(
    operation_id = "capabilities_update",
    tag = "reference",
    params(
        ("code" = String, Path, description = "A capability code"),
        ("If-Match" = String, Header, description = "The current ETag")
    ),
    request_body(content = UpdateCapabilityRequest, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "Changed.", body = super::read::CapabilityNode, headers(("ETag" = String, description = "New version tag"))),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[patch("/capabilities/{code}")]
pub async fn update_capability(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    code: web::Path<String>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    admin_only(&principal)?;
    let if_match = if_match.required()?;
    let change = body.parse::<UpdateCapabilityRequest>()?.check()?;
    let code = code.into_inner();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| change.apply(conn, &code, &if_match).await)
        .await?;
    drop(conn);
    let (node, version) = find_node(&state, &code, language(&req)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(node))
}
