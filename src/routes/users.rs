//! People's accounts: `/v1/users`. Admins manage every account; an agency may create `supplier`
//! users. A user is created with a password (Argon2id-hashed, never shown again).

use actix_web::{HttpResponse, get, http::header, patch, post, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Principal, Role, Scope, password},
    db::accounts::{self, NewUserRow, UserChanges, UserRow, flatten},
    domain::{
        accounts::{check_email, check_name, check_password},
        codes::check_countries,
    },
    error::{ApiError, FieldError},
    http::{
        JsonBody,
        etag::{OptionalIfMatch, etag},
        json::{double_option, not_null},
        pagination::{ApiQuery, Page, PageParams, page},
    },
    state::AppState,
};

/// A user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserResponse {
    pub id: Uuid,
    #[schema(example = "officer@economia.gob.mx")]
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    /// For agencies: the countries they act in (empty: all).
    #[schema(example = json!(["MX"]))]
    pub countries: Vec<String>,
    /// A disabled account cannot log in, and its tokens stop working at once.
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserRow> for UserResponse {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            name: row.name,
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
            countries: flatten(row.countries),
            disabled: row.disabled,
            created_at: row.created_at,
        }
    }
}

/// A new user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(example = "officer@economia.gob.mx", max_length = 254)]
    pub email: String,
    /// 12 to 1024 characters.
    #[schema(min_length = 12, max_length = 1024, format = Password, example = "a long passphrase 42")]
    pub password: String,
    #[schema(example = "agency")]
    pub role: Role,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2 codes; for agencies, the countries they act in.
    #[serde(default)]
    pub countries: Vec<String>,
}

/// A JSON Merge Patch of a user: fields left out stay as they are; `null` clears `name` and
/// `countries`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
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

fn user_response(status: actix_web::http::StatusCode, row: UserRow) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    resp.insert_header((header::ETAG, etag(row.version)));
    if status == actix_web::http::StatusCode::CREATED {
        resp.insert_header((header::LOCATION, format!("/v1/users/{}", row.id)));
    }
    resp.json(UserResponse::from(row))
}

/// Create a user.
///
/// Admins create any role; an agency may create `supplier` users (scope `write`). The password
/// is stored as an Argon2id hash. A second account with the same e-mail (compared without case)
/// is 409 with `existing_id`.
#[utoipa::path(
    operation_id = "users_create",
    tag = "accounts",
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created.", body = UserResponse,
            headers(("Location" = String, description = "/v1/users/{id}"), ("ETag" = String, description = "Version tag"))),
        (status = 403, description = "Role or scope not allowed.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail is taken (`existing_id`).", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin", "agency"]), ("oauth2" = ["admin"]), ("oauth2" = ["write"]))
)]
#[post("/users")]
pub async fn create_user(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Admin, Role::Agency])?;
    let is_admin = principal.role == Role::Admin;
    principal.require_scope(if is_admin { Scope::Admin } else { Scope::Write })?;
    let req: CreateUserRequest = body.parse()?;
    if !is_admin && req.role != Role::Supplier {
        return Err(ApiError::forbidden(
            "An agency may create `supplier` users only.",
        ));
    }
    // Hash first, then take a connection: Argon2 must not hold the pool.
    let new_user = NewUser::prepare(req).await?;
    let mut conn = state.pool.get().await?;
    let row = new_user.store(&mut conn).await.map_err(|e| match e {
        // Only admins learn which account holds an address.
        ApiError::Conflict { detail, .. } if !is_admin => ApiError::conflict(detail),
        e => e,
    })?;
    Ok(user_response(actix_web::http::StatusCode::CREATED, row))
}

/// A checked new user with its password hashed, as `POST /v1/users` and
/// `supplier-registry admin create-user` make them.
pub struct NewUser {
    email: String,
    name: Option<String>,
    role: Role,
    countries: Vec<String>,
    password_hash: String,
}

impl NewUser {
    /// Checks every field (the errors name them) and hashes the password.
    pub async fn prepare(req: CreateUserRequest) -> Result<Self, ApiError> {
        let mut errors = Vec::<FieldError>::new();
        let email = check_email("email", &req.email, &mut errors);
        check_password("password", &req.password, &mut errors);
        let name = req
            .name
            .as_deref()
            .map(|n| check_name("name", n, &mut errors));
        check_countries("countries", &req.countries, &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::unprocessable(errors));
        }
        Ok(Self {
            password_hash: password::hash(SecretString::from(req.password)).await?,
            email,
            name,
            role: req.role,
            countries: req.countries,
        })
    }

    /// Stores the user; a taken e-mail is 409 with `existing_id`.
    pub async fn store(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
    ) -> Result<UserRow, ApiError> {
        let inserted = accounts::insert_user(
            conn,
            &NewUserRow {
                id: Uuid::now_v7(),
                email: &self.email,
                name: self.name.as_deref(),
                role: self.role.as_str(),
                countries: &self.countries,
                password_hash: &self.password_hash,
            },
        )
        .await;
        match inserted {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Err(ApiError::Conflict {
                detail: "A user with this e-mail already exists.".into(),
                existing_id: accounts::find_login(conn, &self.email).await?.map(|l| l.id),
            }),
            other => Ok(other?),
        }
    }
}

/// List users.
///
/// Admins only. In creation order, `limit` at a time; pass `next_cursor` as `cursor` for more.
#[utoipa::path(
    operation_id = "users_list",
    tag = "accounts",
    params(PageParams),
    responses(
        (status = 200, description = "A page of users.", body = Page<UserResponse>)
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[get("/users")]
pub async fn list_users(
    principal: Principal,
    state: web::Data<AppState>,
    query: ApiQuery<PageParams>,
) -> Result<web::Json<Page<UserResponse>>, ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)?;
    let limit = query.0.limit()?;
    let after: Option<Uuid> = query.0.after(&state.digest_key, "users")?;
    let mut conn = state.pool.get().await?;
    let rows = accounts::list_users_page(&mut conn, after, limit + 1).await?;
    Ok(web::Json(page(
        rows,
        limit,
        &state.digest_key,
        "users",
        |r| r.id,
        UserResponse::from,
    )))
}

/// Get a user.
///
/// Admins only.
#[utoipa::path(
    operation_id = "users_get",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user.", body = UserResponse, headers(("ETag" = String, description = "Version tag")))
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[get("/users/{id}")]
pub async fn get_user(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)?;
    let mut conn = state.pool.get().await?;
    let row = accounts::find_user(&mut conn, *id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such user.".into()))?;
    Ok(user_response(actix_web::http::StatusCode::OK, row))
}

/// Change a user.
///
/// Admins only. A JSON Merge Patch (`application/merge-patch+json`; `application/json` accepted)
/// of `name`, `role`, `countries` and `disabled`, with `If-Match` set to the current `ETag`.
/// Disabling an account makes its tokens fail at once.
#[utoipa::path(
    operation_id = "users_update",
    tag = "accounts",
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        ("If-Match" = String, Header, description = "The current ETag")
    ),
    request_body(content = UpdateUserRequest, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "Changed.", body = UserResponse, headers(("ETag" = String, description = "New version tag"))),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["admin"]), ("oauth2" = ["admin"]))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Admin])?;
    principal.require_scope(Scope::Admin)?;
    let if_match = if_match.required()?;
    let changes = user_changes(body.parse()?)?;
    let id = *id;
    let mut conn = state.pool.get().await?;
    let row = diesel_async::AsyncConnection::transaction(&mut *conn, async |conn| {
        let current = accounts::find_user_for_update(conn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("No such user.".into()))?;
        if_match.check(current.version)?;
        let changes = UserChanges {
            version: Some(current.version + 1),
            ..changes
        };
        Ok::<_, ApiError>(accounts::update_user(conn, id, &changes).await?)
    })
    .await?;
    Ok(user_response(actix_web::http::StatusCode::OK, row))
}

/// A user PATCH checked into the columns it changes (all its faults at once); the version is
/// the caller's to set.
fn user_changes(patch: UpdateUserRequest) -> Result<UserChanges, ApiError> {
    let mut errors = Vec::new();
    let name = patch
        .name
        .map(|n| n.map(|n| check_name("name", &n, &mut errors)));
    let access = access_changes(patch.role, patch.countries, patch.disabled, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(errors));
    }
    Ok(UserChanges {
        name,
        role: access.role,
        countries: access.countries,
        disabled: access.disabled,
        version: None,
    })
}

/// What a PATCH of a user and of an API client may both change, checked: role (not null),
/// countries (null empties them) and disabled (not null).
pub(crate) struct AccessChanges {
    pub role: Option<String>,
    pub countries: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

pub(crate) fn access_changes(
    role: Option<Option<Role>>,
    countries: Option<Option<Vec<String>>>,
    disabled: Option<Option<bool>>,
    errors: &mut Vec<FieldError>,
) -> AccessChanges {
    let role = not_null("role", role, errors);
    let disabled = not_null("disabled", disabled, errors);
    let countries = countries.map(Option::unwrap_or_default);
    if let Some(countries) = &countries {
        check_countries("countries", countries, errors);
    }
    AccessChanges {
        role: role.map(|r| r.as_str().to_owned()),
        countries,
        disabled,
    }
}
