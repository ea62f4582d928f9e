//! Who may do what: every authenticated (or anonymous-allowed) operation of the OpenAPI document
//! × every role, as people and as partner systems, and anonymously. A new operation fails the
//! coverage test until it is added here.

use std::{
    collections::BTreeSet,
    sync::atomic::{AtomicU32, Ordering},
};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{self, TestApp, assert_problem, spawn_app};

const ROLES: [&str; 4] = ["admin", "agency", "supplier", "viewer"];

static UNIQUE: AtomicU32 = AtomicU32::new(1);

fn unique() -> u32 {
    UNIQUE.fetch_add(1, Ordering::SeqCst)
}

/// A supplier body with a tax id not used before.
fn supplier_body() -> Value {
    helpers::supplier_body("Matriz S.A.", &format!("T{:07}", unique()), 3)
}

struct Case {
    method: Method,
    /// With `{user}`, `{client}`, `{supplier}` (a fresh draft supplier per call) or `{code}`.
    path: &'static str,
    body: Option<fn() -> Value>,
    /// Expected status for admin, agency, supplier, viewer, anonymous.
    expect: [u16; 5],
}

fn cases() -> Vec<Case> {
    let c =
        |method: Method, path: &'static str, body: Option<fn() -> Value>, expect: [u16; 5]| Case {
            method,
            path,
            body,
            expect,
        };
    vec![
        c(
            Method::POST,
            "/v1/users",
            Some(
                || json!({ "email": format!("s{}@example.mx", unique()), "password": "long enough password", "role": "supplier" }),
            ),
            [201, 201, 403, 403, 401],
        ),
        c(Method::GET, "/v1/users", None, [200, 403, 403, 403, 401]),
        c(
            Method::GET,
            "/v1/users/{user}",
            None,
            [200, 403, 403, 403, 401],
        ),
        c(
            Method::PATCH,
            "/v1/users/{user}",
            Some(|| json!({ "name": "Renamed" })),
            [200, 403, 403, 403, 401],
        ),
        c(
            Method::POST,
            "/v1/clients",
            Some(|| json!({ "name": "ERP", "role": "viewer" })),
            [201, 403, 403, 403, 401],
        ),
        c(Method::GET, "/v1/clients", None, [200, 403, 403, 403, 401]),
        c(
            Method::GET,
            "/v1/clients/{client}",
            None,
            [200, 403, 403, 403, 401],
        ),
        c(
            Method::PATCH,
            "/v1/clients/{client}",
            Some(|| json!({ "name": "ERP 2" })),
            [200, 403, 403, 403, 401],
        ),
        c(
            Method::POST,
            "/v1/suppliers",
            Some(supplier_body),
            [201, 201, 201, 403, 401],
        ),
        // A draft made by an admin: other suppliers and anonymous callers cannot see it.
        c(
            Method::GET,
            "/v1/suppliers/{supplier}",
            None,
            [200, 200, 404, 200, 404],
        ),
        c(
            Method::PATCH,
            "/v1/suppliers/{supplier}",
            Some(|| json!({ "employees": 4 })),
            [200, 200, 404, 403, 401],
        ),
        c(
            Method::DELETE,
            "/v1/suppliers/{supplier}",
            None,
            [204, 403, 404, 403, 401],
        ),
        c(
            Method::POST,
            "/v1/suppliers/{supplier}/submit",
            None,
            [200, 403, 404, 403, 401],
        ),
        // The fresh supplier is a draft: the roles that may decide get 409, the others 403.
        c(
            Method::POST,
            "/v1/suppliers/{supplier}/verify",
            None,
            [409, 409, 403, 403, 401],
        ),
        c(
            Method::POST,
            "/v1/suppliers/{supplier}/reject",
            Some(|| json!({ "reason": "r" })),
            [409, 409, 403, 403, 401],
        ),
        c(
            Method::POST,
            "/v1/suppliers/{supplier}/suspend",
            Some(|| json!({ "reason": "r" })),
            [409, 409, 403, 403, 401],
        ),
        c(
            Method::POST,
            "/v1/suppliers/{supplier}/reinstate",
            None,
            [409, 409, 403, 403, 401],
        ),
        c(
            Method::GET,
            "/v1/suppliers/{supplier}/history",
            None,
            [200, 200, 404, 403, 401],
        ),
        c(
            Method::GET,
            "/v1/suppliers/{supplier}/duplicates",
            None,
            [200, 200, 404, 403, 401],
        ),
        c(
            Method::POST,
            "/v1/suppliers/{supplier}/merge",
            Some(|| json!({ "into": "{other}" })),
            [200, 200, 403, 403, 401],
        ),
        c(
            Method::POST,
            "/v1/suppliers/match",
            Some(|| json!({ "legal_name": "Matriz S.A." })),
            [200, 200, 200, 200, 401],
        ),
        c(
            Method::GET,
            "/v1/reconcile",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::POST,
            "/v1/reconcile",
            Some(|| json!({ "q0": { "query": "Matriz" } })),
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/identifier-systems",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::PUT,
            "/v1/suppliers/{supplier}/owners/{owner}",
            None,
            [204, 204, 403, 403, 401],
        ),
        c(
            Method::DELETE,
            "/v1/suppliers/{supplier}/owners/{owner}",
            None,
            [404, 404, 403, 403, 401],
        ),
        c(
            Method::GET,
            "/v1/suppliers",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(Method::GET, "/v1/events", None, [200, 200, 200, 200, 401]),
        c(
            Method::POST,
            "/v1/webhooks",
            Some(
                || json!({ "url": "https://93.184.215.14/hooks", "events": ["supplier.created"] }),
            ),
            [201, 201, 403, 403, 401],
        ),
        c(Method::GET, "/v1/webhooks", None, [200, 200, 403, 403, 401]),
        c(
            Method::POST,
            "/v1/imports",
            Some(|| {
                Value::String(format!(
                    "legal_name,tax_id,country,sector,employees\nMatriz,T{:07},GT,services,3\n",
                    unique()
                ))
            }),
            [202, 202, 403, 403, 401],
        ),
        // `{import}` is a fresh import of an admin's: another agency's is not found.
        c(
            Method::GET,
            "/v1/imports/{import}",
            None,
            [200, 404, 403, 403, 401],
        ),
        // `{webhook}` is a fresh endpoint of an admin's: another agency's is not found.
        c(
            Method::GET,
            "/v1/webhooks/{webhook}",
            None,
            [200, 404, 403, 403, 401],
        ),
        c(
            Method::DELETE,
            "/v1/webhooks/{webhook}",
            None,
            [204, 404, 403, 403, 401],
        ),
        c(
            Method::GET,
            "/v1/webhooks/{webhook}/deliveries",
            None,
            [200, 404, 403, 403, 401],
        ),
        c(
            Method::GET,
            "/v1/suppliers/facets",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/suppliers/export",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/stats/coverage",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/stats/summary",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/stats/ladder",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/stats/resilience",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/capabilities",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/capabilities/{code}",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::POST,
            "/v1/capabilities",
            Some(
                || json!({ "code": format!("svc.m{}", unique()), "labels": { "en": "M", "es": "M" } }),
            ),
            [201, 403, 403, 403, 401],
        ),
        c(
            Method::PATCH,
            "/v1/capabilities/{code}",
            Some(|| json!({ "hs": [] })),
            [200, 403, 403, 403, 401],
        ),
        c(
            Method::GET,
            "/v1/certification-schemes",
            None,
            [200, 200, 200, 200, 200],
        ),
        c(
            Method::GET,
            "/v1/countries",
            None,
            [200, 200, 200, 200, 200],
        ),
    ]
}

fn pattern(path: &str) -> String {
    [
        "{user}",
        "{client}",
        "{supplier}",
        "{code}",
        "{id}",
        "{owner}",
        "{user_id}",
        "{webhook}",
        "{import}",
    ]
    .iter()
    .fold(path.to_owned(), |p, v| p.replace(v, "{}"))
}

#[test]
fn the_matrix_covers_every_operation_that_takes_a_token() {
    let spec: Value = serde_json::from_str(&supplier_registry::openapi::spec_json()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["security"].to_string().contains("bearer") {
                documented.insert(format!("{} {}", method.to_uppercase(), pattern(path)));
            }
        }
    }
    let covered: BTreeSet<String> = cases()
        .iter()
        .map(|c| format!("{} {}", c.method, pattern(c.path)))
        .collect();
    assert_eq!(documented, covered, "add the new operations to the matrix");
}

async fn client_token(app: &TestApp, admin_token: &str, role: &str) -> String {
    let created: Value = app
        .authed(Method::POST, "/v1/clients", admin_token)
        .json(&json!({ "name": format!("{role} client"), "role": role }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tokens: Value = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", created["client_id"].as_str().unwrap()),
            ("client_secret", created["client_secret"].as_str().unwrap()),
        ])
        .await
        .json()
        .await
        .unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_role_reaches_exactly_the_operations_it_may() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let target_user = app.user_with_role("viewer").await;
    let target_owner = app.user_with_role("supplier").await;
    let target_client: Value = app
        .authed(Method::POST, "/v1/clients", &admin.token)
        .json(&json!({ "name": "Target", "role": "viewer" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut people = Vec::new();
    let mut systems = Vec::new();
    for role in ROLES {
        people.push(Some(app.user_with_role(role).await.token));
        systems.push(Some(client_token(&app, &admin.token, role).await));
    }
    people.push(None);
    systems.push(None);

    for (kind, tokens) in [("user", &people), ("client", &systems)] {
        for case in cases() {
            for (who, token) in tokens.iter().enumerate() {
                let mut path = case
                    .path
                    .replace("{user}", &target_user.id.to_string())
                    .replace("{client}", target_client["id"].as_str().unwrap())
                    .replace("{code}", "svc.cal")
                    .replace("{owner}", &target_owner.id.to_string());
                if path.contains("{supplier}") {
                    let made = app.create_supplier(&admin.token, &supplier_body()).await;
                    path = path.replace("{supplier}", made["id"].as_str().unwrap());
                }
                if path.contains("{import}") {
                    let made: Value = app
                        .authed(Method::POST, "/v1/imports", &admin.token)
                        .header("content-type", "text/csv")
                        .body("legal_name,tax_id,country,sector,employees\n")
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    path = path.replace("{import}", made["id"].as_str().unwrap());
                }
                if path.contains("{webhook}") {
                    let made: Value = app
                        .authed(Method::POST, "/v1/webhooks", &admin.token)
                        .json(&json!({ "url": "https://93.184.215.14/hooks", "events": ["supplier.created"] }))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    path = path.replace("{webhook}", made["id"].as_str().unwrap());
                }
                let mut req = app
                    .client
                    .request(case.method.clone(), app.url(&path))
                    .header("if-match", "*");
                if let Some(token) = token {
                    req = req.bearer_auth(token);
                }
                if let Some(body) = case.body {
                    req = match body() {
                        // A file, not a JSON document.
                        Value::String(csv) => req.header("content-type", "text/csv").body(csv),
                        // `{other}`: another supplier (the survivor of a merge).
                        json if json.to_string().contains("{other}") => {
                            let other = app.create_supplier(&admin.token, &supplier_body()).await;
                            let text = json
                                .to_string()
                                .replace("{other}", other["id"].as_str().unwrap());
                            req.header("content-type", "application/json").body(text)
                        }
                        json => req.json(&json),
                    };
                }
                let resp = req.send().await.unwrap();
                let who_name = ROLES.get(who).copied().unwrap_or("anonymous");
                // A supplier *client* cannot own a profile, so it may not register one.
                let supplier_client_registers = kind == "client"
                    && who == 2
                    && case.method == Method::POST
                    && case.path == "/v1/suppliers";
                let expected = if supplier_client_registers {
                    403
                } else {
                    case.expect[who]
                };
                assert_eq!(
                    resp.status().as_u16(),
                    expected,
                    "{} {} as {who_name} ({kind})",
                    case.method,
                    case.path
                );
                if expected >= 400 {
                    assert_problem(resp, expected).await;
                }
            }
        }
    }
}
