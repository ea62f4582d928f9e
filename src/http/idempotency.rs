//! `Idempotency-Key` on creating POSTs: the first response to a caller's key is stored in the same
//! transaction as what it created, and the same key with the same body gets that response again
//! (marked `Idempotent-Replayed: true`); with another body, 422. Keys are per caller. A request
//! racing another with the same key gets 409 at once rather than creating twice.

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::StatusCode};
use diesel::{
    prelude::*,
    sql_types::{Bool, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    db::schema::idempotency_keys,
    error::{ApiError, FieldError},
};

pub const HEADER: &str = "idempotency-key";

/// The `Idempotency-Key` header, when sent: 1 to 255 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get(HEADER) {
            None => Ok(Self(None)),
            Some(value) => match value.to_str() {
                Ok(key)
                    if (1..=255).contains(&key.len())
                        && key.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(Self(Some(key.to_owned())))
                }
                _ => Err(ApiError::bad_request(
                    "Idempotency-Key",
                    "invalid",
                    "must be 1 to 255 visible ASCII characters",
                )),
            },
        };
        std::future::ready(result)
    }
}

/// A response as stored for replay.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Value,
}

impl StoredResponse {
    pub fn to_http(&self, replayed: bool) -> HttpResponse {
        let mut resp =
            HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        if let Some(location) = &self.location {
            resp.insert_header(("Location", location.as_str()));
        }
        if let Some(etag) = &self.etag {
            resp.insert_header(("ETag", etag.as_str()));
        }
        if replayed {
            resp.insert_header(("Idempotent-Replayed", "true"));
        }
        resp.json(&self.body)
    }
}

/// The digest of a request body (canonical JSON: object keys sorted).
pub fn request_hash(body: &Value) -> Vec<u8> {
    Sha256::digest(body.to_string().as_bytes()).to_vec()
}

/// Inside the creating transaction: the stored response to replay, if this key was used before
/// with the same body; 422 if with another body; 409 if another request holds the key now.
pub async fn begin(
    conn: &mut AsyncPgConnection,
    caller: &str,
    key: &str,
    hash: &[u8],
) -> Result<Option<StoredResponse>, ApiError> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    let locked: Locked = diesel::sql_query(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0)) AS locked",
    )
    .bind::<Text, _>(caller)
    .bind::<Text, _>(key)
    .get_result(conn)
    .await?;
    if !locked.locked {
        return Err(ApiError::conflict(
            "Another request with this Idempotency-Key is in progress.",
        ));
    }
    type Row = (Vec<u8>, i16, Option<String>, Option<String>, Value);
    let stored: Option<Row> = idempotency_keys::table
        .find((caller, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::location,
            idempotency_keys::etag,
            idempotency_keys::body,
        ))
        .first(conn)
        .await
        .optional()?;
    match stored {
        None => Ok(None),
        Some((stored_hash, ..)) if stored_hash != hash => {
            Err(ApiError::unprocessable(vec![FieldError::new(
                "Idempotency-Key",
                "reused",
                "was already used with another body",
            )]))
        }
        Some((_, status, location, etag, body)) => Ok(Some(StoredResponse {
            status: status as u16,
            location,
            etag,
            body,
        })),
    }
}

/// Stores the response to a key, in the transaction that made it.
pub async fn store(
    conn: &mut AsyncPgConnection,
    caller: &str,
    key: &str,
    hash: &[u8],
    response: &StoredResponse,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::caller.eq(caller),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::status.eq(response.status as i16),
            idempotency_keys::location.eq(response.location.as_deref()),
            idempotency_keys::etag.eq(response.etag.as_deref()),
            idempotency_keys::body.eq(&response.body),
        ))
        .execute(conn)
        .await
        .map(drop)
}
