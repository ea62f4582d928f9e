//! Search: every filter alone and combined, accents and typos, capability subtrees, visibility by
//! role, pagination under concurrent inserts, bad parameters, facets that agree with the search
//! (and with the public statistics), and export.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, exec, spawn_app, supplier_body};

/// (legal name, tax id, country, subdivision, employees, capability, certification, lat, lon)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    i64,
    &'static str,
    Option<&'static str>,
    f64,
    f64,
);

const FIXTURE: &[Row] = &[
    (
        "Ensambles Nájera",
        "ENA0101015A1",
        "MX",
        Some("MX-JAL"),
        8,
        "atp.asm.wb",
        Some("iso_9001"),
        20.67,
        -103.35,
    ),
    (
        "Pruebas del Peñasco",
        "PPE0101015A2",
        "MX",
        Some("MX-JAL"),
        40,
        "atp.tst.ft",
        None,
        20.70,
        -103.40,
    ),
    (
        "Moldeo Regiomontano",
        "MRE0101015A3",
        "MX",
        Some("MX-NLE"),
        120,
        "atp.asm.mld",
        Some("iatf_16949"),
        25.67,
        -100.31,
    ),
    (
        "Logística Fronteriza",
        "LFR0101015A4",
        "MX",
        Some("MX-CHH"),
        300,
        "log.cus",
        Some("c_tpat"),
        31.69,
        -106.42,
    ),
    (
        "Tico Test Labs",
        "3101123456",
        "CR",
        Some("CR-H"),
        20,
        "atp.tst.rel",
        Some("iso_iec_17025"),
        10.0,
        -84.12,
    ),
    (
        "Canal Photonics",
        "15559671322015",
        "PA",
        None,
        5,
        "fab.pho",
        None,
        8.98,
        -79.52,
    ),
    (
        "Austin Probe Cards",
        "123456789",
        "US",
        Some("US-TX"),
        60,
        "eqp.pcs",
        Some("iso_9001"),
        30.27,
        -97.74,
    ),
];

async fn seed(app: &TestApp, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, tax_id, country, subdivision, employees, code, cert, lat, lon) in FIXTURE {
        let mut body = json!({ "legal_name": name, "tax_id": tax_id, "country": country, "sector": "manufacturing",
            "employees": employees, "capabilities": [{ "code": code }], "location": { "lat": lat, "lon": lon } });
        if let Some(s) = subdivision {
            body["subdivision"] = json!(s);
        }
        if let Some(c) = cert {
            body["certifications"] =
                json!([{ "scheme": c, "issued_on": "2024-01-01", "expires_on": "2030-01-01" }]);
        }
        let doc = app.create_supplier(token, &body).await;
        ids.push(doc["id"].as_str().unwrap().to_owned());
    }
    exec(
        &app.db,
        "UPDATE suppliers SET status = 'verified', verified_at = now()",
    )
    .await;
    ids
}

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let resp = app.get(&format!("/v1/suppliers?{query}")).await;
    assert_eq!(resp.status().as_u16(), 200, "{query}");
    let page: Value = resp.json().await.unwrap();
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["legal_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_filter_alone_and_combined() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    seed(&app, &admin.token).await;

    assert_eq!(names(&app, "").await.len(), 7);
    assert_eq!(
        names(&app, "country=MX").await,
        [
            "Ensambles Nájera",
            "Logística Fronteriza",
            "Moldeo Regiomontano",
            "Pruebas del Peñasco"
        ]
    );
    assert_eq!(
        names(&app, "subdivision=MX-JAL").await,
        ["Ensambles Nájera", "Pruebas del Peñasco"]
    );
    assert_eq!(
        names(&app, "size_class=micro").await,
        ["Canal Photonics", "Ensambles Nájera"]
    );
    assert_eq!(
        names(&app, "size_class=micro,small&country=MX").await,
        ["Ensambles Nájera", "Pruebas del Peñasco"]
    );
    assert_eq!(
        names(&app, "certification=iso_9001").await,
        ["Austin Probe Cards", "Ensambles Nájera"]
    );
    assert_eq!(
        names(&app, "certification=iso_9001&country=US").await,
        ["Austin Probe Cards"]
    );
    assert_eq!(
        names(&app, "capability=atp").await.len(),
        4,
        "a segment matches everything below it"
    );
    assert_eq!(
        names(&app, "capability=atp.asm").await,
        ["Ensambles Nájera", "Moldeo Regiomontano"]
    );
    assert_eq!(
        names(&app, "capability=atp.asm.wb").await,
        ["Ensambles Nájera"]
    );
    assert_eq!(
        names(&app, "capability=atp.asm.wb&capability=log").await,
        ["Ensambles Nájera", "Logística Fronteriza"],
        "repeated = any of"
    );
    assert_eq!(
        names(&app, "capability=atp&country=MX&size_class=small").await,
        ["Pruebas del Peñasco"]
    );
    assert_eq!(
        names(&app, "near=20.67,-103.35&radius_km=10").await,
        ["Ensambles Nájera", "Pruebas del Peñasco"]
    );
    assert_eq!(
        names(&app, "near=20.67,-103.35&radius_km=1000&sort=distance").await[..3],
        [
            "Ensambles Nájera",
            "Pruebas del Peñasco",
            "Moldeo Regiomontano"
        ]
    );
    assert_eq!(
        names(&app, "updated_since=2100-01-01T00:00:00Z")
            .await
            .len(),
        0
    );
    assert_eq!(
        names(&app, "updated_since=2000-01-01T00:00:00Z&country=CR").await,
        ["Tico Test Labs"]
    );
    let recent = names(&app, "sort=-updated_at&limit=1").await;
    assert_eq!(recent.len(), 1);
}

#[tokio::test]
async fn names_are_found_without_accents_case_or_with_a_typo() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    seed(&app, &admin.token).await;

    assert_eq!(names(&app, "q=najera").await, ["Ensambles Nájera"]);
    assert_eq!(names(&app, "q=PENASCO").await, ["Pruebas del Peñasco"]);
    assert_eq!(
        names(&app, "q=nahera").await,
        ["Ensambles Nájera"],
        "one letter wrong"
    );
    assert_eq!(
        names(&app, "q=logistica&country=MX").await,
        ["Logística Fronteriza"]
    );
    assert!(
        names(&app, "q=zzzzqqq").await.is_empty(),
        "a filter: no match, no result"
    );
    // Best match first.
    let ranked = names(&app, "q=photonics%20canal").await;
    assert_eq!(ranked.first().map(String::as_str), Some("Canal Photonics"));
}

#[tokio::test]
async fn visibility_follows_the_role() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let owner = app.user_with_role("supplier").await;
    seed(&app, &admin.token).await;
    let mut draft = supplier_body("Borrador Propio", "BPR0101015A1", 2);
    draft["country"] = json!("MX");
    app.create_supplier(&owner.token, &draft).await;
    let as_who = |token: Option<&str>, query: &'static str| {
        let mut req = app.client.get(app.url(&format!("/v1/suppliers?{query}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };

    let anonymous = as_who(None, "limit=100").await;
    let asking_drafts = as_who(None, "status=draft").await;
    let mine = as_who(Some(&owner.token), "status=draft").await;
    let admin_drafts = as_who(Some(&admin.token), "status=draft").await;

    assert_eq!(anonymous["data"].as_array().unwrap().len(), 7);
    assert!(
        anonymous["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d.get("contacts").is_none())
    );
    assert_eq!(asking_drafts["data"], json!([]));
    assert_eq!(mine["data"][0]["legal_name"], "Borrador Propio");
    assert!(
        mine["data"][0]["contacts"].is_array(),
        "owners see their contacts"
    );
    assert_eq!(admin_drafts["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn pages_never_repeat_or_skip_while_suppliers_are_added() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let before: BTreeSet<String> = {
        seed(&app, &admin.token).await;
        names(&app, "limit=100").await.into_iter().collect()
    };

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut added = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("/v1/suppliers?limit=2&cursor={c}"),
            None => "/v1/suppliers?limit=2".to_owned(),
        };
        let page: Value = app.get(&query).await.json().await.unwrap();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["legal_name"].as_str().unwrap().to_owned()),
        );
        // Between pages, a supplier is registered and verified, named to sort before and after.
        for name in [format!("AAA Nuevo {added}"), format!("ZZZ Nuevo {added}")] {
            let body = supplier_body(&name, &format!("N{}{added:05}", &name[..1]), 1);
            app.post_supplier(&admin.token, &body).await;
        }
        added += 1;
        exec(
            &app.db,
            "UPDATE suppliers SET status = 'verified', verified_at = now() WHERE status = 'draft'",
        )
        .await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }

    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no repeats: {seen:?}");
    assert!(
        before.is_subset(&unique),
        "no row present from the start is skipped"
    );
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "in name order");
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("cursor=made.up", "cursor"),
        ("size_class=huge", "size_class"),
        ("status=deleted", "status"),
        ("country=Mexico", "country"),
        ("subdivision=MX-XYZ", "subdivision"),
        ("capability=ATP", "capability"),
        ("near=20.6", "radius_km"),
        ("near=200,0&radius_km=5", "near"),
        ("near=20,-100&radius_km=0", "radius_km"),
        ("radius_km=5", "near"),
        ("updated_since=yesterday", "updated_since"),
        ("sort=price", "sort"),
        ("sort=distance", "sort"),
        ("sort=relevance", "sort"),
        ("colour=red", "colour"),
        ("country=MX&country=CR", "country"),
        ("q=", "q"),
    ] {
        let problem = assert_problem(app.get(&format!("/v1/suppliers?{query}")).await, 400).await;
        assert_eq!(problem.errors[0].field, field, "{query}");
    }
    // A cursor from another sort is refused too.
    let admin = app.user_with_role("admin").await;
    seed(&app, &admin.token).await;
    let page: Value = app.get("/v1/suppliers?limit=1").await.json().await.unwrap();
    let cursor = page["next_cursor"].as_str().unwrap();
    let problem = assert_problem(
        app.get(&format!("/v1/suppliers?sort=-updated_at&cursor={cursor}"))
            .await,
        400,
    )
    .await;
    assert_eq!(problem.errors[0].field, "cursor");
}

#[tokio::test]
async fn facets_agree_with_the_search_and_the_statistics() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    seed(&app, &admin.token).await;

    let facets: Value = app
        .get("/v1/suppliers/facets?country=MX")
        .await
        .json()
        .await
        .unwrap();

    for (facet, param) in [
        ("country", "country"),
        ("subdivision", "subdivision"),
        ("size_class", "size_class"),
        ("capability", "capability"),
        ("certification", "certification"),
        ("status", "status"),
    ] {
        for entry in facets[facet].as_array().unwrap() {
            let value = entry["value"].as_str().unwrap();
            let query = if param == "country" {
                format!("country={value}&limit=100")
            } else {
                format!("country=MX&{param}={value}&limit=100")
            };
            let found = names(&app, &query).await.len();
            assert_eq!(
                entry["count"].as_u64().unwrap() as usize,
                found,
                "{facet}={value}"
            );
        }
    }
    assert_eq!(facets["country"], json!([{ "value": "MX", "count": 4 }]));
    let atp = facets["capability"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == "atp")
        .unwrap()
        .clone();
    assert_eq!(atp["count"], 3);
    let coverage: Value = app
        .get("/v1/stats/coverage?country=MX")
        .await
        .json()
        .await
        .unwrap();
    for node in coverage["capabilities"].as_array().unwrap() {
        let facet = facets["capability"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"] == node["code"])
            .map(|c| c["count"].as_i64().unwrap())
            .unwrap_or(0);
        assert_eq!(
            node["verified_suppliers"].as_i64().unwrap(),
            facet,
            "{}",
            node["code"]
        );
    }
}

#[tokio::test]
async fn export_streams_every_match_as_csv_or_ndjson() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    seed(&app, &admin.token).await;

    let csv = app.get("/v1/suppliers/export?format=csv&country=MX").await;
    let ndjson = app.get("/v1/suppliers/export?format=ndjson").await;
    let bad = app.get("/v1/suppliers/export?format=xml").await;

    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..4], ["id", "legal_name", "trade_name", "tax_id"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let names: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(
        names,
        [
            "Ensambles Nájera",
            "Logística Fronteriza",
            "Moldeo Regiomontano",
            "Pruebas del Peñasco"
        ]
    );
    assert_eq!(&rows[0][12], "atp.asm.wb");
    assert_eq!(&rows[0][13], "iso_9001");
    assert_eq!(ndjson.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = ndjson
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["capabilities"], json!(["eqp.pcs"]));
    assert!(lines.iter().all(|l| l.get("contacts").is_none()));
    assert_eq!(assert_problem(bad, 400).await.errors[0].field, "format");
}

#[tokio::test]
async fn relevance_pages_settle_ties_by_id() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    // Seven suppliers whose names are equally near the query, and two nearer.
    for i in 0..9 {
        let name = if i < 7 {
            "Talleres Nájera Unidos".to_owned()
        } else {
            format!("Nájera {i}")
        };
        app.create_supplier(
            &admin.token,
            &supplier_body(&name, &format!("TIE{i:05}"), 1),
        )
        .await;
    }
    exec(
        &app.db,
        "UPDATE suppliers SET status = 'verified', verified_at = now()",
    )
    .await;

    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/v1/suppliers?q=najera&limit=2&cursor={c}"),
            None => "/v1/suppliers?q=najera&limit=2".to_owned(),
        };
        let page: Value = app.get(&query).await.json().await.unwrap();
        ids.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }

    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), unique.len()),
        (9, 9),
        "every match once: {ids:?}"
    );
}

#[tokio::test]
async fn facets_follow_every_committed_change() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let count = async || -> i64 {
        let facets: Value = app
            .authed(Method::GET, "/v1/suppliers/facets?country=GT", &admin.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        facets["country"][0]["count"].as_i64().unwrap_or(0)
    };
    for i in 0..3 {
        // Asked twice: the second answer may come from memory, and must still be right.
        assert_eq!(count().await, i);
        assert_eq!(count().await, i);
        let body = supplier_body(&format!("Cache {i}"), &format!("CACHE{i:05}"), 1);
        app.create_supplier(&admin.token, &body).await;
    }
    assert_eq!(count().await, 3);
}

#[tokio::test]
async fn distance_pages_settle_ties_by_id() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    // Seven suppliers at one address (the same distance from anywhere), and two nearer.
    for i in 0..9 {
        let (lat, lon) = if i < 7 {
            (20.70, -103.30)
        } else {
            (20.67, -103.35)
        };
        let mut body = supplier_body(&format!("Geo {i}"), &format!("GEO{i:05}"), 1);
        body["location"] = json!({ "lat": lat, "lon": lon });
        app.create_supplier(&admin.token, &body).await;
    }
    exec(
        &app.db,
        "UPDATE suppliers SET status = 'verified', verified_at = now()",
    )
    .await;

    let near = "near=20.67,-103.35&radius_km=50&sort=distance";
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/v1/suppliers?{near}&limit=2&cursor={c}"),
            None => format!("/v1/suppliers?{near}&limit=2"),
        };
        let page: Value = app.get(&query).await.json().await.unwrap();
        ids.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), unique.len()),
        (9, 9),
        "every match once: {ids:?}"
    );
    // The seven at one distance come in id order.
    let tied = &ids[2..];
    let mut sorted = tied.to_vec();
    sorted.sort();
    assert_eq!(tied, sorted.as_slice());
}

#[tokio::test]
async fn every_sort_pages_through_all_matches() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    seed(&app, &admin.token).await;

    for sort in [
        "name",
        "-updated_at",
        "distance&near=20.67,-103.35&radius_km=1000",
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(c) => format!("/v1/suppliers?sort={sort}&limit=2&cursor={c}"),
                None => format!("/v1/suppliers?sort={sort}&limit=2"),
            };
            let resp = app.get(&query).await;
            assert_eq!(resp.status().as_u16(), 200, "{query}");
            let page: Value = resp.json().await.unwrap();
            seen.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["id"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let unique: BTreeSet<&String> = seen.iter().collect();
        // Within 1,000 km of Guadalajara: Guadalajara (2) and Monterrey (1).
        let expected = if sort.starts_with("distance") { 3 } else { 7 };
        assert_eq!(
            (seen.len(), unique.len()),
            (expected, expected),
            "sort={sort}"
        );
    }
}

/// The search's pools plan as documented: nearest-first pages and documents once per statement,
/// name- and update-ordered pages for their values on every call (the generic-plan trap), and the
/// main pool as PostgreSQL decides.
#[tokio::test]
async fn search_pools_plan_as_documented() {
    use diesel::{QueryableByName, sql_types::Text};
    use diesel_async::RunQueryDsl;

    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        plan_cache_mode: String,
    }
    let app = spawn_app().await;
    let pools = &app.state.search_pools;
    for (pool, expected) in [
        (&pools.generic, "force_generic_plan"),
        (&pools.custom, "force_custom_plan"),
        (&app.state.pool, "auto"),
    ] {
        let mut conn = pool.get().await.expect("connection");
        let mode: Mode = diesel::sql_query("SHOW plan_cache_mode")
            .get_result(&mut conn)
            .await
            .expect("plan_cache_mode");
        assert_eq!(mode.plan_cache_mode, expected);
    }
}
