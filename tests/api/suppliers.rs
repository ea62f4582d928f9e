//! Suppliers: registration with every rule, reading by role, merge-patch changes, archiving,
//! idempotent creation, duplicates, and the audit entry and change event of every change.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem, exec, spawn_app};

fn bajio() -> Value {
    json!({
        "legal_name": "Ensambles del Bajío S.A. de C.V.",
        "trade_name": "EnBajío",
        "tax_id": "gode-561231-gr8",
        "country": "MX",
        "subdivision": "MX-GUA",
        "city": "León",
        "address": "Blvd. Aeropuerto 105",
        "location": { "lat": 21.12, "lon": -101.68 },
        "website": "https://enbajio.mx",
        "founded_year": 2001,
        "sector": "manufacturing",
        "employees": 42,
        "annual_sales": { "amount": "38000000.00", "currency": "MXN" },
        "capabilities": [{ "code": "atp.asm.wb", "details": "Au and Cu wire", "parameters": { "package_families": ["QFN"] } }],
        "certifications": [{ "scheme": "iso_9001", "number": "MX-9001-77", "issuer": "TÜV", "issued_on": "2024-01-10", "expires_on": "2030-01-09" }],
        "contacts": [{ "name": "Ana Nájera", "role": "Ventas", "email": "ana@enbajio.mx", "phone": "+524771234567" }],
        "external_refs": [{ "system": "siem", "value": "12345" }]
    })
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.connect().await;
    diesel::sql_query(sql)
        .get_result::<N>(&mut conn)
        .await
        .unwrap()
        .n
}

#[tokio::test]
async fn registering_answers_the_contract_document_with_location_and_etag() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;

    let resp = app.post_supplier(&owner.token, &bajio()).await;

    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/suppliers/{}", doc["id"].as_str().unwrap())
    );
    let mut keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "address",
            "annual_sales",
            "capabilities",
            "certifications",
            "city",
            "contacts",
            "country",
            "created_at",
            "employees",
            "external_refs",
            "founded_year",
            "id",
            "legal_name",
            "location",
            "merged_into",
            "sector",
            "size_class",
            "size_rule",
            "status",
            "status_reason",
            "subdivision",
            "tax_id",
            "trade_name",
            "updated_at",
            "verified_at",
            "version",
            "website",
        ]
    );
    assert_eq!(doc["tax_id"], "GODE561231GR8", "normalised");
    assert_eq!(
        (doc["size_class"].as_str(), doc["size_rule"].as_str()),
        (Some("small"), Some("MX-DOF-2009-06-30"))
    );
    assert_eq!(
        (doc["status"].as_str(), doc["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    assert_eq!(doc["certifications"][0]["status"], "valid");
    assert_eq!(
        doc["annual_sales"],
        json!({ "amount": "38000000.00", "currency": "MXN" })
    );
    let input = bajio();
    for field in [
        "legal_name",
        "trade_name",
        "subdivision",
        "city",
        "address",
        "location",
        "website",
        "founded_year",
        "employees",
        "capabilities",
        "contacts",
        "external_refs",
    ] {
        assert_eq!(doc[field], input[field], "{field}");
    }
    let read: Value = app
        .authed(Method::GET, &location, &owner.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read, doc);
}

#[tokio::test]
async fn anonymous_callers_see_only_verified_suppliers_and_never_contacts() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let other = app.user_with_role("supplier").await;
    let viewer = app.user_with_role("viewer").await;
    let doc = app.create_supplier(&owner.token, &bajio()).await;
    let path = format!("/v1/suppliers/{}", doc["id"].as_str().unwrap());

    assert_problem(app.get(&path).await, 404).await;
    assert_problem(
        app.authed(Method::GET, &path, &other.token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let as_viewer: Value = app
        .authed(Method::GET, &path, &viewer.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(as_viewer["contacts"].is_array());

    exec(
        &app.db,
        &format!(
            "UPDATE suppliers SET status = 'verified', verified_at = now() WHERE id = '{}'",
            doc["id"].as_str().unwrap()
        ),
    )
    .await;
    let public: Value = app.get(&path).await.json().await.unwrap();
    let as_other: Value = app
        .authed(Method::GET, &path, &other.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(public["legal_name"], doc["legal_name"]);
    assert!(
        public.get("contacts").is_none(),
        "no contacts for anonymous callers"
    );
    assert!(
        as_other.get("contacts").is_none(),
        "nor for other suppliers"
    );
    let bad_id = app.get("/v1/suppliers/not-a-uuid").await;
    assert_problem(bad_id, 400).await;
}

#[tokio::test]
async fn every_broken_rule_is_reported_at_once_naming_its_field() {
    let app = spawn_app().await;
    let agency = app.user_with_role("agency").await;
    let mut body = bajio();
    for (k, v) in [
        ("legal_name", json!("")),
        ("tax_id", json!("XAXX010101000")),
        ("subdivision", json!("CR-SJ")),
        ("website", json!("javascript:alert(1)")),
        ("founded_year", json!(1492)),
        ("employees", json!(-3)),
        (
            "annual_sales",
            json!({ "amount": "12,5", "currency": "PESOS" }),
        ),
        (
            "capabilities",
            json!([{ "code": "atp.asm.wb" }, { "code": "atp.asm.wb" }, { "code": "not.a.code" }]),
        ),
        (
            "certifications",
            json!([{ "scheme": "iso_9001", "issued_on": "2025-05-01", "expires_on": "2025-04-01" }, { "scheme": "iso_0000" }]),
        ),
        (
            "contacts",
            json!([{ "name": "Ana", "email": "ana@", "phone": "477 123 4567" }, { "role": "no name" }]),
        ),
    ] {
        body[k] = v;
    }

    let resp = app.post_supplier(&agency.token, &body).await;

    // Every violation of the body in one answer: a missing nested field (`contacts[1].name`)
    // hides nothing, and is named first, with the other errors of the shape.
    let problem = assert_problem(resp, 422).await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "contacts[1].name",
            "legal_name",
            "tax_id",
            "subdivision",
            "website",
            "founded_year",
            "employees",
            "annual_sales.amount",
            "annual_sales.currency",
            "capabilities[1].code",
            "capabilities[2].code",
            "certifications[0].expires_on",
            "certifications[1].scheme",
            "contacts[0].email",
            "contacts[0].phone",
        ]
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM suppliers").await, 0);
}

#[tokio::test]
async fn server_owned_unknown_missing_and_mistyped_fields_are_422() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let with = |k: &str, v: Value| {
        let mut b = bajio();
        b[k] = v;
        b
    };
    let mut missing = bajio();
    missing.as_object_mut().unwrap().remove("employees");

    let cases = [
        (with("status", json!("verified")), "status", "read_only"),
        (
            with("size_class", json!("micro")),
            "size_class",
            "read_only",
        ),
        (with("version", json!(9)), "version", "read_only"),
        (with("fax", json!("+52")), "fax", "unknown_field"),
        (
            with(
                "certifications",
                json!([{ "scheme": "iso_9001", "status": "valid" }]),
            ),
            "certifications[0].status",
            "read_only",
        ),
        (missing, "employees", "required"),
        (
            with("employees", json!("forty")),
            "employees",
            "invalid_type",
        ),
        (with("sector", json!("mining")), "sector", "invalid"),
    ];
    for (body, field, code) in cases {
        let problem = assert_problem(app.post_supplier(&admin.token, &body).await, 422).await;
        assert_eq!(
            (
                problem.errors[0].field.as_str(),
                problem.errors[0].code.as_str()
            ),
            (field, code),
            "{body}"
        );
    }
}

#[tokio::test]
async fn tax_ids_are_checked_per_country_and_unique_per_country() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let supplier = |country: &str, tax_id: &str| {
        let mut b = bajio();
        b["country"] = json!(country);
        b["tax_id"] = json!(tax_id);
        b.as_object_mut().unwrap().remove("subdivision");
        // Companies of their own: external references are unique among suppliers.
        b.as_object_mut().unwrap().remove("external_refs");
        b
    };

    let first = app
        .create_supplier(&admin.token, &supplier("CR", "3-101-123456"))
        .await;
    let again = app
        .post_supplier(&admin.token, &supplier("CR", "3101123456"))
        .await;
    let elsewhere = app
        .post_supplier(&admin.token, &supplier("PA", "155596713-2-2015 DV 59"))
        .await;
    let us = app
        .post_supplier(&admin.token, &supplier("US", "12-3456789"))
        .await;
    let bad_ein = app
        .post_supplier(&admin.token, &supplier("US", "07-3456789"))
        .await;
    let bad_cedula = app
        .post_supplier(&admin.token, &supplier("CR", "3-999-123456"))
        .await;

    assert_eq!(first["tax_id"], "3101123456");
    assert_eq!(first["size_rule"], "CR-MEIC-BANDS-PROVISIONAL");
    let problem = assert_problem(again, 409).await;
    assert_eq!(
        problem.existing_id.map(|u| u.to_string()).as_deref(),
        first["id"].as_str()
    );
    assert_eq!(elsewhere.status().as_u16(), 201);
    let us: Value = us.json().await.unwrap();
    assert_eq!(
        (us["size_class"].as_str(), us["size_rule"].as_str()),
        (Some("small"), Some("FALLBACK-EMPLOYEES-10-50-250"))
    );
    for resp in [bad_ein, bad_cedula] {
        let problem = assert_problem(resp, 422).await;
        assert_eq!(problem.errors[0].field, "tax_id");
    }
}

#[tokio::test]
async fn concurrent_registrations_of_one_tax_id_give_one_201_and_the_rest_409() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let body = bajio();

    let attempts = (0..8).map(|_| app.post_supplier(&admin.token, &body));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM suppliers").await, 1);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM audit_log").await, 1);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM change_events").await,
        1
    );
}

#[tokio::test]
async fn the_same_idempotency_key_replays_the_first_response_per_caller() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let other = app.user_with_role("supplier").await;
    let send = |user: &TestUser, body: Value| {
        app.post_supplier_request(&user.token, &body)
            .header("idempotency-key", "retry-7f3a")
            .send()
    };

    let first = send(&owner, bajio()).await.unwrap();
    let second = send(&owner, bajio()).await.unwrap();
    let mut changed = bajio();
    changed["employees"] = json!(43);
    let different = send(&owner, changed).await.unwrap();
    let mut theirs = bajio();
    theirs["country"] = json!("GT");
    theirs["tax_id"] = json!("1234567-8");
    theirs.as_object_mut().unwrap().remove("subdivision");
    // Another company: `(system, value)` external references are unique among suppliers.
    theirs.as_object_mut().unwrap().remove("external_refs");
    let other_caller = send(&other, theirs).await.unwrap();
    let bad_key = app
        .post_supplier_request(&owner.token, &bajio())
        .header("idempotency-key", "")
        .send()
        .await
        .unwrap();

    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (201, 201)
    );
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    let (a, b): (Value, Value) = (first.json().await.unwrap(), second.json().await.unwrap());
    assert_eq!(a, b);
    let problem = assert_problem(different, 422).await;
    assert_eq!(problem.errors[0].field, "Idempotency-Key");
    assert_eq!(other_caller.status().as_u16(), 201, "keys are per caller");
    assert_problem(bad_key, 400).await;
    assert_eq!(count(&app, "SELECT count(*) AS n FROM suppliers").await, 2);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM change_events").await,
        2
    );
}

#[tokio::test]
async fn a_merge_patch_needs_if_match_bumps_the_version_and_is_audited() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let doc = app.create_supplier(&owner.token, &bajio()).await;
    let id = doc["id"].as_str().unwrap();

    let without = app
        .authed(Method::PATCH, &format!("/v1/suppliers/{id}"), &owner.token)
        .json(&json!({ "employees": 60 }))
        .send()
        .await
        .unwrap();
    let stale = app
        .patch_supplier(&owner.token, id, "\"9\"", &json!({ "employees": 60 }))
        .await;
    let malformed = app
        .patch_supplier(&owner.token, id, "{}", &json!({ "employees": 60 }))
        .await;
    let ok = app.patch_supplier(&owner.token, id, "\"1\"", &json!({ "employees": 300, "annual_sales": { "amount": "200000000", "currency": "MXN" }, "trade_name": null, "contacts": [{ "name": "Luis Peña" }] })).await;

    assert_problem(without, 428).await;
    assert_problem(stale, 412).await;
    let malformed = assert_problem(malformed, 400).await;
    assert_eq!(malformed.errors[0].field, "If-Match");
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    let updated: Value = ok.json().await.unwrap();
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["trade_name"], Value::Null);
    assert_eq!(
        updated["contacts"],
        json!([{ "name": "Luis Peña", "role": null, "email": null, "phone": null }])
    );
    assert_eq!(
        updated["size_class"], "medium",
        "300 workers + MXN 200 M = 210: recomputed"
    );
    assert_eq!(
        updated["annual_sales"],
        json!({ "amount": "200000000.00", "currency": "MXN" })
    );
    assert_eq!(
        updated["capabilities"], doc["capabilities"],
        "fields left out stay"
    );

    let noop = app
        .patch_supplier(&owner.token, id, "\"2\"", &json!({ "employees": 300 }))
        .await;
    assert_eq!(noop.headers()["etag"], "\"2\"", "no change, no new version");
    let required = app
        .patch_supplier(&owner.token, id, "\"2\"", &json!({ "legal_name": null }))
        .await;
    assert_eq!(
        assert_problem(required, 422).await.errors[0].field,
        "legal_name"
    );
    let owned = app
        .patch_supplier(
            &owner.token,
            id,
            "\"2\"",
            &json!({ "status": "verified", "id": "x" }),
        )
        .await;
    assert_eq!(assert_problem(owned, 422).await.errors.len(), 2);

    let entries = count(
        &app,
        &format!("SELECT count(*) AS n FROM audit_log WHERE supplier_id = '{id}'"),
    )
    .await;
    let events = count(
        &app,
        &format!("SELECT count(*) AS n FROM change_events WHERE supplier_id = '{id}'"),
    )
    .await;
    assert_eq!((entries, events), (2, 2), "create and one update");
    let audited = count(&app, &format!(
        "SELECT count(*) AS n FROM audit_log WHERE supplier_id = '{id}' AND action = 'update' \
         AND changes -> 'employees' = '[42, 300]' AND changes -> 'size_class' = '[\"small\", \"medium\"]' \
         AND actor_kind = 'user' AND actor_name = '{}' AND request_id IS NOT NULL", owner.email)).await;
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn who_may_change_a_supplier() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let other = app.user_with_role("supplier").await;
    let viewer = app.user_with_role("viewer").await;
    let doc = app.create_supplier(&owner.token, &bajio()).await;
    let id = doc["id"].as_str().unwrap().to_owned();
    let mx_agency = app.user_with_role("agency").await;
    let cr_agency = app.user_with_role("agency").await;
    exec(
        &app.db,
        &format!(
            "UPDATE users SET countries = '{{MX}}' WHERE id = '{}'",
            mx_agency.id
        ),
    )
    .await;
    exec(
        &app.db,
        &format!(
            "UPDATE users SET countries = '{{CR}}' WHERE id = '{}'",
            cr_agency.id
        ),
    )
    .await;

    assert_problem(
        app.patch_supplier(&other.token, &id, "*", &json!({ "city": "Celaya" }))
            .await,
        404,
    )
    .await;
    assert_problem(
        app.patch_supplier(&viewer.token, &id, "*", &json!({ "city": "Celaya" }))
            .await,
        403,
    )
    .await;
    assert_problem(
        app.patch_supplier(&cr_agency.token, &id, "*", &json!({ "city": "Celaya" }))
            .await,
        403,
    )
    .await;
    assert_eq!(
        app.patch_supplier(&mx_agency.token, &id, "*", &json!({ "city": "Celaya" }))
            .await
            .status()
            .as_u16(),
        200
    );
    let moved = app
        .patch_supplier(
            &mx_agency.token,
            &id,
            "*",
            &json!({ "country": "CR", "subdivision": null, "tax_id": "3-101-654321" }),
        )
        .await;
    assert_problem(moved, 403).await;
    exec(
        &app.db,
        &format!("UPDATE suppliers SET status = 'verified', verified_at = now() WHERE id = '{id}'"),
    )
    .await;
    assert_problem(
        app.patch_supplier(&other.token, &id, "*", &json!({ "city": "Celaya" }))
            .await,
        403,
    )
    .await;
    let mut cr_body = bajio();
    cr_body["country"] = json!("CR");
    cr_body["tax_id"] = json!("3-101-123456");
    cr_body.as_object_mut().unwrap().remove("subdivision");
    cr_body.as_object_mut().unwrap().remove("external_refs");
    assert_problem(app.post_supplier(&mx_agency.token, &cr_body).await, 403).await;
    assert_eq!(
        app.post_supplier(&cr_agency.token, &cr_body)
            .await
            .status()
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn an_owner_changing_verified_fields_sends_the_profile_back_to_pending() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let doc = app.create_supplier(&owner.token, &bajio()).await;
    let id = doc["id"].as_str().unwrap();
    exec(
        &app.db,
        &format!("UPDATE suppliers SET status = 'verified', verified_at = now() WHERE id = '{id}'"),
    )
    .await;

    let minor: Value = app
        .patch_supplier(&owner.token, id, "*", &json!({ "city": "Silao" }))
        .await
        .json()
        .await
        .unwrap();
    let major: Value = app
        .patch_supplier(
            &owner.token,
            id,
            "*",
            &json!({ "legal_name": "Ensambles del Bajío S.A.P.I. de C.V." }),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(minor["status"], "verified");
    assert_eq!(major["status"], "pending");
    let status_events = count(&app, &format!("SELECT count(*) AS n FROM change_events WHERE supplier_id = '{id}' AND type = 'supplier.status_changed'")).await;
    assert_eq!(status_events, 1);
}

#[tokio::test]
async fn archiving_keeps_the_supplier_readable_by_its_owner_only() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let agency = app.user_with_role("agency").await;
    let doc = app.create_supplier(&owner.token, &bajio()).await;
    let path = format!("/v1/suppliers/{}", doc["id"].as_str().unwrap());
    let delete = |token: &str, tag: Option<&str>| {
        let mut req = app.authed(Method::DELETE, &path, token);
        if let Some(tag) = tag {
            req = req.header("if-match", tag);
        }
        req.send()
    };

    assert_problem(delete(&owner.token, None).await.unwrap(), 428).await;
    assert_problem(delete(&agency.token, Some("\"1\"")).await.unwrap(), 403).await;
    assert_eq!(
        delete(&owner.token, Some("\"1\""))
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    assert_problem(delete(&owner.token, Some("\"2\"")).await.unwrap(), 409).await;

    let read: Value = app
        .authed(Method::GET, &path, &owner.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (read["status"].as_str(), read["version"].as_i64()),
        (Some("archived"), Some(2))
    );
    assert_eq!(
        app.authed(Method::GET, &path, &agency.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_problem(app.get(&path).await, 404).await;
    assert_problem(
        app.patch_supplier(
            &owner.token,
            doc["id"].as_str().unwrap(),
            "\"2\"",
            &json!({ "city": "x" }),
        )
        .await,
        409,
    )
    .await;
    let archived = count(
        &app,
        "SELECT count(*) AS n FROM change_events WHERE type = 'supplier.archived'",
    )
    .await;
    assert_eq!(archived, 1);
}

#[tokio::test]
async fn audit_rows_cannot_be_changed_or_deleted() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    app.create_supplier(&owner.token, &bajio()).await;
    use diesel_async::RunQueryDsl;
    let mut conn = app.db.connect().await;

    let update = diesel::sql_query("UPDATE audit_log SET actor_name = 'someone else'")
        .execute(&mut conn)
        .await;
    let delete = diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut conn)
        .await;

    assert!(update.is_err() && delete.is_err());
    assert_eq!(count(&app, "SELECT count(*) AS n FROM audit_log").await, 1);
}

#[tokio::test]
async fn an_empty_body_names_every_required_field() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;

    let problem = assert_problem(
        app.post_supplier(&admin.token, &json!({ "fax": 1 })).await,
        422,
    )
    .await;

    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "fax",
            "legal_name",
            "tax_id",
            "country",
            "sector",
            "employees"
        ]
    );
}

#[tokio::test]
async fn what_json_schema_calls_valid_is_valid_here_too() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let mut body = bajio();
    // 42.0 is the integer 42 to JSON Schema; a tab is text.
    body["employees"] = json!(42.0);
    body["founded_year"] = json!(2001.0);
    body["website"] = json!("https://EnBajio.mx/");
    body["city"] = json!("León\tGuanajuato");

    let resp = app.post_supplier(&owner.token, &body).await;

    let status = resp.status().as_u16();
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(status, 201, "{doc}");
    assert_eq!(doc["employees"], 42);
    assert_eq!(doc["founded_year"], 2001);
    let mut fraction = bajio();
    fraction["employees"] = json!(42.5);
    fraction["tax_id"] = json!("EBA0102035A9");
    let problem = assert_problem(app.post_supplier(&owner.token, &fraction).await, 422).await;
    assert_eq!(problem.errors[0].field, "employees");
    // Parameters are scalars or lists of them, as the document says.
    let mut nested = bajio();
    nested["tax_id"] = json!("EBA0102035A9");
    nested["capabilities"] =
        json!([{ "code": "atp.asm", "parameters": { "pitch": { "um": 40 } } }]);
    let problem = assert_problem(app.post_supplier(&owner.token, &nested).await, 422).await;
    assert_eq!(problem.errors[0].field, "capabilities[0].parameters.pitch");
}
