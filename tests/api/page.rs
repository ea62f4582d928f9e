//! The public ecosystem page as HTTP sees it (what it shows is tested in a browser:
//! tests/page).

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn the_page_is_served_offline_in_the_language_asked_for() {
    let app = spawn_app().await;
    let english = app.get("/").await;
    assert_eq!(english.status().as_u16(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header(&english, "content-type"), "text/html; charset=utf-8");
    let policy = header(&english, "content-security-policy");
    assert!(policy.contains("default-src 'self'") && policy.contains("connect-src 'self'"));
    let html = english.text().await.expect("html");
    assert!(html.contains("<html lang=\"en\""));
    // Nothing is fetched from elsewhere: every script, style sheet and link is of this origin.
    for attr in ["src=\"", "href=\""] {
        for rest in html.split(attr).skip(1) {
            let target = rest.split('"').next().unwrap_or_default();
            assert!(!target.contains("//"), "{attr}{target} leaves the origin");
        }
    }
    let spanish = app
        .client
        .get(app.url("/"))
        .header("accept-language", "es-MX,es;q=0.9,en;q=0.5")
        .send()
        .await
        .expect("request");
    assert!(header(&spanish, "vary").contains("Accept-Language"));
    assert!(
        spanish
            .text()
            .await
            .expect("html")
            .contains("<html lang=\"es\"")
    );
    let switched = app
        .get("/?lang=es&country=CR")
        .await
        .text()
        .await
        .expect("html");
    assert!(switched.contains("<html lang=\"es\""));
    let back = app
        .client
        .get(app.url("/?lang=en"))
        .header("accept-language", "es")
        .send()
        .await
        .expect("request");
    assert!(
        back.text()
            .await
            .expect("html")
            .contains("<html lang=\"en\""),
        "the switch wins"
    );

    for (name, kind) in [
        ("page.js", "text/javascript"),
        ("charts.js", "text/javascript"),
        ("page.css", "text/css"),
    ] {
        let resp = app.get(&format!("/page/{name}")).await;
        assert_eq!(resp.status().as_u16(), 200, "{name}");
        assert!(header(&resp, "content-type").starts_with(kind), "{name}");
        assert!(
            html.contains(&format!("/page/{name}")),
            "the page loads {name}"
        );
        assert!(!resp.text().await.expect("body").is_empty());
    }
    assert_problem(app.get("/page/other.js").await, 404).await;
    for (query, field) in [
        ("lang=fr", "lang"),
        ("country=Mexico", "country"),
        ("x=1", "x"),
    ] {
        let resp = app.get(&format!("/?{query}")).await;
        assert_eq!(
            assert_problem(resp, 400).await.errors[0].field,
            field,
            "{query}"
        );
    }
}
