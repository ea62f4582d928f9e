//! Lists: `limit` (1..=100, default 20) and an opaque, tamper-proof `cursor`; every list answers
//! `{ "data": [...], "next_cursor": ... }`. Cursors carry the last key seen (keyset pagination, so
//! rows inserted while a client pages are never repeated or skipped) and an HMAC under the
//! server's digest key; a cursor that was altered, or made for another list, is 400.
//! [`ApiQuery`] parses query strings and names the bad parameter in its 400.

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::secrets::{CURSOR, DigestKey},
    error::ApiError,
};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// `limit` and `cursor`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items to return (1 to 100; default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad_request(
                "limit",
                "out_of_range",
                "must be between 1 and 100",
            )),
        }
    }

    /// The key carried by `cursor`, for the list named `scope`.
    pub fn after<K: DeserializeOwned>(
        &self,
        key: &DigestKey,
        scope: &str,
    ) -> Result<Option<K>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| decode_cursor(key, scope, c))
            .transpose()
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Builds a page from up to `limit + 1` rows: the extra row only says that there is more.
pub fn page<R, T, K: Serialize>(
    mut rows: Vec<R>,
    limit: i64,
    key: &DigestKey,
    scope: &str,
    cursor_key: impl Fn(&R) -> K,
    to_item: impl Fn(R) -> T,
) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last()
            .map(|r| encode_cursor(key, scope, &cursor_key(r)))
    } else {
        None
    };
    Page {
        data: rows.into_iter().map(to_item).collect(),
        next_cursor,
    }
}

pub fn encode_cursor<K: Serialize>(key: &DigestKey, scope: &str, value: &K) -> String {
    let payload = serde_json::to_vec(value).unwrap_or_default();
    let mac = key.digest(
        &format!("{CURSOR}:{scope}"),
        &URL_SAFE_NO_PAD.encode(&payload),
    );
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(&mac[..16])
    )
}

pub fn decode_cursor<K: DeserializeOwned>(
    key: &DigestKey,
    scope: &str,
    cursor: &str,
) -> Result<K, ApiError> {
    let bad = || ApiError::bad_request("cursor", "invalid", "is not a cursor this list gave out");
    let (payload, mac) = cursor.split_once('.').ok_or_else(bad)?;
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| bad())?;
    let expected = key.digest(&format!("{CURSOR}:{scope}"), payload);
    if mac.len() != 16 || !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..16], &mac[..])) {
        return Err(bad());
    }
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?;
    serde_json::from_slice(&payload).map_err(|_| bad())
}

/// Query parameters of type `T`; a bad one is 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = if path == "." {
            // serde names unknown and missing fields in its message.
            message.split('`').nth(1).unwrap_or("query").to_owned()
        } else {
            path
        };
        ApiError::bad_request(&field, "invalid", message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_tampering() {
        let key = DigestKey::new(vec![7; 32]);
        let c = encode_cursor(&key, "users", &"abc");
        assert_eq!(decode_cursor::<String>(&key, "users", &c).unwrap(), "abc");
        assert!(decode_cursor::<String>(&key, "clients", &c).is_err());
        let forged = encode_cursor(&DigestKey::new(vec![8; 32]), "users", &"abd");
        assert!(decode_cursor::<String>(&key, "users", &forged).is_err());
        assert!(decode_cursor::<String>(&key, "users", "garbage").is_err());
    }

    #[test]
    fn bad_query_parameters_are_named() {
        let e = parse_query::<PageParams>("limit=abc").err().unwrap();
        assert_eq!(e.problem().errors[0].field, "limit");
        let p: PageParams = parse_query("limit=5&cursor=x").unwrap();
        assert_eq!(p.limit, Some(5));
    }
}
