//! The development ladder and resilience statistics, and the kept answers of the public
//! statistics, over HTTP.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, exec, spawn_app, spawn_app_with};

/// Registers a supplier in `country` (a subdivision optional) offering `codes`, as `token`;
/// returns its id.
async fn register(
    app: &TestApp,
    token: &str,
    (country, tax_id, subdivision): (&str, &str, Option<&str>),
    codes: &[&str],
    certifications: Value,
) -> String {
    let mut body = json!({
        "legal_name": format!("Proveedor {tax_id}"), "tax_id": tax_id, "country": country,
        "sector": "manufacturing", "employees": 30,
        "capabilities": codes.iter().map(|c| json!({ "code": c })).collect::<Vec<_>>(),
        "certifications": certifications,
    });
    if let Some(s) = subdivision {
        body["subdivision"] = json!(s);
    }
    app.create_supplier(token, &body).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn step(app: &TestApp, token: &str, id: &str, transition: &str, reason: Option<&str>) {
    let resp = app.transition(token, id, transition, reason).await;
    assert_eq!(resp.status().as_u16(), 200, "{transition} {id}");
}

fn quality(scheme: &str) -> Value {
    json!([{ "scheme": scheme, "number": "C-1", "issued_on": "2025-01-10", "expires_on": "2099-01-09" }])
}

async fn get(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.json().await.expect("json")
}

fn this_month() -> String {
    Utc::now().format("%Y-%m").to_string()
}

#[tokio::test]
async fn the_ladder_counts_each_cohort_from_the_audit_history_and_suppresses_small_counts() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let t = admin.token.as_str();
    // This month: five registered, four submitted, three verified (one of them suspended since),
    // three certified (one at registration, two by a later edit; an environmental certificate
    // does not count).
    let mx = |tax: &'static str| ("MX", tax, Some("MX-JAL"));
    let a = register(
        &app,
        t,
        mx("LAD0101015A1"),
        &["atp.tst.ft"],
        quality("iso_9001"),
    )
    .await;
    let b = register(&app, t, mx("LAD0101015A2"), &["atp.tst.ft"], json!([])).await;
    let c = register(&app, t, mx("LAD0101015A3"), &["atp.asm.wb"], json!([])).await;
    let d = register(
        &app,
        t,
        mx("LAD0101015A4"),
        &["log.cus"],
        quality("iso_14001"),
    )
    .await;
    let _e = register(&app, t, mx("LAD0101015A5"), &["log.cus"], json!([])).await;
    for id in [&a, &b, &c, &d] {
        step(&app, t, id, "submit", None).await;
    }
    for id in [&a, &b, &c] {
        step(&app, t, id, "verify", None).await;
    }
    step(&app, t, &a, "suspend", Some("Audit pending")).await;
    step(&app, t, &d, "reject", Some("Documents incomplete")).await;
    for id in [&b, &c] {
        let doc = get(&app, &format!("/v1/suppliers/{id}")).await;
        let version = doc["version"].as_i64().expect("version");
        let patch = json!({ "certifications": quality("iatf_16949") });
        let resp = app
            .patch_supplier(t, id, &format!("\"{version}\""), &patch)
            .await;
        assert_eq!(resp.status().as_u16(), 200);
    }
    // Two suppliers registered in January 2026 (the API cannot backdate a registration: the
    // fixture moves them), one of them in Costa Rica.
    let old = register(&app, t, mx("LAD0101015A6"), &["atp.tst.ft"], json!([])).await;
    let cr = register(
        &app,
        t,
        ("CR", "3101654321", Some("CR-H")),
        &["atp.tst.ft"],
        json!([]),
    )
    .await;
    exec(
        &app.db,
        &format!(
            "UPDATE suppliers SET created_at = '2026-01-15T12:00:00Z' WHERE id IN ('{old}', '{cr}')"
        ),
    )
    .await;

    let ladder = get(&app, "/v1/stats/ladder?country=MX").await;
    let cohorts = ladder["data"].as_array().expect("data");
    assert_eq!(cohorts[0]["cohort"], "2026-01", "from the first cohort");
    assert_eq!(
        cohorts.last().expect("a cohort")["cohort"],
        this_month(),
        "to the current month"
    );
    let months = cohorts.len();
    assert!(
        months >= 2
            && cohorts
                .iter()
                .all(|c| c.as_object().expect("cohort").len() == 6)
    );
    // One registration in January 2026 in Mexico: suppressed; nothing else reached there: 0.
    assert_eq!(
        cohorts[0],
        json!({ "cohort": "2026-01", "registered": null, "submitted": 0, "verified": 0,
                "certified": 0, "median_days_to_verified": null })
    );
    if months > 2 {
        assert_eq!(
            cohorts[1]["registered"], 0,
            "months without registrations are zeros"
        );
    }
    let now = cohorts.last().expect("this month");
    assert_eq!(now["registered"], 5);
    assert_eq!(now["submitted"], 4, "the rejected one was submitted");
    assert_eq!(now["verified"], 3, "a suspended supplier was verified");
    assert_eq!(
        now["certified"], 3,
        "iso_9001 at registration and iatf_16949 later"
    );
    let median = now["median_days_to_verified"].as_f64().expect("median");
    assert!((0.0..0.1).contains(&median), "{median}");

    // Filters: the capability (with the codes below it), the country, the range.
    let atp = get(&app, "/v1/stats/ladder?country=MX&capability=atp").await;
    let atp_now = atp["data"]
        .as_array()
        .expect("data")
        .last()
        .cloned()
        .expect("cohort");
    assert_eq!(
        (atp_now["registered"].clone(), atp_now["verified"].clone()),
        (json!(3), json!(3))
    );
    let january = get(&app, "/v1/stats/ladder?from=2026-01&to=2026-01").await;
    assert_eq!(january["data"].as_array().expect("data").len(), 1);
    assert_eq!(
        january["data"][0]["registered"],
        json!(null),
        "two are suppressed too"
    );
    let costa_rica = get(&app, "/v1/stats/ladder?country=CR&from=2026-01&to=2026-02").await;
    assert_eq!(costa_rica["data"][1]["registered"], 0);
    let empty = get(&app, "/v1/stats/ladder?country=PA").await;
    assert_eq!(empty["data"], json!([]));

    for (query, field) in [
        ("from=2026-13", "from"),
        ("to=26-01", "to"),
        ("from=2026-05&to=2026-04", "from"),
        ("from=1900-01", "from"),
        ("capability=ATP", "capability"),
        ("country=Mexico", "country"),
        ("cohort=2026-01", "cohort"),
    ] {
        let resp = app.get(&format!("/v1/stats/ladder?{query}")).await;
        assert_eq!(
            assert_problem(resp, 400).await.errors[0].field,
            field,
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_median_days_to_verification_are_those_of_the_cohort() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let t = admin.token.as_str();
    let mut ids = Vec::new();
    for tax in ["MED0101015A1", "MED0101015A2", "MED0101015A3"] {
        let id = register(&app, t, ("MX", tax, None), &["atp"], json!([])).await;
        step(&app, t, &id, "submit", None).await;
        step(&app, t, &id, "verify", None).await;
        ids.push(id);
    }
    // Registered on the 2nd, 5th and 20th of March 2026; verified now.
    let registered = [
        "2026-03-02T00:00:00Z",
        "2026-03-05T00:00:00Z",
        "2026-03-20T00:00:00Z",
    ];
    let mut days = Vec::new();
    for (id, at) in ids.iter().zip(registered) {
        exec(
            &app.db,
            &format!("UPDATE suppliers SET created_at = '{at}' WHERE id = '{id}'"),
        )
        .await;
        let doc = get(&app, &format!("/v1/suppliers/{id}")).await;
        let verified: DateTime<Utc> = doc["verified_at"]
            .as_str()
            .expect("verified_at")
            .parse()
            .expect("time");
        let registered: DateTime<Utc> = at.parse().expect("time");
        days.push((verified - registered).num_seconds() as f64 / 86_400.0);
    }
    days.sort_by(f64::total_cmp);
    let ladder = get(&app, "/v1/stats/ladder?from=2026-03&to=2026-03").await;
    let march = &ladder["data"][0];
    assert_eq!(
        (march["registered"].clone(), march["verified"].clone()),
        (json!(3), json!(3))
    );
    let median = march["median_days_to_verified"].as_f64().expect("median");
    assert!((median - days[1]).abs() <= 0.05, "{median} vs {days:?}");
}

#[tokio::test]
async fn resilience_matches_a_hand_computed_fixture() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let t = admin.token.as_str();
    // Verified final-test suppliers: two in Jalisco, one in Nuevo León, one in Baja California, one
    // in Costa Rica; one wire bonder in Jalisco; one customs broker without a subdivision; and a
    // pending final-test supplier, which does not count.
    let fixture: [(&str, &str, Option<&str>, &str, bool); 8] = [
        ("MX", "RES0101015A1", Some("MX-JAL"), "atp.tst.ft", true),
        ("MX", "RES0101015A2", Some("MX-JAL"), "atp.tst.ft", true),
        ("MX", "RES0101015A3", Some("MX-NLE"), "atp.tst.ft", true),
        ("MX", "RES0101015A4", Some("MX-BCN"), "atp.tst.ft", true),
        ("CR", "3101777777", Some("CR-H"), "atp.tst.ft", true),
        ("MX", "RES0101015A5", Some("MX-JAL"), "atp.asm.wb", true),
        ("MX", "RES0101015A6", None, "log.cus", true),
        ("MX", "RES0101015A7", Some("MX-SON"), "atp.tst.ft", false),
    ];
    for (country, tax, subdivision, code, verify) in fixture {
        let id = register(&app, t, (country, tax, subdivision), &[code], json!([])).await;
        step(&app, t, &id, "submit", None).await;
        if verify {
            step(&app, t, &id, "verify", None).await;
        }
    }
    let of = |doc: &Value, code: &str| {
        doc["data"]
            .as_array()
            .expect("data")
            .iter()
            .find(|c| c["capability"] == code)
            .cloned()
            .expect("every capability is answered")
    };
    let mx = get(&app, "/v1/stats/resilience?country=MX").await;
    // Final test in Mexico: 2, 1, 1 of 4 → shares 50 %, 25 %, 25 %; HHI 2,500 + 625 + 625.
    assert_eq!(
        of(&mx, "atp.tst.ft"),
        json!({ "capability": "atp.tst.ft", "label": of(&mx, "atp.tst.ft")["label"], "verified": 4,
                "subdivisions": 3, "largest_share": 0.5, "hhi": 3750.0, "single_source": false })
    );
    // The whole of ATP: 3, 1, 1 of 5 → 60 %, 20 %, 20 %; HHI 3,600 + 400 + 400.
    let atp = of(&mx, "atp");
    assert_eq!(
        (atp["verified"].clone(), atp["hhi"].clone()),
        (json!(5), json!(4400.0))
    );
    assert_eq!(atp["largest_share"], 0.6);
    let wb = of(&mx, "atp.asm.wb");
    assert_eq!(
        (wb["single_source"].clone(), wb["hhi"].clone()),
        (json!(true), json!(10000.0))
    );
    // Without a subdivision: counted, but no share.
    let customs = of(&mx, "log.cus");
    assert_eq!(
        (
            customs["verified"].clone(),
            customs["subdivisions"].clone(),
            customs["hhi"].clone()
        ),
        (json!(1), json!(0), json!(null))
    );
    let none = of(&mx, "fab");
    assert_eq!(
        (none["verified"].clone(), none["single_source"].clone()),
        (json!(0), json!(false))
    );
    let codes = mx["data"].as_array().expect("data").len();
    let coverage = get(&app, "/v1/stats/coverage").await;
    assert_eq!(
        codes,
        coverage["capabilities"]
            .as_array()
            .expect("capabilities")
            .len()
    );

    // The hemisphere by country: final test in Mexico 4 and Costa Rica 1 → 80 %, 20 %.
    let all = get(&app, "/v1/stats/resilience").await;
    let ft = of(&all, "atp.tst.ft");
    assert_eq!(ft["countries"], 2);
    assert!(ft.get("subdivisions").is_none());
    assert_eq!(
        (ft["largest_share"].clone(), ft["hhi"].clone()),
        (json!(0.8), json!(6800.0))
    );
    let spanish: Value = app
        .client
        .get(app.url("/v1/stats/resilience?country=MX"))
        .header("accept-language", "es")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_ne!(of(&spanish, "atp")["label"], of(&mx, "atp")["label"]);
    let bad = app.get("/v1/stats/resilience?country=mx").await;
    assert_eq!(assert_problem(bad, 400).await.errors[0].field, "country");
}

#[tokio::test]
async fn public_statistics_are_kept_for_their_max_age_whatever_is_written() {
    let app = spawn_app_with(|_, env| {
        env.insert("STATS_CACHE_SECONDS".into(), "30".into());
    })
    .await;
    let admin = app.user_with_role("admin").await;
    let paths = [
        "/v1/stats/ladder",
        "/v1/stats/resilience?country=MX",
        "/v1/stats/coverage?country=MX",
        "/v1/stats/summary",
    ];
    let mut before = Vec::new();
    for path in paths {
        let resp = app.get(path).await;
        assert_eq!(
            resp.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("public, max-age=30"),
            "{path}"
        );
        before.push(resp.text().await.expect("body"));
    }
    let id = register(
        &app,
        &admin.token,
        ("MX", "KEP0101015A1", Some("MX-JAL")),
        &["atp"],
        json!([]),
    )
    .await;
    step(&app, &admin.token, &id, "submit", None).await;
    step(&app, &admin.token, &id, "verify", None).await;
    for (path, before) in paths.iter().zip(before) {
        let after = app.get(path).await.text().await.expect("body");
        assert_eq!(after, before, "{path} is the kept answer");
    }
    // The cache is per query (and language): another is computed now, and sees the write.
    let fresh: Value = app
        .client
        .get(app.url("/v1/stats/resilience?country=MX"))
        .header("accept-language", "es")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let atp = fresh["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|c| c["capability"] == "atp")
        .cloned();
    assert_eq!(atp.expect("atp")["verified"], 1);
}

#[tokio::test]
async fn the_seed_gives_suppliers_a_past_the_ladder_and_the_histories_show() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    supplier_registry::seed::run(&app.db.url(), 1500, 11)
        .await
        .expect("seed");
    let ladder = get(&app, "/v1/stats/ladder").await;
    let cohorts = ladder["data"].as_array().expect("data");
    assert!(
        (23..=26).contains(&cohorts.len()),
        "registrations spread over 24 months: {}",
        cohorts.len()
    );
    let total = |key: &str| -> i64 { cohorts.iter().filter_map(|c| c[key].as_i64()).sum() };
    let (registered, submitted, verified) =
        (total("registered"), total("submitted"), total("verified"));
    assert!(
        registered > 1300 && submitted < registered && verified < submitted && verified > 900,
        "{registered} {submitted} {verified}"
    );
    assert!(total("certified") > 0);
    assert!(cohorts.iter().any(|c| {
        c["median_days_to_verified"]
            .as_f64()
            .is_some_and(|d| d > 1.0)
    }));
    // A seeded verified supplier's history: created, submitted, verified, in order.
    let page = app
        .get_json(&admin.token, "/v1/suppliers?status=verified&limit=1")
        .await;
    let id = page["data"][0]["id"].as_str().expect("id");
    let history = app
        .get_json(&admin.token, &format!("/v1/suppliers/{id}/history"))
        .await;
    let actions: Vec<&str> = history["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["create", "submit", "verify"]);
    // Rejections happened too: the audit log has them (the ladder does not show them).
    let rejected = app
        .get_json(&admin.token, "/v1/suppliers?status=rejected&limit=1")
        .await;
    assert_eq!(rejected["data"].as_array().map(Vec::len), Some(1));
}
