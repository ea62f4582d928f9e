//! What every operation shares: the security schemes and the error responses it can give.

use utoipa::{
    Modify,
    openapi::{
        ContentBuilder, HeaderBuilder, Object, Ref, RefOr, ResponseBuilder, Type,
        path::{Operation, ParameterIn},
        security::{
            ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
        },
    },
};

use crate::error::PROBLEM_JSON;

/// Adds what every operation shares: the bearer scheme and the error responses it can give.
pub(super) struct CommonParts;

impl Modify for CommonParts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from `POST /v1/auth/token` (EdDSA-signed JWT).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    "/v1/auth/token",
                    Scopes::from_iter(SCOPES.iter().copied()),
                ))],
                "OAuth 2.0 client credentials for API clients: the token endpoint issues the same \
bearer tokens (send `client_id` and `client_secret` with HTTP Basic or in the form body).",
            )),
        );
        for (name, description, retry_after) in COMMON_RESPONSES {
            let mut response = ResponseBuilder::new().description(*description).content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            );
            if *retry_after {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(Object::with_type(Type::Integer)))
                        .description(Some("Seconds to wait before retrying"))
                        .build(),
                );
            }
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(response.build()));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let path_has_params = path.contains('{');
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for name in responses_of(path, path_has_params, op) {
                    let status = COMMON_STATUS
                        .iter()
                        .find(|(_, n)| *n == name)
                        .map(|(s, _)| *s)
                        .unwrap_or("500");
                    op.responses
                        .responses
                        .entry(status.into())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// The token scopes (a subset of the role's; `scope` asks for fewer).
const SCOPES: &[(&str, &str)] = &[
    ("read", "Read what the role may see"),
    ("write", "Create and change suppliers, webhooks and imports"),
    (
        "verify",
        "Verify, reject, suspend and reinstate suppliers (agencies, admins)",
    ),
    ("admin", "Accounts and the capability taxonomy (admins)"),
];

/// Shared error responses: (component name, description, whether it carries `Retry-After`).
const COMMON_RESPONSES: &[(&str, &str, bool)] = &[
    (
        "BadRequest",
        "Unparsable JSON, or a bad path or query parameter (named in `errors`).",
        false,
    ),
    (
        "Unauthorized",
        "No valid access token (`WWW-Authenticate: Bearer`).",
        false,
    ),
    (
        "Forbidden",
        "The caller's role or token scope may not do this.",
        false,
    ),
    (
        "NotFound",
        "No such resource, or not one the caller may see.",
        false,
    ),
    (
        "PayloadTooLarge",
        "The body is larger than `MAX_BODY_BYTES`.",
        false,
    ),
    ("UnsupportedMediaType", "The body is not JSON.", false),
    (
        "ValidationFailed",
        "JSON that breaks a rule: each field named in `errors`.",
        false,
    ),
    ("RateLimited", "Too many requests from this caller.", true),
    (
        "Unavailable",
        "The database is unavailable or no connection was free in time.",
        true,
    ),
    (
        "InternalError",
        "Internal error. The body never carries internals; the cause is logged under the request id.",
        false,
    ),
];

const COMMON_STATUS: &[(&str, &str)] = &[
    ("400", "BadRequest"),
    ("401", "Unauthorized"),
    ("403", "Forbidden"),
    ("404", "NotFound"),
    ("413", "PayloadTooLarge"),
    ("415", "UnsupportedMediaType"),
    ("422", "ValidationFailed"),
    ("429", "RateLimited"),
    ("503", "Unavailable"),
    ("500", "InternalError"),
];

/// The shared responses an operation can give, derived from what it declares, so that a handler
/// lists only its own (an explicit entry for a status wins):
/// - every operation can fail with 500;
/// - `/v1` operations are rate limited and use the database: 429, 503;
/// - operations that accept a bearer token: 401; that require one: 403 too;
/// - path parameters: 400 (malformed) and 404; query parameters: 400;
/// - JSON request bodies: 400, 413, 415, 422. (The OAuth endpoints, tagged `auth`, answer in
///   RFC 6749 form and list their responses themselves.)
fn responses_of(path: &str, path_has_params: bool, op: &Operation) -> Vec<&'static str> {
    let mut names = vec!["InternalError"];
    if path.starts_with("/v1/") {
        names.extend(["RateLimited", "Unavailable"]);
    }
    let requirements = op.security.as_deref().unwrap_or_default();
    let value = serde_json::to_value(requirements).unwrap_or_default();
    let mentions_bearer = value.to_string().contains("\"bearer\"");
    let anonymous_allowed = value.as_array().is_some_and(|all| {
        all.iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
    });
    if mentions_bearer {
        names.push("Unauthorized");
        if !anonymous_allowed {
            names.push("Forbidden");
        }
    }
    if path_has_params {
        names.extend(["BadRequest", "NotFound"]);
    }
    let has_query = op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)))
    });
    if has_query {
        names.push("BadRequest");
    }
    let is_oauth = op
        .tags
        .as_ref()
        .is_some_and(|tags| tags.iter().any(|t| t == "auth"));
    let takes_json = matches!(&op.request_body, Some(RefOr::T(body)) if body
        .content
        .keys()
        .any(|ct| ct == "application/json" || ct.ends_with("+json")));
    if takes_json && !is_oauth {
        names.extend([
            "BadRequest",
            "PayloadTooLarge",
            "UnsupportedMediaType",
            "ValidationFailed",
        ]);
    }
    names
}
