//! The error contract: every error is problem+json with the right status, and JSON bodies are
//! checked as the contract says. `/__probe/*` routes exist only in the test server.

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;

    let problem = assert_problem(app.get("/v1/nothing-here").await, 404).await;

    assert!(problem.problem_type.ends_with(":not-found"));
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;

    let resp = app.client.delete(app.url("/readyz")).send().await.unwrap();

    assert_eq!(resp.headers()["allow"], "GET");
    let problem = assert_problem(resp, 405).await;
    assert!(problem.detail.contains("GET"));
}

#[tokio::test]
async fn a_literal_segment_is_not_taken_for_an_id() {
    let app = spawn_app().await;

    for path in ["/v1/suppliers/export", "/v1/suppliers/facets"] {
        let resp = app.client.patch(app.url(path)).send().await.unwrap();

        assert_eq!(resp.headers()["allow"], "GET", "{path}");
        assert_problem(resp, 405).await;
    }
}

#[tokio::test]
async fn malformed_json_is_a_400_naming_the_body() {
    let app = spawn_app().await;

    let resp = app.post_json("/__probe/echo", r#"{"name": "Nájera"#).await;

    let problem = assert_problem(resp, 400).await;
    assert_eq!(problem.errors[0].field, "body");
    assert_eq!(problem.errors[0].code, "json_syntax");
}

#[tokio::test]
async fn an_unknown_field_is_a_422_naming_it() {
    let app = spawn_app().await;

    let resp = app
        .post_json(
            "/__probe/echo",
            r#"{"name": "a", "contacts": [{"name": "b", "fax": "1"}]}"#,
        )
        .await;

    let problem = assert_problem(resp, 422).await;
    assert_eq!(problem.errors.len(), 1);
    assert_eq!(problem.errors[0].field, "contacts[0].fax");
    assert_eq!(problem.errors[0].code, "unknown_field");
}

#[tokio::test]
async fn a_missing_field_or_wrong_type_is_a_422_naming_it() {
    let app = spawn_app().await;

    let missing = app.post_json("/__probe/echo", r#"{"contacts": []}"#).await;
    let wrong = app
        .post_json(
            "/__probe/echo",
            r#"{"name": "a", "contacts": [{"name": "b", "email": 7}]}"#,
        )
        .await;

    let missing = assert_problem(missing, 422).await;
    assert_eq!(
        (
            missing.errors[0].field.as_str(),
            missing.errors[0].code.as_str()
        ),
        ("name", "required")
    );
    let wrong = assert_problem(wrong, 422).await;
    assert_eq!(
        (
            wrong.errors[0].field.as_str(),
            wrong.errors[0].code.as_str()
        ),
        ("contacts[0].email", "invalid_type")
    );
}

#[tokio::test]
async fn a_good_body_keeps_unicode_exactly() {
    let app = spawn_app().await;
    let name = "Ensambles del Bajío — Peñasco 半導体 \u{200f}";

    let resp = app
        .post_json(
            "/__probe/echo",
            &serde_json::json!({ "name": name }).to_string(),
        )
        .await;

    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["name"],
        name
    );
}

#[tokio::test]
async fn a_body_over_max_body_bytes_is_413_whether_its_length_is_declared_or_not() {
    let app = spawn_app_with(|_, env| {
        env.insert("MAX_BODY_BYTES".into(), "1000".into());
    })
    .await;
    let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(2000));

    let declared = app.post_json("/__probe/echo", &big).await;
    let stream =
        futures_util::stream::iter(vec![Ok::<_, std::io::Error>(big.clone().into_bytes())]);
    let chunked = app
        .client
        .post(app.url("/__probe/echo"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let small = app.post_json("/__probe/echo", r#"{"name": "ok"}"#).await;

    assert_problem(declared, 413).await;
    assert_problem(chunked, 413).await;
    assert_eq!(small.status().as_u16(), 200);
}

#[tokio::test]
async fn a_wrong_or_missing_content_type_is_415() {
    let app = spawn_app().await;

    let text = app
        .client
        .post(app.url("/__probe/echo"))
        .header("content-type", "text/plain")
        .body(r#"{"name": "a"}"#)
        .send()
        .await
        .unwrap();
    let none = app
        .client
        .post(app.url("/__probe/echo"))
        .body(r#"{"name": "a"}"#)
        .send()
        .await
        .unwrap();
    let merge_patch = app
        .client
        .post(app.url("/__probe/echo"))
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"name": "a"}"#)
        .send()
        .await
        .unwrap();

    assert_problem(text, 415).await;
    assert_problem(none, 415).await;
    assert_eq!(merge_patch.status().as_u16(), 200);
}

#[tokio::test]
async fn a_500_carries_no_internals() {
    let app = spawn_app().await;

    let resp = app.get("/__probe/fail").await;

    let raw = resp.text().await.unwrap();
    for leak in ["SELECT", "pg_authid", "src/", ".rs"] {
        assert!(!raw.contains(leak), "500 body leaks {leak}: {raw}");
    }
    let problem: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(problem["status"], 500);
    assert_eq!(problem["detail"], "An internal error occurred.");
}
