//! Tokens: each grant type, refresh rotation and reuse detection, revocation, disabled accounts,
//! forged and broken tokens, and rate limits.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

async fn new_client(app: &TestApp, role: &str) -> (String, String) {
    let admin = app.user_with_role("admin").await;
    let resp = app
        .authed(Method::POST, "/v1/clients", &admin.token)
        .json(&json!({ "name": format!("{role} system"), "role": role }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    (
        body["client_id"].as_str().unwrap().to_owned(),
        body["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// Verifies a token the way a partner would: with the published JWKS only.
async fn verify_with_jwks(app: &TestApp, token: &str) -> Value {
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.clone().unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("kid published");
    assert_eq!(
        (
            jwk["kty"].as_str(),
            jwk["crv"].as_str(),
            jwk["alg"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    let key = DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["supplier-registry"]);
    validation.set_issuer(&["supplier-registry"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn client_credentials_in_basic_or_body_give_a_verifiable_access_token_and_no_refresh_token() {
    let app = spawn_app().await;
    let (id, secret) = new_client(&app, "agency").await;

    let basic = app
        .client
        .post(app.url("/v1/auth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let body = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read"),
        ])
        .await;

    assert_eq!(basic.status().as_u16(), 200);
    assert_eq!(basic.headers()["cache-control"], "no-store");
    let tokens: Value = basic.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert_eq!(tokens["scope"], "read write verify");
    assert!(tokens.get("refresh_token").is_none());
    let access = tokens["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let claims = verify_with_jwks(&app, access).await;
    for claim in ["iss", "aud", "sub", "exp", "iat", "jti", "role", "scope"] {
        assert!(claims.get(claim).is_some(), "claim {claim}");
    }
    assert_eq!(claims["role"], "agency");
    assert!(claims["sub"].is_string() && claims["jti"].is_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );

    let narrowed: Value = body.json().await.unwrap();
    assert_eq!(narrowed["scope"], "read");
}

#[tokio::test]
async fn client_credentials_failures_follow_rfc_6749() {
    let app = spawn_app().await;
    let (id, secret) = new_client(&app, "viewer").await;

    let wrong = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", "nope"),
        ])
        .await;
    let unknown = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "src_unknown"),
            ("client_secret", "nope"),
        ])
        .await;
    let both = app
        .client
        .post(app.url("/v1/auth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let scope = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "write"),
        ])
        .await;
    let grant = app
        .token_request(&[("grant_type", "authorization_code")])
        .await;
    let missing = app.token_request(&[("client_id", &id)]).await;

    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(
        wrong.headers()["www-authenticate"],
        "Basic realm=\"supplier-registry\""
    );
    let wrong_body: Value = wrong.json().await.unwrap();
    let unknown_status = unknown.status().as_u16();
    let unknown_body: Value = unknown.json().await.unwrap();
    assert_eq!(wrong_body["error"], "invalid_client");
    assert_eq!(
        (unknown_status, &unknown_body),
        (401, &wrong_body),
        "unknown client looks the same"
    );
    for (resp, error) in [
        (both, "invalid_request"),
        (scope, "invalid_scope"),
        (grant, "unsupported_grant_type"),
        (missing, "invalid_request"),
    ] {
        assert_eq!(resp.status().as_u16(), 400, "{error}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], error);
        assert!(body["error_description"].is_string());
    }
}

#[tokio::test]
async fn password_login_gives_a_refresh_token_and_the_same_answer_for_unknown_accounts() {
    let app = spawn_app().await;
    let user = app.user_with_role("supplier").await;

    let tokens = app.login(&user.email.to_uppercase(), &user.password).await;
    let wrong = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", &user.email),
            ("password", "not the password"),
        ])
        .await;
    let unknown = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", "nobody@example.mx"),
            ("password", "not the password"),
        ])
        .await;

    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 43)
    );
    let claims = verify_with_jwks(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], user.id.to_string());
    assert_eq!(claims["scope"], "read write");
    assert_eq!(
        (wrong.status().as_u16(), unknown.status().as_u16()),
        (400, 400)
    );
    let (wrong, unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"], "invalid_grant");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_whole_login() {
    let app = spawn_app().await;
    let user = app.user_with_role("agency").await;

    let first = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &user.refresh_token),
        ])
        .await;
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.unwrap();
    let rotated = first["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, user.refresh_token);
    let access = first["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.authed(Method::GET, "/v1/users", &access)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403,
        "valid token, agency may not list users"
    );

    // The old token comes back: someone copied it.
    let reuse = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &user.refresh_token),
        ])
        .await;
    let after = app
        .token_request(&[("grant_type", "refresh_token"), ("refresh_token", &rotated)])
        .await;
    let access_after = app
        .authed(Method::GET, "/v1/users", &access)
        .send()
        .await
        .unwrap();

    assert_eq!(reuse.status().as_u16(), 400);
    assert_eq!(
        reuse.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(after.status().as_u16(), 400, "the whole family is revoked");
    assert_eq!(
        access_after.status().as_u16(),
        401,
        "and so are its access tokens"
    );
    assert!(
        access_after.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_login() {
    let app = spawn_app().await;
    let user = app.user_with_role("admin").await;
    assert_eq!(
        app.authed(Method::GET, "/v1/users", &user.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    let revoke = app
        .client
        .post(app.url("/v1/auth/revoke"))
        .form(&[
            ("token", user.refresh_token.as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    let unknown = app
        .client
        .post(app.url("/v1/auth/revoke"))
        .form(&[("token", "whatever")])
        .send()
        .await
        .unwrap();

    assert_eq!(revoke.status().as_u16(), 200);
    assert_eq!(
        unknown.status().as_u16(),
        200,
        "unknown tokens are not revealed"
    );
    assert_eq!(
        app.authed(Method::GET, "/v1/users", &user.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let refresh = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &user.refresh_token),
        ])
        .await;
    assert_eq!(refresh.status().as_u16(), 400);
}

#[tokio::test]
async fn disabling_an_account_makes_its_tokens_fail_at_once() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let victim = app.user_with_role("viewer").await;
    let (client_id, secret) = new_client(&app, "viewer").await;
    let client_token: Value = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await
        .json()
        .await
        .unwrap();
    let client_token = client_token["access_token"].as_str().unwrap().to_owned();
    let probe = |token: String| {
        let req = app.authed(
            Method::GET,
            "/v1/users/00000000-0000-7000-8000-000000000000",
            &token,
        );
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(probe(victim.token.clone()).await, 403);
    assert_eq!(probe(client_token.clone()).await, 403);

    let user_patch = app
        .authed(
            Method::PATCH,
            &format!("/v1/users/{}", victim.id),
            &admin.token,
        )
        .header("if-match", "\"1\"")
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"disabled": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(user_patch.status().as_u16(), 200);
    let clients: Value = app
        .authed(Method::GET, "/v1/clients", &admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_uuid = clients["data"][0]["id"].as_str().unwrap().to_owned();
    let client_patch = app
        .authed(
            Method::PATCH,
            &format!("/v1/clients/{client_uuid}"),
            &admin.token,
        )
        .header("if-match", "\"1\"")
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(client_patch.status().as_u16(), 200);

    assert_eq!(probe(victim.token.clone()).await, 401);
    assert_eq!(probe(client_token).await, 401);
    let login = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", &victim.email),
            ("password", &victim.password),
        ])
        .await;
    assert_eq!(login.status().as_u16(), 400);
    let again = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(again.status().as_u16(), 401);
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn forged_expired_and_malformed_tokens_are_all_401() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let key = EncodingKey::from_ed_pem(app.signing_pem.as_bytes()).unwrap();
    let good_claims = verify_with_jwks(&app, &admin.token).await;
    let sign = |header: Value, claims: Value| {
        let mut h = Header::new(Algorithm::EdDSA);
        h.typ = header["typ"].as_str().map(str::to_owned);
        h.kid = header["kid"].as_str().map(str::to_owned);
        jsonwebtoken::encode(&h, &claims, &key).unwrap()
    };
    let ours = json!({ "typ": "at+jwt", "kid": app.signing_kid });
    let with = |patch: Value| {
        let mut claims = good_claims.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        claims
    };

    // A valid signature from a key that is not ours, under our kid.
    let stranger_pem = supplier_registry::auth::keys::generate_pem().unwrap();
    let stranger = {
        let mut h = Header::new(Algorithm::EdDSA);
        h.typ = Some("at+jwt".into());
        h.kid = Some(app.signing_kid.clone());
        jsonwebtoken::encode(
            &h,
            &good_claims,
            &EncodingKey::from_ed_pem(stranger_pem.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    // HS256 with our public key as the HMAC secret (algorithm confusion).
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let public = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["x"].as_str().unwrap())
        .unwrap();
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = Some(app.signing_kid.clone());
    let confused =
        jsonwebtoken::encode(&hs, &good_claims, &EncodingKey::from_secret(&public)).unwrap();
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "at+jwt", "kid": app.signing_kid })),
        b64(&good_claims)
    );
    let tampered = {
        let parts: Vec<&str> = admin.token.split('.').collect();
        let mut claims = good_claims.clone();
        claims["sub"] = json!(uuid::Uuid::now_v7().to_string());
        format!("{}.{}.{}", parts[0], b64(&claims), parts[2])
    };

    let cases: Vec<(&str, String)> = vec![
        ("alg none", none),
        ("HS256 signed with the public key", confused),
        ("another key under our kid", stranger),
        (
            "unknown kid",
            sign(
                json!({ "typ": "at+jwt", "kid": "not-ours" }),
                good_claims.clone(),
            ),
        ),
        (
            "no kid",
            sign(json!({ "typ": "at+jwt" }), good_claims.clone()),
        ),
        (
            "wrong typ",
            sign(
                json!({ "typ": "JWT", "kid": app.signing_kid }),
                good_claims.clone(),
            ),
        ),
        (
            "wrong iss",
            sign(ours.clone(), with(json!({ "iss": "https://evil.example" }))),
        ),
        (
            "wrong aud",
            sign(ours.clone(), with(json!({ "aud": "another-api" }))),
        ),
        (
            "expired past the leeway",
            sign(
                ours.clone(),
                with(json!({ "exp": now() - 60, "iat": now() - 1000 })),
            ),
        ),
        (
            "string exp",
            sign(ours.clone(), with(json!({ "exp": "99999999999" }))),
        ),
        ("no exp", sign(ours.clone(), with(json!({ "exp": null })))),
        ("no sub", sign(ours.clone(), with(json!({ "sub": null })))),
        ("no iss", sign(ours.clone(), with(json!({ "iss": null })))),
        ("no aud", sign(ours.clone(), with(json!({ "aud": null })))),
        (
            "not yet valid",
            sign(ours.clone(), with(json!({ "nbf": now() + 3600 }))),
        ),
        ("tampered payload", tampered),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (name, token) in cases {
        let resp = app
            .authed(Method::GET, "/v1/users", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{name}");
        assert!(
            resp.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{name}"
        );
        assert_problem(resp, 401).await;
    }
    // The genuine token still works, and one signed here with our key and good claims too.
    assert_eq!(
        app.authed(Method::GET, "/v1/users", &admin.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let resigned = sign(ours, good_claims);
    assert_eq!(
        app.authed(Method::GET, "/v1/users", &resigned)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn credentials_must_come_as_a_bearer_header() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;

    let lower = app
        .client
        .get(app.url("/v1/users"))
        .header("authorization", format!("bearer {}", admin.token))
        .send()
        .await
        .unwrap();
    let in_query = app
        .client
        .get(app.url(&format!("/v1/users?access_token={}", admin.token)))
        .send()
        .await
        .unwrap();
    let basic = app
        .client
        .get(app.url("/v1/users"))
        .basic_auth("x", Some("y"))
        .send()
        .await
        .unwrap();
    let empty = app
        .client
        .get(app.url("/v1/users"))
        .header("authorization", "Bearer ")
        .send()
        .await
        .unwrap();

    assert_eq!(
        lower.status().as_u16(),
        200,
        "the scheme is case-insensitive"
    );
    assert_eq!(in_query.status().as_u16(), 401);
    assert_eq!(
        in_query.headers()["www-authenticate"],
        "Bearer realm=\"supplier-registry\""
    );
    assert_eq!(basic.status().as_u16(), 401);
    assert_eq!(empty.status().as_u16(), 401);
}

#[tokio::test]
async fn keys_rotate_the_newest_signs_and_all_verify() {
    let first = spawn_app().await;
    let admin = first.user_with_role("admin").await;
    let keys = first.keys_dir.0.clone();
    let instance_on_same_db_and_keys = || {
        let (db, keys) = (first.db.url(), keys.display().to_string());
        spawn_app_with(move |_, env| {
            env.insert("DATABASE_URL".into(), db);
            env.insert("JWT_SIGNING_KEYS_DIR".into(), keys);
        })
    };

    // Rotation: a newer key (its name sorts last) is added and the instances restart.
    first.keys_dir.add("2026-12-01-b");
    let second = instance_on_same_db_and_keys().await;
    let new_tokens = second.login(&admin.email, &admin.password).await;
    let new_token = new_tokens["access_token"].as_str().unwrap().to_owned();
    let jwks: Value = second
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref(),
        Some("2026-12-01-b")
    );
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["2026-11-27-a", "2026-12-01-b"]);
    for token in [&admin.token, &new_token] {
        let status = second
            .authed(Method::GET, "/v1/users", token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 200, "old and new keys verify");
    }

    // Retirement: the old key is removed; its tokens stop working, the new ones do not.
    std::fs::remove_file(keys.join("2026-11-27-a.pem")).unwrap();
    let third = instance_on_same_db_and_keys().await;
    let old = third
        .authed(Method::GET, "/v1/users", &admin.token)
        .send()
        .await
        .unwrap();
    let new = third
        .authed(Method::GET, "/v1/users", &new_token)
        .send()
        .await
        .unwrap();
    assert_eq!((old.status().as_u16(), new.status().as_u16()), (401, 200));
}

#[tokio::test]
async fn requests_over_the_rate_limit_get_429_with_retry_after() {
    let app = spawn_app_with(|_, env| {
        env.insert("RATE_LIMIT_PER_SECOND".into(), "1".into());
        env.insert("RATE_LIMIT_BURST".into(), "3".into());
    })
    .await;

    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..5 {
        let resp = app.get("/v1/users").await;
        statuses.push(resp.status().as_u16());
        if resp.status().as_u16() == 429 {
            limited = Some(resp);
        }
    }
    let health = app.get("/healthz").await;

    assert_eq!(&statuses[..3], &[401, 401, 401]);
    let limited = limited.expect("a 429");
    assert!(
        limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert_problem(limited, 429).await;
    assert_eq!(
        health.status().as_u16(),
        200,
        "operations endpoints are not limited"
    );
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_even_with_the_right_password() {
    let app = spawn_app_with(|_, env| {
        env.insert("RATE_LIMIT_PER_SECOND".into(), "1000".into());
    })
    .await;
    let user = app.user_with_role("viewer").await;

    for _ in 0..5 {
        let resp = app
            .token_request(&[
                ("grant_type", "password"),
                ("username", &user.email),
                ("password", "wrong password"),
            ])
            .await;
        assert_eq!(resp.status().as_u16(), 400);
    }
    let throttled = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", &user.email),
            ("password", &user.password),
        ])
        .await;

    assert_eq!(throttled.status().as_u16(), 429);
    assert!(
        throttled.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_eq!(
        throttled.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    // Another account is not affected by this one's lock.
    let other = app.user_with_role("viewer").await;
    app.login(&other.email, &other.password).await;
}

#[tokio::test]
async fn every_error_of_the_token_endpoint_is_rfc_6749_json() {
    let app = spawn_app_with(|_, env| {
        env.insert("MAX_BODY_BYTES".into(), "200".into());
    })
    .await;

    let too_big = app
        .client
        .post(app.url("/v1/auth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=password&username={}", "a".repeat(500)))
        .send()
        .await
        .unwrap();
    let wrong_type = app
        .client
        .post(app.url("/v1/auth/token"))
        .header("content-type", "text/plain")
        .body("grant_type=password")
        .send()
        .await
        .unwrap();
    let bad_json = app
        .client
        .post(app.url("/v1/auth/token"))
        .header("content-type", "application/json")
        .body(r#"{"grant_type": "password", "password": 12345678}"#)
        .send()
        .await
        .unwrap();

    for (resp, status) in [(too_big, 413), (wrong_type, 400), (bad_json, 400)] {
        assert_eq!(resp.status().as_u16(), status);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{body}");
        assert!(
            !body.to_string().contains("12345678"),
            "no echo of submitted values"
        );
    }
}

#[tokio::test]
async fn a_token_with_narrowed_scopes_cannot_do_what_the_missing_scope_allows() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let narrowed: Value = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", &admin.email),
            ("password", &admin.password),
            ("scope", "read"),
        ])
        .await
        .json()
        .await
        .unwrap();
    let token = narrowed["access_token"].as_str().unwrap();

    let resp = app
        .authed(Method::GET, "/v1/users", token)
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status().as_u16(), 403);
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("insufficient_scope") && challenge.contains("scope=\"admin\""),
        "{challenge}"
    );
    assert_problem(resp, 403).await;
}
