//! The OpenAPI 3.1 document. [`spec`] is its one source: the CLI (`supplier-registry openapi`), the
//! tests and `GET /openapi.json` all call it. Paths come from the `#[utoipa::path]` annotations on
//! the handlers registered in `routes::configure`.

use actix_web::App;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, HeaderBuilder, Object, Ref, RefOr, ResponseBuilder, Type,
        path::{Operation, ParameterIn},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use utoipa_actix_web::AppExt;

use crate::{
    error::{FieldError, PROBLEM_JSON, Problem},
    routes,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "supplier-registry",
        description = "An open registry of small and medium suppliers by capability — for buyers, \
development programmes and agencies of the semiconductor supply chain of the Americas.\n\n\
Errors are RFC 9457 `application/problem+json` documents (`type`, `title`, `status`, `detail`, \
`instance`, `request_id`, and `errors[]` naming each field for 400 and 422). Every response \
carries `X-Request-Id` (echoed when the client sent a sensible one). A method a path does not \
support is answered 405 with an `Allow` header; an unknown path 404.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags(
        (name = "auth", description = "OAuth 2.0 tokens (RFC 6749 errors), revocation, signing keys"),
        (name = "suppliers", description = "Supplier profiles: register, read, change, archive"),
        (name = "reference", description = "Capability taxonomy, certification schemes, countries and size rules"),
        (name = "integration", description = "For partner systems: the change feed, signed webhooks and bulk imports"),
        (name = "stats", description = "Public statistics of the ecosystem: coverage and gaps, development over time"),
        (name = "accounts", description = "Users and API clients (admins; agencies may create supplier users)"),
        (name = "ops", description = "Health, readiness, metrics and this document")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&CommonParts)
)]
struct ApiDoc;

/// Adds what every operation shares: the bearer scheme and the error responses it can give.
struct CommonParts;

impl Modify for CommonParts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "An API client's `client_id` and `client_secret` (RFC 6749 §2.3.1), for the token endpoint only.",
                    ))
                    .build(),
            ),
        );
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

/// The whole document.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    // The modifier ran before the paths were collected; run it again over the full document.
    CommonParts.modify(&mut api);
    api.webhooks = Some(webhooks());
    api
}

/// What a webhook endpoint receives (OpenAPI 3.1 `webhooks`).
fn webhooks() -> utoipa::openapi::Paths {
    use utoipa::openapi::{
        HttpMethod, Paths, Required,
        path::{OperationBuilder, ParameterBuilder},
        request_body::RequestBodyBuilder,
    };
    let header = |name: &str, description: &str, example: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(Object::with_type(Type::String)))
            .example(Some(serde_json::Value::String(example.into())))
            .build()
    };
    let operation = OperationBuilder::new()
        .operation_id(Some("webhook_event"))
        .tag("integration")
        .summary(Some("A change, delivered to a registered webhook endpoint"))
        .description(Some(
            "One change-feed event per request, signed per Standard Webhooks. Verify \
`webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` \
keyed with the base64-decoded part of the secret after `whsec_`) in constant time, reject \
timestamps far from now (5 minutes is usual), and dedupe on `webhook-id`: delivery is at least \
once. Answer 2xx to acknowledge; anything else (redirects included) is retried with \
exponential backoff and jitter (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h); `410 \
Gone` disables the endpoint. `Retry-After` (seconds) on a failure delays the retry.",
        ))
        .parameter(header(
            "webhook-id",
            "The event's delivery id, the same on every attempt.",
            "evt_1042",
        ))
        .parameter(header(
            "webhook-timestamp",
            "Unix seconds when this attempt was signed.",
            "1795833600",
        ))
        .parameter(header(
            "webhook-signature",
            "`v1,<base64 signature>`; several may be space-separated.",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Event")))
                        .build(),
                )
                .build(),
        ))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Acknowledged (any 2xx).")
                .build(),
        )
        .response(
            "410",
            ResponseBuilder::new()
                .description("The endpoint is gone: it is disabled and nothing more is sent.")
                .build(),
        )
        .build();
    let mut paths = Paths::new();
    paths.add_path_operation("supplierEvent", vec![HttpMethod::Post], operation);
    paths
}

/// The document as committed in `openapi/openapi.json` (pretty JSON and a final newline).
pub fn spec_json() -> String {
    let mut json = spec().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
