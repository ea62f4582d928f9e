//! The OpenAPI 3.1 document. [`spec`] is its one source: the CLI (`supplier-registry openapi`), the
//! tests and `GET /openapi.json` all call it. Paths come from the `#[utoipa::path]` annotations on
//! the handlers registered in `routes::configure`.

use actix_web::App;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, Ref, RefOr, ResponseBuilder,
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
        (name = "ops", description = "Health, readiness, metrics and this document")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&CommonParts)
)]
struct ApiDoc;

/// Adds what every operation shares: the bearer scheme and the responses any operation can give.
struct CommonParts;

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
        let problem = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build()
        };
        components.responses.insert(
            "InternalError".into(),
            RefOr::T(
                ResponseBuilder::new()
                    .description("Internal error. The body never carries internals; the cause is logged under the request id.")
                    .content(PROBLEM_JSON, problem())
                    .build(),
            ),
        );
        for item in openapi.paths.paths.values_mut() {
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
                op.responses
                    .responses
                    .entry("500".into())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name("InternalError")));
            }
        }
    }
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
    api
}

/// The document as committed in `openapi/openapi.json` (pretty JSON and a final newline).
pub fn spec_json() -> String {
    let mut json = spec().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
