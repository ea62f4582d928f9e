//! Login throttling per account *and origin* (a stranger guessing wrong cannot lock a person out
//! elsewhere), the looser per-account limit with growing delays, and control characters in the
//! token endpoint's text input (400 `invalid_request`, never 5xx).

use std::net::{IpAddr, Ipv4Addr};

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with};

/// A password grant sent from the loopback address `127.0.0.{host}` (another origin to the
/// server).
async fn login_from(app: &TestApp, host: u8, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)))
        .build()
        .unwrap()
        .post(app.url("/v1/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("request")
}

async fn throttled(resp: reqwest::Response, code: &str) -> u64 {
    assert_eq!(resp.status().as_u16(), 429);
    let seconds: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seconds > 0);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    seconds
}

async fn throttled_app() -> TestApp {
    spawn_app_with(|_, env| {
        env.insert("RATE_LIMIT_PER_SECOND".into(), "1000".into());
    })
    .await
}

#[tokio::test]
async fn a_stranger_guessing_wrong_cannot_lock_a_person_out_elsewhere() {
    let app = throttled_app().await;
    let user = app.user_with_role("viewer").await;
    for _ in 0..5 {
        let resp = login_from(&app, 2, &user.email, "wrong password").await;
        assert_eq!(resp.status().as_u16(), 400);
    }
    // The stranger's origin is throttled, even with the right password...
    let resp = login_from(&app, 2, &user.email, &user.password).await;
    throttled(resp, "invalid_grant").await;
    // ... the person, elsewhere, is not.
    let resp = login_from(&app, 1, &user.email, &user.password).await;
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn failures_from_everywhere_meet_growing_delays() {
    let app = throttled_app().await;
    let user = app.user_with_role("viewer").await;
    for host in 10..20 {
        let resp = login_from(&app, host, &user.email, "wrong password").await;
        assert_eq!(resp.status().as_u16(), 400, "from 127.0.0.{host}");
    }
    let first = throttled(
        login_from(&app, 20, &user.email, &user.password).await,
        "invalid_grant",
    )
    .await;
    assert!(first <= 2, "{first}");
    tokio::time::sleep(std::time::Duration::from_millis(first * 1000 + 500)).await;
    let resp = login_from(&app, 21, &user.email, "wrong password").await;
    assert_eq!(resp.status().as_u16(), 400);
    let second = throttled(
        login_from(&app, 22, &user.email, &user.password).await,
        "invalid_grant",
    )
    .await;
    assert!(second > first, "{second} after {first}");
    // The wait is a delay, not a lock: once it has passed, the right password logs in.
    tokio::time::sleep(std::time::Duration::from_millis(second * 1000 + 500)).await;
    let resp = login_from(&app, 1, &user.email, &user.password).await;
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn control_characters_in_token_requests_are_invalid_requests() {
    let app = throttled_app().await;
    let forms: [&[(&str, &str)]; 5] = [
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "a\0b"),
            ("client_secret", "x"),
        ],
        &[
            ("grant_type", "password"),
            ("username", "nul\0@example.mx"),
            ("password", "x"),
        ],
        &[
            ("grant_type", "password"),
            ("username", "c1\u{85}@example.mx"),
            ("password", "x"),
        ],
        &[
            ("grant_type", "password"),
            ("username", "a@example.mx"),
            ("password", "p\0"),
        ],
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "\u{1b}[0m"),
        ],
    ];
    for form in forms {
        let resp = app.token_request(form).await;
        assert_eq!(resp.status().as_u16(), 400, "{form:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{form:?}: {body}");
    }
    for pair in ["a\0b:secret", "id:se\0cret", "id%00:secret"] {
        let resp = app
            .client
            .post(app.url("/v1/auth/token"))
            .header("authorization", format!("Basic {}", STANDARD.encode(pair)))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{pair:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{pair:?}: {body}");
    }
    let json = app
        .client
        .post(app.url("/v1/auth/token"))
        .json(
            &serde_json::json!({ "grant_type": "password", "username": "\u{0}", "password": "x" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(json.status().as_u16(), 400);
}

/// A password grant that a proxy at 127.0.0.1 forwards for `client`.
async fn login_via_proxy(
    app: &TestApp,
    client: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/v1/auth/token"))
        .header("X-Forwarded-For", client)
        .form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_its_own_origin() {
    let app = spawn_app_with(|_, env| {
        env.insert("RATE_LIMIT_PER_SECOND".into(), "1000".into());
        env.insert("TRUSTED_PROXIES".into(), "127.0.0.1/32".into());
    })
    .await;
    let user = app.user_with_role("viewer").await;
    for _ in 0..5 {
        let resp = login_via_proxy(&app, "203.0.113.9", &user.email, "wrong password").await;
        assert_eq!(resp.status().as_u16(), 400);
    }
    let resp = login_via_proxy(&app, "203.0.113.9", &user.email, &user.password).await;
    throttled(resp, "invalid_grant").await;
    // Every login comes through the same proxy, yet the person is not locked out.
    let resp = login_via_proxy(&app, "198.51.100.7", &user.email, &user.password).await;
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn an_untrusted_caller_cannot_choose_its_origin() {
    let app = throttled_app().await;
    let user = app.user_with_role("viewer").await;
    for n in 0..5 {
        let resp = login_via_proxy(&app, &format!("192.0.2.{n}"), &user.email, "wrong").await;
        assert_eq!(resp.status().as_u16(), 400);
    }
    // No proxy is trusted: the header is ignored, and the caller's own address is throttled.
    let resp = login_via_proxy(&app, "192.0.2.77", &user.email, &user.password).await;
    throttled(resp, "invalid_grant").await;
}
