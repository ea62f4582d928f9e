//! The capability taxonomy: a tree of lower-case dotted codes (`atp.asm.wb`) with English and
//! Spanish labels and industry codes (NAICS 2022, UNSPSC, HS). Anyone reads it; admins add and
//! edit codes (codes are never deleted, so profiles that use them stay valid).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, http::header, patch, post, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::{Principal, Role, Scope},
    db::reference::{self, CapabilityRow},
    domain::accounts::check_name,
    error::{ApiError, FieldError},
    http::{
        JsonBody,
        etag::{OptionalIfMatch, etag},
        json::{double_option, not_null},
    },
    state::AppState,
};

/// Labels in each language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    #[schema(example = "Die attach & wire bonding")]
    pub en: String,
    #[schema(example = "Fijación de dado y microsoldadura (wire bonding)")]
    pub es: String,
}

/// A node of the taxonomy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapabilityNode {
    #[schema(example = "atp.asm.wb")]
    pub code: String,
    #[schema(example = "atp.asm")]
    pub parent: Option<String>,
    /// 1 for a segment, 2 for a category, 3 for a sub-category.
    pub level: i16,
    /// The label in the language of `Accept-Language` (`es` or `en`; `en` by default).
    pub label: String,
    pub labels: Labels,
    /// NAICS 2022 codes.
    pub naics: Vec<String>,
    /// UNSPSC segment or family codes (class codes are not verified).
    pub unspsc: Vec<String>,
    /// HS 2022 headings.
    pub hs: Vec<String>,
    /// Empty on leaves.
    #[schema(no_recursion)]
    pub children: Vec<CapabilityNode>,
}

/// The roots of the tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityTree {
    pub data: Vec<CapabilityNode>,
}

/// `es` when the client prefers Spanish to English, `en` otherwise.
pub fn language(req: &HttpRequest) -> &'static str {
    let Some(header) = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return "en";
    };
    let mut best = ("en", -1.0f32);
    for item in header.split(',') {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = match tag.split('-').next() {
            Some("es") => "es",
            Some("en") => "en",
            _ => continue,
        };
        if q > best.1 {
            best = (lang, q);
        }
    }
    best.0
}

/// Builds the nodes (with children) from the rows, in code order.
fn build_nodes(
    rows: Vec<CapabilityRow>,
    codes: Vec<(String, String, String)>,
    lang: &str,
) -> BTreeMap<String, CapabilityNode> {
    let mut nodes: BTreeMap<String, CapabilityNode> = rows
        .into_iter()
        .map(|r| {
            let node = CapabilityNode {
                label: if lang == "es" {
                    r.label_es.clone()
                } else {
                    r.label_en.clone()
                },
                labels: Labels {
                    en: r.label_en,
                    es: r.label_es,
                },
                code: r.code.clone(),
                parent: r.parent,
                level: r.level,
                naics: Vec::new(),
                unspsc: Vec::new(),
                hs: Vec::new(),
                children: Vec::new(),
            };
            (r.code, node)
        })
        .collect();
    for (capability, system, code) in codes {
        if let Some(node) = nodes.get_mut(&capability) {
            match system.as_str() {
                "naics" => node.naics.push(code),
                "unspsc" => node.unspsc.push(code),
                _ => node.hs.push(code),
            }
        }
    }
    // Attach the deepest nodes first, so each child is complete when it moves into its parent.
    let mut codes: Vec<String> = nodes.keys().cloned().collect();
    codes.sort_by_key(|c| std::cmp::Reverse(c.matches('.').count()));
    for code in codes {
        let parent = nodes.get(&code).and_then(|n| n.parent.clone());
        if let Some(parent) = parent
            && nodes.contains_key(&parent)
            && let Some(node) = nodes.remove(&code)
            && let Some(p) = nodes.get_mut(&parent)
        {
            p.children.push(node);
            p.children.sort_by(|a, b| a.code.cmp(&b.code));
        }
    }
    nodes
}

/// The taxonomy.
///
/// The roots of the capability tree, each with its children down to the leaves. Labels follow
/// `Accept-Language` (`es` or `en`).
#[utoipa::path(
    operation_id = "capabilities_list",
    tag = "reference",
    params(("Accept-Language" = Option<String>, Header, description = "`es` or `en` (default)")),
    responses((status = 200, description = "The tree.", body = CapabilityTree)),
    security((), ("bearer" = []))
)]
#[get("/capabilities")]
pub async fn list_capabilities(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let (rows, codes) = reference::all_capabilities(&mut conn).await?;
    let nodes = build_nodes(rows, codes, language(&req));
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Accept-Language"))
        .json(CapabilityTree {
            data: nodes.into_values().collect(),
        }))
}

async fn find_node(
    state: &AppState,
    code: &str,
    lang: &str,
) -> Result<(CapabilityNode, i32), ApiError> {
    let mut conn = state.pool.get().await?;
    let (rows, codes) = reference::all_capabilities(&mut conn).await?;
    let version = rows.iter().find(|r| r.code == code).map(|r| r.version);
    let root = code.split('.').next().unwrap_or(code).to_owned();
    let mut nodes = build_nodes(rows, codes, lang);
    let mut node = nodes.remove(&root);
    for depth in 2..=code.split('.').count() {
        let prefix: String = code.split('.').take(depth).collect::<Vec<_>>().join(".");
        node = node.and_then(|n| n.children.into_iter().find(|c| c.code == prefix));
    }
    node.zip(version)
        .ok_or_else(|| ApiError::NotFound(format!("No capability `{code}`.")))
}

/// One capability.
///
/// A node of the taxonomy with its children. Labels follow `Accept-Language`.
#[utoipa::path(
    operation_id = "capabilities_get",
    tag = "reference",
    params(
        ("code" = String, Path, description = "A capability code, like `atp.asm.wb`"),
        ("Accept-Language" = Option<String>, Header, description = "`es` or `en` (default)")
    ),
    responses((status = 200, description = "The capability.", body = CapabilityNode, headers(("ETag" = String, description = "Version tag")))),
    security((), ("bearer" = []))
)]
#[get("/capabilities/{code}")]
pub async fn get_capability(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (node, version) = find_node(&state, &code, language(&req)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .insert_header((header::VARY, "Accept-Language"))
        .json(node))
}

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

fn check_codes(field: &str, codes: &[String], digits: &[usize], errors: &mut Vec<FieldError>) {
    for (i, code) in codes.iter().enumerate() {
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

fn check_labels(labels: &Labels, errors: &mut Vec<FieldError>) {
    check_name("labels.en", &labels.en, errors);
    check_name("labels.es", &labels.es, errors);
}

async fn write_codes(
    conn: &mut diesel_async::AsyncPgConnection,
    code: &str,
    naics: Option<&[String]>,
    unspsc: Option<&[String]>,
    hs: Option<&[String]>,
) -> Result<(), ApiError> {
    for (system, version, codes) in [
        ("naics", "2022", naics),
        ("unspsc", "segment-family", unspsc),
        ("hs", "2022", hs),
    ] {
        if let Some(codes) = codes {
            reference::replace_industry_codes(conn, code, system, version, codes).await?;
        }
    }
    Ok(())
}

fn admin_only(principal: &Principal) -> Result<(), ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)
}

/// Add a capability code.
///
/// Admins only. The parent must exist; a code that exists is 409.
#[utoipa::path(
    operation_id = "capabilities_create",
    tag = "reference",
    request_body = CreateCapabilityRequest,
    responses(
        (status = 201, description = "Added.", body = CapabilityNode,
            headers(("Location" = String, description = "/v1/capabilities/{code}"), ("ETag" = String, description = "Version tag"))),
        (status = 409, description = "The code exists.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]))
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
    let mut errors = Vec::new();
    let valid_code = new.code.len() <= 60
        && new.code.split('.').count() <= 5
        && new.code.split('.').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && new.code.as_bytes()[0].is_ascii_lowercase();
    if !valid_code {
        errors.push(FieldError::new(
            "code",
            "pattern",
            "must be lower-case dotted parts of a-z and 0-9, at most 5 levels",
        ));
    }
    check_labels(&new.labels, &mut errors);
    check_codes("naics", &new.naics, &[6], &mut errors);
    check_codes("unspsc", &new.unspsc, &[8], &mut errors);
    check_codes("hs", &new.hs, &[4, 6], &mut errors);
    let parent = new.code.rsplit_once('.').map(|(p, _)| p.to_owned());
    let mut conn = state.pool.get().await?;
    if let Some(parent) = &parent
        && valid_code
        && reference::existing_capabilities(&mut conn, std::slice::from_ref(parent))
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
    let row = CapabilityRow {
        level: new.code.split('.').count() as i16,
        code: new.code.clone(),
        parent,
        label_en: new.labels.en.trim().to_owned(),
        label_es: new.labels.es.trim().to_owned(),
        version: 1,
    };
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
        write_codes(
            conn,
            &row.code,
            Some(&new.naics),
            Some(&new.unspsc),
            Some(&new.hs),
        )
        .await
    })
    .await?;
    drop(conn);
    let (node, version) = find_node(&state, &new.code, language(&req)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/capabilities/{}", node.code)))
        .insert_header((header::ETAG, etag(version)))
        .json(node))
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
        (status = 200, description = "Changed.", body = CapabilityNode, headers(("ETag" = String, description = "New version tag"))),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]))
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
    let patch: UpdateCapabilityRequest = body.parse()?;
    let mut errors = Vec::new();
    let labels = not_null("labels", patch.labels, &mut errors);
    let naics = patch.naics.map(Option::unwrap_or_default);
    let unspsc = patch.unspsc.map(Option::unwrap_or_default);
    let hs = patch.hs.map(Option::unwrap_or_default);
    if let Some(labels) = &labels {
        check_labels(labels, &mut errors);
    }
    check_codes(
        "naics",
        naics.as_deref().unwrap_or_default(),
        &[6],
        &mut errors,
    );
    check_codes(
        "unspsc",
        unspsc.as_deref().unwrap_or_default(),
        &[8],
        &mut errors,
    );
    check_codes(
        "hs",
        hs.as_deref().unwrap_or_default(),
        &[4, 6],
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(errors));
    }
    let code = code.into_inner();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let mut row = reference::find_capability_for_update(conn, &code)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("No capability `{code}`.")))?;
        if_match.check(row.version)?;
        if let Some(labels) = &labels {
            row.label_en = labels.en.trim().to_owned();
            row.label_es = labels.es.trim().to_owned();
        }
        row.version += 1;
        reference::update_capability(conn, &row).await?;
        write_codes(
            conn,
            &code,
            naics.as_deref(),
            unspsc.as_deref(),
            hs.as_deref(),
        )
        .await
    })
    .await?;
    drop(conn);
    let (node, version) = find_node(&state, &code, language(&req)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(node))
}
