//! The OpenAPI 3.1 document. [`spec`] is its one source: the CLI (`supplier-registry openapi`), the
//! tests and `GET /openapi.json` all call it. Paths come from the `#[utoipa::path]` annotations on
//! the handlers registered in `routes::configure`.

use actix_web::App;
use utoipa::{Modify, OpenApi, openapi::server::ServerBuilder};
use utoipa_actix_web::AppExt;

use crate::{
    error::{FieldError, Problem},
    routes,
};

mod closed;
mod common;
mod finish;
mod identity;
mod parameters;
mod webhooks;

use common::CommonParts;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "supplier-registry",
        description = "An open registry of small and medium suppliers by capability — for buyers, \
development programmes and agencies of the semiconductor supply chain of the Americas.\n\n\
Errors are RFC 9457 `application/problem+json` documents (`type`, `title`, `status`, `detail`, \
`instance`, `request_id`, and `errors[]` naming each field for 400 and 422). Every response \
carries `X-Request-Id` (echoed when the client sent a sensible one). A method a path does not \
support is answered 405 with an `Allow` header; an unknown path 404.\n\n\
## Quick start\n\n\
```sh\n\
TOKEN=$(curl -s -u \"$CLIENT_ID:$CLIENT_SECRET\" -d grant_type=client_credentials \\\n  \
$BASE/v1/auth/token | jq -r .access_token)\n\
curl -s -H \"Authorization: Bearer $TOKEN\" \\\n  \
\"$BASE/v1/suppliers?capability=atp.asm.wb&subdivision=MX-JAL&status=verified&limit=10\"\n\
curl -s -H \"Authorization: Bearer $TOKEN\" \"$BASE/v1/suppliers?cursor=<next_cursor>&limit=10\"\n\
curl -s -H \"Authorization: Bearer $TOKEN\" \"$BASE/v1/events?after=0&limit=100\"\n\
```\n\n\
Follow `next_cursor` until it is `null`; poll the change feed with `after` set to the last event \
id seen. In these docs, **Authorize** with `oauth2` fetches a token with a client's id and secret.\n\n\
## Generated clients\n\n\
```sh\n\
pipx run openapi-python-client==0.29.1 generate --url $BASE/openapi.json --meta none\n\
npx openapi-typescript@7 $BASE/openapi.json -o schema.d.ts   # with openapi-fetch, TypeScript 5\n\
```\n\n\
## Versioning\n\n\
Inside `/v1`, operations, optional inputs, response fields and enum values in responses may be \
added (clients must tolerate unknown fields and values); nothing a client relies on is removed, \
renamed, narrowed or made required. A retired operation is marked `deprecated` and answers with \
`Deprecation` (RFC 9745), `Sunset` (RFC 8594) and a `successor-version` link at least six \
months before it goes, in the next major version only.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "supplier-registry maintainers (see the README)")
    ),
    tags(
        (name = "auth", description = "OAuth 2.0 tokens (RFC 6749 errors), revocation, signing keys"),
        (name = "suppliers", description = "Supplier profiles: register, read, change, archive"),
        (name = "reference", description = "Capability taxonomy, certification schemes, countries and size rules"),
        (name = "integration", description = "For partner systems: the change feed, signed webhooks and bulk imports"),
        (name = "stats", description = "Public statistics of the ecosystem: coverage and gaps, the development ladder, resilience"),
        (name = "accounts", description = "Users and API clients (admins; agencies may create supplier users)"),
        (name = "ops", description = "Health, readiness, metrics and this document"),
        (name = "page", description = "The public ecosystem page for people, in Spanish and English")
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&CommonParts)
)]
struct ApiDoc;

/// The document as utoipa types: paths, operations and schemas from the annotations (the route
/// table reads its paths and methods).
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    // The modifier ran before the paths were collected; run it again over the full document.
    CommonParts.modify(&mut api);
    api.webhooks = Some(webhooks::webhooks());
    api.servers = Some(vec![
        ServerBuilder::new()
            .url("/")
            .description(Some(
                "This instance (the document is served by the service it describes)",
            ))
            .build(),
    ]);
    api
}

/// The whole document as served and committed: [`spec`] with the passes of `finish` (the typed
/// form cannot hold everything the document says).
pub fn document() -> serde_json::Value {
    document_of(&spec())
}

/// [`document`] from a [`spec`] the caller already has (start-up needs both).
pub fn document_of(spec: &utoipa::openapi::OpenApi) -> serde_json::Value {
    finish::finish(spec)
}

/// The document as committed in `openapi/openapi.json` (pretty JSON and a final newline).
pub fn spec_json() -> String {
    let mut json = serde_json::to_string_pretty(&document()).unwrap_or_default();
    json.push('\n');
    json
}
