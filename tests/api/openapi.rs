//! The OpenAPI document: the committed file is what the code generates, the server serves the same,
//! and every operation is described truthfully enough for SDK generators.

use std::collections::HashSet;

use crate::helpers::spawn_app;

fn committed() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .expect("openapi/openapi.json is committed")
}

#[test]
fn the_committed_document_is_what_the_code_generates() {
    assert!(
        committed() == supplier_registry::openapi::spec_json(),
        "openapi/openapi.json is stale: run `cargo run -- openapi --out openapi/openapi.json`"
    );
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;

    let served: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();

    let file: serde_json::Value = serde_json::from_str(&committed()).unwrap();
    assert_eq!(served, file);
    assert_eq!(served["openapi"], "3.1.0");
}

#[test]
fn every_operation_has_a_unique_id_a_description_and_described_responses() {
    let spec: serde_json::Value =
        serde_json::from_str(&supplier_registry::openapi::spec_json()).unwrap();
    let mut ids = HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            assert!(
                id.split_once('_')
                    .is_some_and(|(r, v)| !r.is_empty() && !v.is_empty()),
                "{id} is not resource_verb"
            );
            assert!(
                op["description"].as_str().is_some_and(|d| !d.is_empty())
                    || op["summary"].as_str().is_some(),
                "{id}: no description"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{id}: no 500 response");
            for (status, resp) in responses {
                let resolved = match resp["$ref"].as_str() {
                    Some(r) => &spec["components"]["responses"][r.rsplit('/').next().unwrap()],
                    None => resp,
                };
                assert!(
                    resolved["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{id} {status}: no description"
                );
                // The OAuth endpoints answer their own errors in RFC 6749 JSON.
                let oauth = op["tags"][0] == "auth"
                    && resolved["content"].get("application/json").is_some();
                if (status.starts_with('4') || status.starts_with('5')) && !oauth {
                    assert!(
                        resolved["content"]
                            .get("application/problem+json")
                            .is_some(),
                        "{id} {status}: not problem+json"
                    );
                }
            }
        }
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}
