//! The verification workflow (every transition × state × role), concurrent transitions, history,
//! owners, the certificate expiry job and the public statistics.

use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestUser, assert_problem, exec, spawn_app};

const STATES: [&str; 6] = [
    "draft",
    "pending",
    "verified",
    "rejected",
    "suspended",
    "archived",
];
const TRANSITIONS: [&str; 5] = ["submit", "verify", "reject", "suspend", "reinstate"];

fn body(country: &str, tax_id: &str) -> Value {
    let mut b = json!({
        "legal_name": "Pruebas y Empaques de Jalisco", "tax_id": tax_id, "country": country,
        "sector": "manufacturing", "employees": 12,
        "capabilities": [{ "code": "atp.tst.ft" }]
    });
    if country == "MX" {
        b["subdivision"] = json!("MX-JAL");
    }
    b
}

fn set_state_sql(id: &str, state: &str) -> String {
    format!(
        "UPDATE suppliers SET status = '{state}', verified_at = CASE WHEN '{state}' IN ('verified', 'suspended') THEN now() END WHERE id = '{id}'"
    )
}

/// What the contract says: the edges, and who may take them.
fn expected(transition: &str, state: &str, who: &str) -> u16 {
    let (from, to_roles): (&[&str], &[&str]) = match transition {
        "submit" => (&["draft", "rejected"], &["owner", "admin"]),
        "verify" | "reject" => (&["pending"], &["agency_mx", "agency_cr", "admin"]),
        "suspend" => (&["verified"], &["agency_mx", "agency_cr", "admin"]),
        _ => (&["suspended"], &["agency_mx", "agency_cr", "admin"]),
    };
    let role_allowed = match transition {
        "submit" => ["owner", "other_supplier", "admin"].contains(&who),
        _ => ["agency_mx", "agency_cr", "admin"].contains(&who),
    };
    if !role_allowed {
        return 403;
    }
    // A supplier that is not the owner sees only verified profiles; others are 404 to it.
    if who == "other_supplier" {
        return if state == "verified" { 403 } else { 404 };
    }
    if !to_roles.contains(&who) || who == "agency_cr" {
        return 403;
    }
    if from.contains(&state) { 200 } else { 409 }
}

#[tokio::test]
async fn every_transition_from_every_state_for_every_role() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let mut actors: Vec<(&str, TestUser)> = vec![
        ("owner", app.user_with_role("supplier").await),
        ("other_supplier", app.user_with_role("supplier").await),
        ("agency_mx", app.user_with_role("agency").await),
        ("agency_cr", app.user_with_role("agency").await),
        ("viewer", app.user_with_role("viewer").await),
        ("admin", app.user_with_role("admin").await),
    ];
    actors[0].1 = owner;
    exec(
        &app.db,
        &format!(
            "UPDATE users SET countries = '{{MX}}' WHERE id = '{}'",
            actors[2].1.id
        ),
    )
    .await;
    exec(
        &app.db,
        &format!(
            "UPDATE users SET countries = '{{CR}}' WHERE id = '{}'",
            actors[3].1.id
        ),
    )
    .await;
    let supplier = app
        .create_supplier(&actors[0].1.token, &body("MX", "PEJ0101015A1"))
        .await;
    let id = supplier["id"].as_str().unwrap();

    for transition in TRANSITIONS {
        for state in STATES {
            for (who, user) in &actors {
                exec(&app.db, &set_state_sql(id, state)).await;
                let reason = ["reject", "suspend"]
                    .contains(&transition)
                    .then_some("Falta documentación");
                let resp = app.transition(&user.token, id, transition, reason).await;
                let want = expected(transition, state, who);
                assert_eq!(
                    resp.status().as_u16(),
                    want,
                    "{transition} from {state} as {who}"
                );
                if want == 200 {
                    let doc: Value = resp.json().await.unwrap();
                    let to = match transition {
                        "submit" => "pending",
                        "verify" | "reinstate" => "verified",
                        "reject" => "rejected",
                        _ => "suspended",
                    };
                    assert_eq!(doc["status"], to);
                    assert_eq!(doc["status_reason"].as_str(), reason);
                    if to == "verified" {
                        assert!(doc["verified_at"].is_string());
                    }
                } else {
                    let problem = assert_problem(resp, want).await;
                    if want == 409 {
                        assert!(
                            problem.detail.contains(&format!("`{state}`")),
                            "{}",
                            problem.detail
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn reject_and_suspend_need_a_reason_and_if_match_is_checked_when_sent() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let agency = app.user_with_role("agency").await;
    let doc = app
        .create_supplier(&owner.token, &body("MX", "PEJ0101015A1"))
        .await;
    let id = doc["id"].as_str().unwrap();
    assert_eq!(
        app.transition(&owner.token, id, "submit", None)
            .await
            .status()
            .as_u16(),
        200
    );

    let no_body = app.transition(&agency.token, id, "reject", None).await;
    let blank = app
        .transition(&agency.token, id, "reject", Some("   "))
        .await;
    let stale = app
        .transition_request(&agency.token, id, "verify", None)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    let fresh = app
        .transition_request(&agency.token, id, "verify", None)
        .header("if-match", "\"2\"")
        .send()
        .await
        .unwrap();

    assert_eq!(assert_problem(no_body, 422).await.errors[0].field, "reason");
    assert_eq!(assert_problem(blank, 422).await.errors[0].field, "reason");
    assert_problem(stale, 412).await;
    assert_eq!(fresh.status().as_u16(), 200);
    assert_eq!(fresh.headers()["etag"], "\"3\"");
}

#[tokio::test]
async fn concurrent_transitions_on_one_supplier_cannot_both_win() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let agency = app.user_with_role("agency").await;
    let admin = app.user_with_role("admin").await;
    for round in 0..5 {
        let doc = app
            .create_supplier(&owner.token, &body("GT", &format!("RACE{round:04}")))
            .await;
        let id = doc["id"].as_str().unwrap();
        app.transition(&owner.token, id, "submit", None).await;

        let (a, b) = tokio::join!(
            app.transition(&agency.token, id, "verify", None),
            app.transition(&admin.token, id, "reject", Some("Duplicado"))
        );

        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}");
    }
}

#[tokio::test]
async fn history_lists_every_change_with_actor_request_and_old_and_new_values() {
    let app = spawn_app().await;
    let owner = app.user_with_role("supplier").await;
    let agency = app.user_with_role("agency").await;
    let viewer = app.user_with_role("viewer").await;
    let doc = app
        .create_supplier(&owner.token, &body("MX", "PEJ0101015A1"))
        .await;
    let id = doc["id"].as_str().unwrap();
    let patched = app
        .authed(Method::PATCH, &format!("/v1/suppliers/{id}"), &owner.token)
        .header("if-match", "\"1\"")
        .header("x-request-id", "edit-employees-1")
        .json(&json!({ "employees": 20 }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status().as_u16(), 200);
    app.transition(&owner.token, id, "submit", None).await;
    app.transition(&agency.token, id, "verify", None).await;
    app.transition(&agency.token, id, "suspend", Some("Certificado vencido"))
        .await;

    let path = format!("/v1/suppliers/{id}/history");
    let all: Value = app
        .authed(Method::GET, &path, &owner.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first_page: Value = app
        .authed(Method::GET, &format!("{path}?limit=2"), &agency.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_page: Value = app
        .authed(
            Method::GET,
            &format!(
                "{path}?limit=2&cursor={}",
                first_page["next_cursor"].as_str().unwrap()
            ),
            &agency.token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let entries = all["data"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "submit", "verify", "suspend"]);
    let update = &entries[1];
    assert_eq!(update["changes"], json!({ "employees": [12, 20] }));
    assert_eq!(update["request_id"], "edit-employees-1");
    assert_eq!(
        update["actor"],
        json!({ "kind": "user", "id": owner.id, "name": owner.email })
    );
    assert_eq!(entries[3]["actor"]["name"], agency.email.as_str());
    assert_eq!(
        entries[4]["changes"]["status"],
        json!(["verified", "suspended"])
    );
    assert_eq!(
        entries[4]["changes"]["status_reason"],
        json!([null, "Certificado vencido"])
    );
    assert!(entries.iter().all(|e| e["at"].is_string()));
    assert_eq!(first_page["data"].as_array().unwrap().len(), 2);
    assert_eq!(second_page["data"][0]["action"], "submit");
    assert_problem(
        app.authed(Method::GET, &path, &viewer.token)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_problem(app.get(&path).await, 401).await;
}

#[tokio::test]
async fn agencies_and_admins_add_and_remove_owners() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let agency = app.user_with_role("agency").await;
    let newcomer = app.user_with_role("supplier").await;
    let viewer = app.user_with_role("viewer").await;
    let doc = app
        .create_supplier(&admin.token, &body("MX", "PEJ0101015A1"))
        .await;
    let id = doc["id"].as_str().unwrap();
    let owners = format!("/v1/suppliers/{id}/owners/{}", newcomer.id);
    let to_zapopan = json!({ "city": "Zapopan" });
    let edit = || app.patch_supplier(&newcomer.token, id, "*", &to_zapopan);

    assert_eq!(edit().await.status().as_u16(), 404);
    assert_problem(
        app.authed(Method::PUT, &owners, &newcomer.token)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let not_supplier = app
        .authed(
            Method::PUT,
            &format!("/v1/suppliers/{id}/owners/{}", viewer.id),
            &admin.token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_problem(not_supplier, 422).await.errors[0].field,
        "user_id"
    );
    assert_eq!(
        app.authed(Method::PUT, &owners, &agency.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        app.authed(Method::PUT, &owners, &agency.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204,
        "idempotent"
    );
    assert_eq!(edit().await.status().as_u16(), 200);
    assert_eq!(
        app.authed(Method::DELETE, &owners, &admin.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    assert_problem(
        app.authed(Method::DELETE, &owners, &admin.token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(edit().await.status().as_u16(), 404);
    let history: Value = app
        .authed(
            Method::GET,
            &format!("/v1/suppliers/{id}/history"),
            &admin.token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = history["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "add_owner", "update", "remove_owner"]);
}

#[tokio::test]
async fn the_expiry_job_moves_certificates_and_emits_one_event_per_supplier() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let mut with_certs = body("MX", "PEJ0101015A1");
    with_certs["certifications"] = json!([
        { "scheme": "iso_9001", "issued_on": "2024-01-01", "expires_on": "2035-01-01" },
        { "scheme": "iatf_16949", "issued_on": "2024-01-01", "expires_on": "2035-01-01" },
        { "scheme": "iso_14001", "issued_on": "2024-01-01", "expires_on": "2035-01-01" }
    ]);
    let doc = app.create_supplier(&admin.token, &with_certs).await;
    let id = doc["id"].as_str().unwrap();
    // Time passes: the first certificate has expired, the second expires in 30 days.
    exec(&app.db, &format!("UPDATE supplier_certifications SET expires_on = CASE position WHEN 0 THEN current_date - 1 WHEN 1 THEN current_date + 30 ELSE expires_on END WHERE supplier_id = '{id}'")).await;
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_supplier-registry"))
            .args(["jobs", "expire-certificates"])
            .env("DATABASE_URL", app.db.url())
            .output()
            .unwrap()
    };

    let first = run();
    let second = run();

    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let outcome: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(outcome, json!({ "suppliers": 1, "certificates": 2 }));
    let again: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(
        again,
        json!({ "suppliers": 0, "certificates": 0 }),
        "nothing moves twice"
    );
    let after: Value = app
        .authed(Method::GET, &format!("/v1/suppliers/{id}"), &admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = after["certifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["expired", "expiring", "valid"]);
    assert_eq!(after["version"], 2);
    let history: Value = app
        .authed(
            Method::GET,
            &format!("/v1/suppliers/{id}/history"),
            &admin.token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = history["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "certificates_expiry");
    assert_eq!(last["actor"]["kind"], "system");
    assert_eq!(
        last["changes"]["certifications[0].status"],
        json!(["valid", "expired"])
    );
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.connect().await;
    let events: N = diesel::sql_query(format!("SELECT count(*) AS n FROM change_events WHERE supplier_id = '{id}' AND type = 'supplier.updated' AND data -> 'changed' = '[\"certifications\"]'"))
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(events.n, 1);
}

#[tokio::test]
async fn statistics_match_a_known_fixture_exactly() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let fixture = [
        (
            "MX",
            "PEJ0101015A1",
            Some("MX-JAL"),
            vec!["atp.tst.ft"],
            8,
            true,
        ),
        (
            "MX",
            "PEN0101015A2",
            Some("MX-NLE"),
            vec!["atp.tst.ft", "atp.asm.wb"],
            40,
            true,
        ),
        (
            "MX",
            "PEQ0101015A3",
            Some("MX-JAL"),
            vec!["log.cus"],
            300,
            true,
        ),
        (
            "CR",
            "3101123456",
            Some("CR-H"),
            vec!["atp.asm.wb"],
            20,
            true,
        ),
        (
            "MX",
            "PER0101015A4",
            Some("MX-JAL"),
            vec!["atp.tst.ft"],
            5,
            false,
        ),
    ];
    for (country, tax_id, subdivision, codes, employees, verify) in fixture {
        let mut b = json!({ "legal_name": format!("Fixture {tax_id}"), "tax_id": tax_id, "country": country, "sector": "services",
            "employees": employees, "capabilities": codes.iter().map(|c| json!({ "code": c })).collect::<Vec<_>>() });
        if let Some(s) = subdivision {
            b["subdivision"] = json!(s);
        }
        let doc = app.create_supplier(&admin.token, &b).await;
        let id = doc["id"].as_str().unwrap();
        app.transition(&admin.token, id, "submit", None).await;
        if verify {
            assert_eq!(
                app.transition(&admin.token, id, "verify", None)
                    .await
                    .status()
                    .as_u16(),
                200
            );
        }
    }

    let mx: Value = app
        .get("/v1/stats/coverage?country=MX")
        .await
        .json()
        .await
        .unwrap();
    let all: Value = app.get("/v1/stats/coverage").await.json().await.unwrap();
    let summary: Value = app.get("/v1/stats/summary").await.json().await.unwrap();
    let bad = app.get("/v1/stats/coverage?country=Mexico").await;

    let node = |doc: &Value, code: &str| {
        doc["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()
            .clone()
    };
    let tst = node(&mx, "atp.tst.ft");
    assert_eq!(
        tst["verified_suppliers"], 2,
        "the pending one does not count"
    );
    assert_eq!(
        tst["by_size_class"],
        json!([{ "value": "micro", "count": 1 }, { "value": "small", "count": 1 }])
    );
    assert_eq!(
        tst["by_subdivision"],
        json!([{ "value": "MX-JAL", "count": 1 }, { "value": "MX-NLE", "count": 1 }])
    );
    assert_eq!(
        node(&mx, "atp")["verified_suppliers"],
        2,
        "a segment counts each supplier once"
    );
    assert_eq!(node(&all, "atp")["verified_suppliers"], 3);
    assert_eq!(node(&all, "atp.asm.wb")["verified_suppliers"], 2);
    assert_eq!(node(&mx, "log")["verified_suppliers"], 1);
    let gaps = mx["gaps"].as_array().unwrap();
    assert!(gaps.contains(&json!("fab.mems")) && !gaps.contains(&json!("atp.tst.ft")));
    assert_eq!(mx["capabilities"].as_array().unwrap().len(), 77);
    assert_eq!(
        summary["by_country"],
        json!([{ "value": "CR", "count": 1 }, { "value": "MX", "count": 3 }])
    );
    assert_eq!(
        summary["by_status"],
        json!([{ "value": "pending", "count": 1 }, { "value": "verified", "count": 4 }])
    );
    // Services without sales: headcount bands (300 is large); Costa Rica's provisional bands (20 is small).
    assert_eq!(
        summary["by_size_class"],
        json!([{ "value": "large", "count": 1 }, { "value": "micro", "count": 1 }, { "value": "small", "count": 2 }])
    );
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(
        summary["verifications_per_month"],
        json!([{ "month": month, "count": 4 }])
    );
    assert_eq!(assert_problem(bad, 400).await.errors[0].field, "country");
}
