//! Reading the taxonomy: the whole tree (or a subtree) and one code, with labels in the
//! caller's language (`Accept-Language`).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    db::reference::{self, CapabilityRow},
    error::ApiError,
    http::etag::etag,
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
    security((), ("bearer" = []), ("oauth2" = []))
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

pub(super) async fn find_node(
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
    security((), ("bearer" = []), ("oauth2" = []))
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
