//! Hostile input and security headers: control characters in queries, paths, bodies and import
//! rows are 400/422 naming the field (never a 5xx); names refuse bidirectional controls and
//! invisible text; a JSON body is one value with unique keys; CSV export cells never run as
//! formulas; every response says `nosniff`, private ones `no-store`, `/docs` has a CSP.

use reqwest::Method;
use serde_json::{Value, json};
use supplier_registry::{db, workers::imports::run_once};

use crate::helpers::{TestApp, TestUser, assert_problem, exec, spawn_app, supplier_body};

async fn field_of(resp: reqwest::Response, status: u16) -> (String, String) {
    let problem = assert_problem(resp, status).await;
    let e = &problem.errors[0];
    (e.field.clone(), e.code.clone())
}

/// Uploads a file as `user`, runs the worker once, and returns the finished import's report.
async fn run_import(app: &TestApp, user: &TestUser, content_type: &str, body: String) -> Value {
    let resp = app
        .authed(Method::POST, "/v1/imports", &user.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let pool = db::build_pool(&app.config()).unwrap();
    assert!(run_once(&pool).await.unwrap());
    let report = app.get_json(&user.token, &location).await;
    assert_eq!(report["status"], "completed", "{report:#}");
    report
}

/// A new draft's id.
async fn draft(app: &TestApp, token: &str, name: &str, tax_id: &str) -> String {
    let doc = app
        .create_supplier(token, &supplier_body(name, tax_id, 5))
        .await;
    doc["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_control_character_in_a_query_or_path_is_a_400_naming_it() {
    let app = spawn_app().await;
    for path in [
        "/v1/suppliers?q=%00",
        "/v1/suppliers/facets?q=%00",
        "/v1/suppliers/export?format=csv&q=%00",
        "/v1/suppliers/export?format=ndjson&q=a%1Bb",
        "/v1/suppliers?country=M%00X",
    ] {
        let resp = app.get(path).await;
        let (field, code) = field_of(resp, 400).await;
        assert_eq!(code, "control_character", "{path}");
        assert!(field == "q" || field == "country", "{path}: {field}");
    }
    let (field, _) = field_of(app.get("/v1/suppliers/a%00b").await, 400).await;
    assert_eq!(field, "path");
    // Tab, line feed and carriage return are text.
    assert_eq!(
        app.get("/v1/suppliers?q=a%09b").await.status().as_u16(),
        200
    );
}

#[tokio::test]
async fn a_control_character_in_a_body_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let with = |patch: Value| {
        let mut body = supplier_body("Servicios Nulos", "1234567-8", 5);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (json!({ "website": "https://x.gt/\u{0}" }), "website"),
        (
            json!({ "capabilities": [{ "code": "atp\u{0}" }] }),
            "capabilities[0].code",
        ),
        (
            json!({ "certifications": [{ "scheme": "iso\u{0}", "expires_on": "2030-01-01" }] }),
            "certifications[0].scheme",
        ),
        (
            json!({ "capabilities": [{ "code": "atp.asm", "parameters": { "unit": "a\u{0}" } }] }),
            "capabilities[0].parameters.unit",
        ),
        (
            json!({ "capabilities": [{ "code": "atp.asm", "parameters": { "u\u{0}": "a" } }] }),
            "capabilities[0].parameters.u\\u0000",
        ),
        (json!({ "city": "Antigua\u{85}" }), "city"),
    ];
    for (patch, expected) in cases {
        let resp = app.post_supplier(&admin.token, &with(patch)).await;
        let (field, code) = field_of(resp, 422).await;
        assert_eq!(
            (field.as_str(), code.as_str()),
            (expected, "control_character")
        );
    }

    let id = &draft(&app, &admin.token, "Servicios Razón", "2345678-9").await;
    assert_eq!(
        app.transition(&admin.token, id, "submit", None)
            .await
            .status()
            .as_u16(),
        200
    );
    let resp = app
        .transition(&admin.token, id, "reject", Some("no\u{0}"))
        .await;
    assert_eq!(field_of(resp, 422).await.0, "reason");
}

#[tokio::test]
async fn names_refuse_bidi_controls_and_invisible_text() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    for (legal, trade, field, code) in [
        ("\u{202E}Acme", None, "legal_name", "bidi_control"),
        (
            "\u{200B}\u{200C}\u{FEFF} \u{2060}",
            None,
            "legal_name",
            "not_visible",
        ),
        ("Acme", Some("Acme\u{2067}"), "trade_name", "bidi_control"),
        ("Acme", Some("\u{200D}"), "trade_name", "not_visible"),
    ] {
        let mut body = supplier_body(legal, "3456789-0", 5);
        if let Some(t) = trade {
            body["trade_name"] = json!(t);
        }
        let resp = app.post_supplier(&admin.token, &body).await;
        assert_eq!(
            field_of(resp, 422).await,
            (field.into(), code.into()),
            "{legal:?}"
        );
    }
    let user = json!({ "email": "rtl@example.mx", "password": "correct horse battery staple",
        "role": "viewer", "name": "\u{202D}admin" });
    let client = json!({ "name": "\u{200B}\u{200B}", "role": "viewer" });
    for (path, body, code) in [
        ("/v1/users", user, "bidi_control"),
        ("/v1/clients", client, "not_visible"),
    ] {
        let resp = app
            .authed(Method::POST, path, &admin.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(field_of(resp, 422).await, ("name".into(), code.into()));
    }
}

#[tokio::test]
async fn an_import_row_with_a_control_character_names_the_field() {
    let app = spawn_app().await;
    let agency = app.user_with_role("agency").await;
    let csv = "legal_name,tax_id,country,sector,employees,website\n\
        Nulo\u{0} SA,NUL0101015A1,MX,services,3,\n\
        Bien SA,BIE0101015A1,MX,services,3,https://bien.mx\n";
    let ndjson = format!(
        "{}\n",
        json!({ "legal_name": "Otro SA", "tax_id": "OTR0101015A1", "country": "MX",
            "sector": "services", "employees": 3, "website": "https://o.mx/\u{0}" })
    );
    for (content_type, body, field) in [
        ("text/csv", csv.to_owned(), "legal_name"),
        ("application/x-ndjson", ndjson, "website"),
    ] {
        let report = run_import(&app, &agency, content_type, body).await;
        assert_eq!(report["errors"][0]["field"], field, "{report:#}");
        let message = report["errors"][0].to_string();
        assert!(!message.contains("concurrent"), "{message}");
    }
}

#[tokio::test]
async fn a_json_body_is_one_value_with_unique_keys() {
    let app = spawn_app().await;
    for body in [
        r#"{"name":"a"}xyz"#,
        r#"{"name":"a"}{"name":"b"}"#,
        r#"{"name":"a"} 1"#,
    ] {
        let resp = app.post_json("/__probe/echo", body).await;
        assert_eq!(
            field_of(resp, 400).await,
            ("body".into(), "trailing_data".into()),
            "{body}"
        );
    }
    for (body, field) in [
        (r#"{"name":"a","name":"b"}"#, "name"),
        (
            r#"{"name":"a","contacts":[{"name":"b","email":null,"name":"c"}]}"#,
            "contacts[0].name",
        ),
    ] {
        let resp = app.post_json("/__probe/echo", body).await;
        assert_eq!(
            field_of(resp, 400).await,
            (field.into(), "duplicate_key".into()),
            "{body}"
        );
    }
    // Whitespace after the value is not data.
    let ok = app.post_json("/__probe/echo", "{\"name\":\"a\"} \n").await;
    assert_eq!(ok.status().as_u16(), 200);
}

#[tokio::test]
async fn csv_export_cells_never_run_as_formulas_and_imports_read_them_back() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let mut body = supplier_body("-Menos Servicios", "4567890-1", 5);
    body["trade_name"] = json!("=HYPERLINK(\"https://evil.example\",\"x\")");
    body["location"] = json!({ "lat": 14.6, "lon": -90.5 });
    app.create_supplier(&admin.token, &body).await;
    exec(
        &app.db,
        "UPDATE suppliers SET status = 'verified', verified_at = now()",
    )
    .await;

    let csv = app
        .get("/v1/suppliers/export?format=csv")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| {
        row.get(headers.iter().position(|h| h == name).unwrap())
            .unwrap()
    };
    assert_eq!(
        cell("trade_name"),
        "'=HYPERLINK(\"https://evil.example\",\"x\")"
    );
    assert_eq!(cell("legal_name"), "'-Menos Servicios");
    assert_eq!(cell("lon"), "-90.5", "numbers are not text");

    let ndjson = app
        .get("/v1/suppliers/export?format=ndjson")
        .await
        .text()
        .await
        .unwrap();
    let line: Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
    assert_eq!(line["trade_name"], body["trade_name"]);

    // An exported cell imported back is stored as it was shown.
    let agency = app.user_with_role("agency").await;
    let csv =
        "legal_name,tax_id,country,sector,employees\n'=SUMA Servicios,SUM0101015A1,MX,services,3\n";
    run_import(&app, &agency, "text/csv", csv.to_owned()).await;
    let found = app
        .get_json(&admin.token, "/v1/suppliers?country=MX&status=draft")
        .await;
    assert_eq!(
        found["data"][0]["legal_name"], "=SUMA Servicios",
        "{found:#}"
    );
}

async fn security_headers(app: &TestApp, resp: &reqwest::Response) -> (String, String) {
    let _ = app;
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    (header("x-content-type-options"), header("cache-control"))
}

#[tokio::test]
async fn every_response_says_nosniff_and_private_ones_no_store() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let id = draft(&app, &admin.token, "Servicios Cache", "5678901-2").await;

    for path in ["/healthz", "/v1/suppliers", "/v1/nothing", "/openapi.json"] {
        let resp = app.get(path).await;
        assert_eq!(security_headers(&app, &resp).await.0, "nosniff", "{path}");
    }
    for path in [
        format!("/v1/suppliers/{id}"),
        format!("/v1/suppliers/{id}/history"),
        "/v1/users".to_owned(),
        "/v1/clients".to_owned(),
        "/v1/webhooks".to_owned(),
        "/v1/events".to_owned(),
        "/v1/suppliers/export?format=csv".to_owned(),
        "/v1/suppliers?limit=1".to_owned(),
    ] {
        let resp = app
            .authed(Method::GET, &path, &admin.token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            security_headers(&app, &resp).await,
            ("nosniff".to_owned(), "no-store".to_owned()),
            "{path}"
        );
    }
    let login = app
        .token_request(&[
            ("grant_type", "password"),
            ("username", &admin.email),
            ("password", &admin.password),
        ])
        .await;
    assert_eq!(security_headers(&app, &login).await.1, "no-store");
}

#[tokio::test]
async fn the_docs_have_a_csp_that_lets_swagger_ui_load_its_own_files() {
    let app = spawn_app().await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status().as_u16(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    let html = page.text().await.unwrap();
    // No inline script: every script and stylesheet is a file of its own, served from here.
    let mut files = Vec::new();
    for part in html.split("<script").skip(1) {
        let (tag, rest) = part.split_once('>').unwrap();
        assert!(
            rest.trim_start().starts_with("</script>"),
            "inline script in {html}"
        );
        files.push(attribute(tag, "src"));
    }
    for part in html.split("rel=\"stylesheet\"").skip(1) {
        files.push(attribute(part, "href"));
    }
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let file = file.trim_start_matches("./");
        let resp = app.get(&format!("/docs/{file}")).await;
        assert_eq!(resp.status().as_u16(), 200, "{file}");
        assert!(resp.headers().contains_key("content-security-policy"));
    }
}

/// The value of the first `name="…"` in `html`.
fn attribute(html: &str, name: &str) -> String {
    let start = html.split(&format!("{name}=\"")).nth(1).unwrap();
    start.split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn subnormal_coordinates_are_stored_as_written_not_a_500() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let mut body = crate::helpers::supplier_body("Coordenadas Mínimas", "T1234567", 5);
    body["location"] = serde_json::json!({ "lat": 5e-324, "lon": 3.26e-201 });
    let doc = app.create_supplier(&admin.token, &body).await;
    assert_eq!(doc["location"], body["location"]);
    let near = app
        .get_json(&admin.token, "/v1/suppliers?near=0,0&radius_km=1")
        .await;
    assert_eq!(near["data"][0]["id"], doc["id"]);
}
