//! Health, readiness, metrics, docs, request ids and CORS.

use std::time::{Duration, Instant};

use crate::helpers::{DbProxy, assert_problem, exec, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_200_with_a_generated_request_id() {
    let app = spawn_app().await;

    let resp = app.get("/healthz").await;

    assert_eq!(resp.status().as_u16(), 200);
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "generated id is a UUID: {id}"
    );
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
}

#[tokio::test]
async fn a_sensible_request_id_is_echoed_and_an_odd_one_replaced() {
    let app = spawn_app().await;

    let kept = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "partner-42.abc")
        .send()
        .await
        .unwrap();
    let replaced = app
        .client
        .get(app.url("/nowhere"))
        .header("x-request-id", "has spaces<and>tags")
        .send()
        .await
        .unwrap();

    assert_eq!(kept.headers()["x-request-id"], "partner-42.abc");
    let new_id = replaced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_id, "has spaces<and>tags");
    let problem = assert_problem(replaced, 404).await;
    assert_eq!(problem.request_id.as_deref(), Some(new_id.as_str()));
}

#[tokio::test]
async fn readyz_is_200_when_the_database_is_up_and_migrated() {
    let app = spawn_app().await;

    let resp = app.get("/readyz").await;

    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
}

#[tokio::test]
async fn readyz_turns_503_within_a_second_when_the_database_goes_and_200_when_it_returns() {
    let proxy = DbProxy::start().await;
    let app = spawn_app_with(|db, env| {
        env.insert("DATABASE_URL".into(), db.url_via(proxy.port));
    })
    .await;
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);

    proxy.cut();
    let started = Instant::now();
    let down = app.get("/readyz").await;
    let took = started.elapsed();

    assert!(took < Duration::from_secs(1), "503 took {took:?}");
    assert_eq!(down.headers()["retry-after"], "1");
    let problem = assert_problem(down, 503).await;
    assert!(
        !problem.detail.to_lowercase().contains("refused"),
        "{}",
        problem.detail
    );

    proxy.restore();
    let mut status = 0;
    for _ in 0..20 {
        status = app.get("/readyz").await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "readyz recovers without a restart");
}

#[tokio::test]
async fn readyz_is_503_when_migrations_are_not_applied() {
    let app = spawn_app().await;
    // Sabotage: forget one applied migration.
    exec(
        &app.db,
        "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)",
    )
    .await;

    let problem = assert_problem(app.get("/readyz").await, 503).await;

    assert!(problem.detail.contains("migration"), "{}", problem.detail);
}

#[tokio::test]
async fn a_request_that_cannot_get_a_connection_fails_fast_with_503() {
    let proxy = DbProxy::start().await;
    let app = spawn_app_with(|db, env| {
        env.insert("DATABASE_URL".into(), db.url_via(proxy.port));
        env.insert("DATABASE_ACQUIRE_TIMEOUT_MS".into(), "300".into());
    })
    .await;
    // New connections hang: the pool can neither reuse nor open one.
    proxy.stall();

    let started = Instant::now();
    let resp = app.get("/readyz").await;
    let took = started.elapsed();

    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_problem(resp, 503).await;
}

#[tokio::test]
async fn an_unreachable_database_gives_503_not_500() {
    let app = spawn_app_with(|_, env| {
        // Nothing listens on port 1.
        env.insert(
            "DATABASE_URL".into(),
            "postgres://postgres@127.0.0.1:1/nowhere".into(),
        );
    })
    .await;

    let problem = assert_problem(app.get("/readyz").await, 503).await;

    assert!(!problem.detail.contains("127.0.0.1"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status_and_report_the_pool() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/readyz").await;
    app.get("/no/such/page").await;

    let resp = app.get("/metrics").await;

    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix} in\n{text}"))
            .to_owned()
    };
    assert!(
        line(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#).ends_with(" 2")
    );
    assert!(
        line(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#).ends_with(" 1")
    );
    line(
        r#"http_request_duration_seconds_bucket{method="GET",route="/readyz",status="200",le="0.005"}"#,
    );
    // The exports' own pool has as many connections as exports may run at once.
    line(r#"db_pool_max_connections{pool="export"} "#);
    for pool in ["main", "search_generic", "search_custom"] {
        assert!(
            line(&format!(r#"db_pool_max_connections{{pool="{pool}"}} "#)).ends_with(" 4"),
            "{pool}"
        );
        line(&format!(
            r#"db_pool_connections{{pool="{pool}",state="idle"}}"#
        ));
        line(&format!(r#"db_pool_waiting_requests{{pool="{pool}"}} "#));
    }
}

#[tokio::test]
async fn docs_are_served_from_the_binary_without_a_cdn() {
    let app = spawn_app().await;

    let redirect = app.get("/docs").await;
    let page = app.get("/docs/").await;

    assert_eq!(redirect.status().as_u16(), 308);
    assert_eq!(redirect.headers()["location"], "/docs/");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status().as_u16(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("\"/openapi.json\""));
}

#[tokio::test]
async fn cors_allows_listed_origins_only() {
    let app = spawn_app_with(|_, env| {
        env.insert(
            "CORS_ALLOWED_ORIGINS".into(),
            "https://portal.example".into(),
        );
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/healthz"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };

    let listed = preflight("https://portal.example").await.unwrap();
    let unlisted = preflight("https://evil.example").await.unwrap();
    let simple = app
        .client
        .get(app.url("/healthz"))
        .header("origin", "https://portal.example")
        .send()
        .await
        .unwrap();

    assert_eq!(
        listed.headers()["access-control-allow-origin"],
        "https://portal.example"
    );
    assert!(
        unlisted
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://portal.example"
    );
    assert!(
        simple
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}
