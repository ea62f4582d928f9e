//! `GET /`: the public ecosystem page — coverage heat map, gaps and single sources, the
//! development ladder and a search over verified suppliers — in Spanish or English. Its files are
//! compiled into the binary (no CDN, no internet) and it reads only the public API of the same
//! origin, which its Content-Security-Policy enforces.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::{domain::codes::is_country, error::ApiError, http::pagination::ApiQuery};

const INDEX: &str = include_str!("../page/index.html");

/// The page's scripts and style sheet, by name.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "page.js",
        "text/javascript; charset=utf-8",
        include_str!("../page/page.js"),
    ),
    (
        "charts.js",
        "text/javascript; charset=utf-8",
        include_str!("../page/charts.js"),
    ),
    (
        "page.css",
        "text/css; charset=utf-8",
        include_str!("../page/page.css"),
    ),
];

/// Only the page's own files and the API of this origin.
const POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// A language of the page.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Es,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The language; `Accept-Language` decides when left out (`es` or `en`, default `en`).
    #[param(inline)]
    pub lang: Option<Lang>,
    /// The country shown first (ISO 3166-1 alpha-2; the page's default is MX).
    #[param(example = "CR")]
    pub country: Option<String>,
}

/// The public ecosystem page.
///
/// An HTML page for people (programmes, investors, buyers): for a chosen country, the capability
/// × subdivision coverage heat map, the gaps and the single-source capabilities, the development
/// ladder as a chart, and a search over verified suppliers. It is served by the binary with its
/// assets (no internet needed) and reads the public statistics and search of this API.
#[utoipa::path(
    operation_id = "page_index",
    tag = "page",
    params(PageQuery, ("Accept-Language" = Option<String>, Header, description = "`es` or `en` (default)")),
    responses((status = 200, description = "The page.", body = String, content_type = "text/html; charset=utf-8")),
    security(())
)]
#[get("/")]
pub async fn index(req: HttpRequest, query: ApiQuery<PageQuery>) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    if let Some(c) = &query.country
        && !is_country(c)
    {
        return Err(ApiError::bad_request(
            "country",
            "country",
            "is not an ISO 3166-1 alpha-2 code (like MX)",
        ));
    }
    let spanish = match query.lang {
        Some(lang) => matches!(lang, Lang::Es),
        None => crate::routes::capabilities::language(&req) == "es",
    };
    let body = if spanish {
        INDEX.replacen("<html lang=\"en\"", "<html lang=\"es\"", 1)
    } else {
        INDEX.to_owned()
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::VARY, "Accept-Language"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body))
}

/// A file of the page.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum Asset {
    #[serde(rename = "page.js")]
    PageJs,
    #[serde(rename = "charts.js")]
    ChartsJs,
    #[serde(rename = "page.css")]
    PageCss,
}

/// A file of the public page.
///
/// The page's scripts and style sheet, compiled into the binary (the page needs no internet).
#[utoipa::path(
    operation_id = "page_asset",
    tag = "page",
    params(("asset" = inline(Asset), Path, description = "The file.")),
    responses(
        (status = 200, description = "The file: a script, or the style sheet.", content(
            (String = "text/javascript; charset=utf-8"),
            (String = "text/css; charset=utf-8"),
        )),
        (status = 404, description = "No such file.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/page/{asset}")]
pub async fn asset(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (_, content_type, body) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == path.as_str())
        .ok_or_else(|| ApiError::NotFound("No such file of the page.".into()))?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(*body))
}
