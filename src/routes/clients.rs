//! Partner systems' accounts: `/v1/clients` (admins only). A client authenticates with
//! `client_id` + `client_secret` (client-credentials grant); the secret is random (256 bits),
//! shown once in the creation response, and stored only as a keyed digest.

use actix_web::{HttpResponse, get, http::StatusCode, http::header, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{
        Principal, Role, Scope,
        secrets::{CLIENT_SECRET, DigestKey, random_token},
    },
    db::accounts::{self, ClientChanges, ClientRow, NewClientRow, flatten},
    domain::{accounts::check_name, codes::check_countries},
    error::ApiError,
    http::{
        JsonBody,
        etag::{OptionalIfMatch, etag},
        json::{double_option, not_null},
        pagination::{ApiQuery, Page, PageParams, page},
    },
    routes::users::access_changes,
    state::AppState,
};

/// An API client.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiClient)]
pub struct ClientResponse {
    pub id: Uuid,
    /// The public identifier used in token requests.
    #[schema(example = "src_Zx8yQ2mN4pL7vK1w")]
    pub client_id: String,
    #[schema(example = "SE Agency onboarding system")]
    pub name: String,
    pub role: Role,
    /// For agencies: the countries they act in (empty: all).
    pub countries: Vec<String>,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<ClientRow> for ClientResponse {
    fn from(row: ClientRow) -> Self {
        Self {
            id: row.id,
            client_id: row.client_id,
            name: row.name,
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
            countries: flatten(row.countries),
            disabled: row.disabled,
            created_at: row.created_at,
        }
    }
}

/// A new client, with its secret (shown only here).
/// No `Debug`: it holds the secret.
#[derive(Serialize, ToSchema)]
#[schema(as = CreatedApiClient)]
pub struct CreatedClientResponse {
    #[serde(flatten)]
    pub client: ClientResponse,
    /// The secret, shown once: store it now.
    pub client_secret: String,
}

/// A new API client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    #[schema(min_length = 1, max_length = 200, example = "Agency ERP")]
    pub name: String,
    #[schema(example = "agency")]
    pub role: Role,
    #[serde(default)]
    pub countries: Vec<String>,
}

/// A JSON Merge Patch of a client; `null` clears `countries`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Role)]
    pub role: Option<Option<Role>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub countries: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = bool)]
    pub disabled: Option<Option<bool>>,
}

/// A new client and its secret (no `Debug`), as `POST /v1/clients` and `supplier-registry admin create-client`
/// make them.
pub struct NewClient {
    pub row: ClientRow,
    pub secret: String,
}

/// Checks and stores a new client; the errors name their fields.
pub async fn insert_client(
    digest_key: &DigestKey,
    conn: &mut diesel_async::AsyncPgConnection,
    req: CreateClientRequest,
) -> Result<NewClient, ApiError> {
    let mut errors = Vec::new();
    let name = check_name("name", &req.name, &mut errors);
    check_countries("countries", &req.countries, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(errors));
    }
    let secret = random_token(32);
    let client_id = format!("src_{}", random_token(12));
    let row = accounts::insert_client(
        conn,
        &NewClientRow {
            id: Uuid::now_v7(),
            client_id: &client_id,
            name: &name,
            role: req.role.as_str(),
            countries: &req.countries,
            secret_digest: &digest_key.digest(CLIENT_SECRET, &secret),
        },
    )
    .await?;
    Ok(NewClient { row, secret })
}

/// Create an API client.
///
/// Admins only. The answer carries `client_secret`, which is never shown again.
#[utoipa::path(
    operation_id = "clients_create",
    tag = "accounts",
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Created; the secret is in this answer only.", body = CreatedClientResponse,
            headers(("Location" = String, description = "/v1/clients/{id}"), ("ETag" = String, description = "Version tag")))
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[post("/clients")]
pub async fn create_client(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)?;
    let mut conn = state.pool.get().await?;
    let req: CreateClientRequest = body.parse()?;
    let NewClient { row, secret } = insert_client(&state.digest_key, &mut conn, req).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/clients/{}", row.id)))
        .insert_header((header::ETAG, etag(row.version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedClientResponse {
            client: row.into(),
            client_secret: secret,
        }))
}

/// List API clients.
///
/// Admins only; in creation order.
#[utoipa::path(
    operation_id = "clients_list",
    tag = "accounts",
    params(PageParams),
    responses((status = 200, description = "A page of clients.", body = Page<ClientResponse>)),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[get("/clients")]
pub async fn list_clients(
    principal: Principal,
    state: web::Data<AppState>,
    query: ApiQuery<PageParams>,
) -> Result<web::Json<Page<ClientResponse>>, ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)?;
    let limit = query.0.limit()?;
    let after: Option<Uuid> = query.0.after(&state.digest_key, "clients")?;
    let mut conn = state.pool.get().await?;
    let rows = accounts::list_clients_page(&mut conn, after, limit + 1).await?;
    Ok(web::Json(page(
        rows,
        limit,
        &state.digest_key,
        "clients",
        |r| r.id,
        ClientResponse::from,
    )))
}

fn client_response(status: StatusCode, row: ClientRow) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(row.version)))
        .json(ClientResponse::from(row))
}

/// Get an API client.
///
/// Admins only.
#[utoipa::path(
    operation_id = "clients_get",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The client's id")),
    responses((status = 200, description = "The client.", body = ClientResponse,
        headers(("ETag" = String, description = "Version tag")))),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[get("/clients/{id}")]
pub async fn get_client(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)?;
    let mut conn = state.pool.get().await?;
    let row = accounts::find_client(&mut conn, *id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such client.".into()))?;
    Ok(client_response(StatusCode::OK, row))
}

/// Change an API client.
///
/// Admins only. A JSON Merge Patch of `name`, `role`, `countries` and `disabled`, with `If-Match`.
/// Disabling a client makes its tokens fail at once.
#[utoipa::path(
    operation_id = "clients_update",
    tag = "accounts",
    params(
        ("id" = Uuid, Path, description = "The client's id"),
        ("If-Match" = String, Header, description = "The current ETag")
    ),
    request_body(content = UpdateClientRequest, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "Changed.", body = ClientResponse, headers(("ETag" = String, description = "New version tag"))),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[patch("/clients/{id}")]
pub async fn update_client(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)?;
    let if_match = if_match.required()?;
    let changes = client_changes(body.parse()?)?;
    let id = *id;
    let mut conn = state.pool.get().await?;
    let row = diesel_async::AsyncConnection::transaction(&mut *conn, async |conn| {
        let current = accounts::find_client_for_update(conn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("No such client.".into()))?;
        if_match.check(current.version)?;
        let changes = ClientChanges {
            version: Some(current.version + 1),
            ..changes
        };
        Ok::<_, ApiError>(accounts::update_client(conn, id, &changes).await?)
    })
    .await?;
    Ok(client_response(StatusCode::OK, row))
}

/// A client PATCH checked into the columns it changes (all its faults at once); the version is
/// the caller's to set.
fn client_changes(patch: UpdateClientRequest) -> Result<ClientChanges, ApiError> {
    let mut errors = Vec::new();
    let name =
        not_null("name", patch.name, &mut errors).map(|n| check_name("name", &n, &mut errors));
    let access = access_changes(patch.role, patch.countries, patch.disabled, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(errors));
    }
    Ok(ClientChanges {
        name,
        role: access.role,
        countries: access.countries,
        disabled: access.disabled,
        version: None,
    })
}
