//! Accounts: who may do what (a role × operation matrix that must cover every authenticated
//! operation of the OpenAPI document), and the users and clients endpoints' behaviour.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

#[tokio::test]
async fn a_caller_who_may_not_gets_403_before_its_body_or_preconditions_are_judged() {
    let app = spawn_app().await;
    let viewer = app.user_with_role("viewer").await;

    let patch_without_if_match = app
        .authed(
            Method::PATCH,
            &format!("/v1/users/{}", viewer.id),
            &viewer.token,
        )
        .json(&json!({ "role": "admin" }))
        .send()
        .await
        .unwrap();
    let garbage_body = app
        .authed(Method::POST, "/v1/users", &viewer.token)
        .header("content-type", "text/plain")
        .body("{not json")
        .send()
        .await
        .unwrap();

    assert_problem(patch_without_if_match, 403).await;
    assert_problem(garbage_body, 403).await;
}

async fn create_user(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.authed(Method::POST, "/v1/users", token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn creating_a_user_answers_201_with_location_and_etag_and_never_the_password() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;

    let resp = create_user(
        &app,
        &admin.token,
        json!({ "email": "Oficial@Economia.gob.mx", "password": "una contraseña larga", "role": "agency", "name": "Lucía Peñasco", "countries": ["MX", "CR"] }),
    )
    .await;

    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/users/{}", body["id"].as_str().unwrap())
    );
    assert_eq!(body["name"], "Lucía Peñasco");
    assert_eq!(body["countries"], json!(["MX", "CR"]));
    assert_eq!(body["disabled"], false);
    assert!(body.get("password").is_none() && !body.to_string().contains("argon2"));
    let fetched: Value = app
        .authed(Method::GET, &location, &admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, body);
    app.login("oficial@economia.gob.mx", "una contraseña larga")
        .await;
}

#[tokio::test]
async fn a_duplicate_email_is_409_with_the_existing_id() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let body =
        json!({ "email": "dup@example.mx", "password": "long enough password", "role": "viewer" });
    let first: Value = create_user(&app, &admin.token, body)
        .await
        .json()
        .await
        .unwrap();

    let again = create_user(
        &app,
        &admin.token,
        json!({ "email": "DUP@example.mx", "password": "long enough password", "role": "viewer" }),
    )
    .await;

    let problem = assert_problem(again, 409).await;
    assert_eq!(
        problem.existing_id.map(|id| id.to_string()).as_deref(),
        first["id"].as_str()
    );
}

#[tokio::test]
async fn every_broken_rule_of_a_new_user_is_reported_with_its_field() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;

    let resp = create_user(
        &app,
        &admin.token,
        json!({ "email": "not-an-email", "password": "short", "role": "viewer", "name": "  ", "countries": ["MX", "mx", "ZZ", "MX"] }),
    )
    .await;
    let unknown_role = create_user(
        &app,
        &admin.token,
        json!({ "email": "a@b.mx", "password": "long enough password", "role": "root" }),
    )
    .await;
    let server_owned = create_user(&app, &admin.token, json!({ "email": "a@b.mx", "password": "long enough password", "role": "viewer", "disabled": true })).await;

    let problem = assert_problem(resp, 422).await;
    let fields: Vec<(&str, &str)> = problem
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("email", "email"),
            ("password", "length"),
            ("name", "length"),
            ("countries[1]", "country"),
            ("countries[2]", "country"),
            ("countries[3]", "duplicate")
        ]
    );
    let problem = assert_problem(unknown_role, 422).await;
    assert_eq!(problem.errors[0].field, "role");
    let problem = assert_problem(server_owned, 422).await;
    assert_eq!(
        (
            problem.errors[0].field.as_str(),
            problem.errors[0].code.as_str()
        ),
        ("disabled", "unknown_field")
    );
}

#[tokio::test]
async fn patching_a_user_needs_a_current_if_match_and_bumps_the_etag() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let user = app.user_with_role("viewer").await;
    let path = format!("/v1/users/{}", user.id);
    let patch = |if_match: Option<&'static str>, body: Value| {
        let mut req = app
            .authed(Method::PATCH, &path, &admin.token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.send()
    };

    let missing = patch(None, json!({ "role": "agency" })).await.unwrap();
    let stale = patch(Some("\"7\""), json!({ "role": "agency" }))
        .await
        .unwrap();
    let ok = patch(
        Some("\"1\""),
        json!({ "role": "agency", "countries": ["PA"], "name": null }),
    )
    .await
    .unwrap();
    let replay = patch(Some("\"1\""), json!({ "role": "admin" }))
        .await
        .unwrap();
    let email = patch(Some("\"2\""), json!({ "email": "new@example.mx" }))
        .await
        .unwrap();
    let null_role = patch(Some("\"2\""), json!({ "role": null })).await.unwrap();

    assert_problem(missing, 428).await;
    assert_problem(stale, 412).await;
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    let body: Value = ok.json().await.unwrap();
    assert_eq!(
        (body["role"].as_str(), &body["countries"], &body["name"]),
        (Some("agency"), &json!(["PA"]), &Value::Null)
    );
    assert_problem(replay, 412).await;
    let problem = assert_problem(email, 422).await;
    assert_eq!(problem.errors[0].field, "email");
    assert_problem(null_role, 422).await;
    // The role change applies to the user's existing token at once: agencies still may not list users.
    let status = app
        .authed(Method::GET, "/v1/users", &user.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 403);
}

#[tokio::test]
async fn users_are_listed_in_pages_that_neither_repeat_nor_skip_while_users_are_added() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    for i in 0..4 {
        let body = json!({ "email": format!("u{i}@example.mx"), "password": "long enough password", "role": "viewer" });
        assert_eq!(
            create_user(&app, &admin.token, body)
                .await
                .status()
                .as_u16(),
            201
        );
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/users?limit=2&cursor={c}"),
            None => "/v1/users?limit=2".to_owned(),
        };
        let page: Value = app
            .authed(Method::GET, &path, &admin.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        if pages == 1 {
            // A user added while paging shows up at the end, exactly once.
            let body = json!({ "email": "late@example.mx", "password": "long enough password", "role": "viewer" });
            create_user(&app, &admin.token, body).await;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }

    assert_eq!(seen.len(), 6, "{seen:?}");
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 6);
    assert_eq!(seen.last().map(String::as_str), Some("late@example.mx"));
}

#[tokio::test]
async fn bad_list_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=forged.cursor", "cursor"),
    ] {
        let resp = app
            .authed(Method::GET, &format!("/v1/users?{query}"), &admin.token)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(resp, 400).await;
        assert_eq!(problem.errors[0].field, field, "{query}");
    }
    let clients_cursor: Value = {
        for i in 0..2 {
            app.authed(Method::POST, "/v1/clients", &admin.token)
                .json(&json!({ "name": format!("c{i}"), "role": "viewer" }))
                .send()
                .await
                .unwrap();
        }
        app.authed(Method::GET, "/v1/clients?limit=1", &admin.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let cross = app
        .authed(
            Method::GET,
            &format!(
                "/v1/users?cursor={}",
                clients_cursor["next_cursor"].as_str().unwrap()
            ),
            &admin.token,
        )
        .send()
        .await
        .unwrap();
    assert_problem(cross, 400).await;
}

#[tokio::test]
async fn a_client_secret_is_shown_once_and_works() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;

    let created = app
        .authed(Method::POST, "/v1/clients", &admin.token)
        .json(&json!({ "name": "Agencia de Desarrollo", "role": "agency", "countries": ["CR"] }))
        .send()
        .await
        .unwrap();

    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = created.json().await.unwrap();
    let secret = body["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "256 bits");
    let fetched: Value = app
        .authed(Method::GET, &location, &admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(fetched.get("client_secret").is_none());
    assert_eq!(fetched["countries"], json!(["CR"]));
    let listed = app
        .authed(Method::GET, "/v1/clients", &admin.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(secret));
    let token = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", body["client_id"].as_str().unwrap()),
            ("client_secret", secret),
        ])
        .await;
    assert_eq!(token.status().as_u16(), 200);
}
