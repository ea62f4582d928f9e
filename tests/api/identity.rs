//! Identity: identifier systems and their formats, `(system, value)` uniqueness, lookups by tax
//! id and external reference, matching, duplicates, merging, reconciliation and the possible
//! duplicates of an import — over HTTP.

use reqwest::Method;
use serde_json::{Value, json};
use supplier_registry::{db, workers::imports::run_once};

use crate::helpers::{TestApp, assert_problem, spawn_app};

const LEI: &str = "5493001KJTIIGC8Y1R12";

fn body(name: &str, tax_id: &str) -> Value {
    json!({ "legal_name": name, "tax_id": tax_id, "country": "MX", "sector": "manufacturing", "employees": 40 })
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    app.create_supplier(token, body).await
}

async fn verified(app: &TestApp, token: &str, body: &Value) -> Value {
    let doc = create(app, token, body).await;
    let id = doc["id"].as_str().expect("id");
    for step in ["submit", "verify"] {
        assert_eq!(
            app.transition(token, id, step, None)
                .await
                .status()
                .as_u16(),
            200
        );
    }
    doc
}

async fn post(app: &TestApp, token: Option<&str>, path: &str, body: &Value) -> reqwest::Response {
    let req = match token {
        Some(t) => app.authed(Method::POST, path, t),
        None => app.client.post(app.url(path)),
    };
    req.json(body).send().await.expect("request")
}

async fn json_of(resp: reqwest::Response, status: u16) -> Value {
    let code = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(code, status, "{text}");
    serde_json::from_str(&text).expect("json")
}

fn names(candidates: &Value) -> Vec<(String, String)> {
    candidates["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| {
            (
                c["supplier_id"].as_str().unwrap_or_default().to_owned(),
                c["match"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn identifier_systems_are_checked_normalised_unique_and_looked_up() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let t = admin.token.as_str();

    let systems = json_of(app.get("/v1/identifier-systems").await, 200).await;
    let codes: Vec<&str> = systems["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    for code in [
        "lei",
        "sam_uei",
        "cage",
        "duns",
        "os_id",
        "mx_rfc",
        "cr_cedula",
        "pa_ruc",
        "us_ein",
    ] {
        assert!(codes.contains(&code), "{code}");
    }
    let es: Value = app
        .client
        .get(app.url("/v1/identifier-systems"))
        .header("accept-language", "es")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(es["data"][0]["label"], es["data"][0]["labels"]["es"]);

    // Written as people write them; stored normalised.
    let mut b = body("Ensambles del Bajío S.A. de C.V.", "EBA010203AB1");
    b["external_refs"] = json!([{ "system": "lei", "value": "5493 001kj TIIGC8Y1R12" },
                                { "system": "duns", "value": "12-345-6789" },
                                { "system": "siem", "value": "Folio 77" }]);
    let first = create(&app, t, &b).await;
    assert_eq!(
        first["external_refs"],
        json!([{ "system": "lei", "value": LEI },
        { "system": "duns", "value": "123456789" }, { "system": "siem", "value": "Folio 77" }])
    );
    let first_id = first["id"].as_str().expect("id").to_owned();

    for (refs, field) in [
        (
            json!([{ "system": "lei", "value": "5493001KJTIIGC8Y1R13" }]),
            "external_refs[0].value",
        ),
        (
            json!([{ "system": "sam_uei", "value": "0ABCDEFGHJKL" }]),
            "external_refs[0].value",
        ),
        (
            json!([{ "system": "cage", "value": "12" }]),
            "external_refs[0].value",
        ),
        (
            json!([{ "system": "os_id", "value": "MX20241" }]),
            "external_refs[0].value",
        ),
        (
            json!([{ "system": "us_ein", "value": "07-1234567" }]),
            "external_refs[0].value",
        ),
        (
            json!([{ "system": "SAM UEI", "value": "X" }]),
            "external_refs[0].system",
        ),
        (
            json!([{ "system": "duns", "value": "123456789" }, { "system": "duns", "value": "123-456-789" }]),
            "external_refs[1]",
        ),
    ] {
        let mut b = body("Otra Empresa S.A.", "OTR010203AB1");
        b["external_refs"] = refs;
        let problem = assert_problem(app.post_supplier(t, &b).await, 422).await;
        assert!(
            problem.errors.iter().any(|e| e.field == field),
            "{field}: {:?}",
            problem.errors
        );
    }

    // Unique among suppliers that are not archived: 409 naming the holder, on create and patch.
    let mut b = body("Copia del Bajío S.A.", "COP010203AB1");
    b["external_refs"] = json!([{ "system": "lei", "value": LEI }]);
    let problem = assert_problem(app.post_supplier(t, &b).await, 409).await;
    assert_eq!(
        problem.existing_id.map(|u| u.to_string()),
        Some(first_id.clone())
    );
    let second = create(&app, t, &body("Copia del Bajío S.A.", "COP010203AB1")).await;
    let second_id = second["id"].as_str().expect("id");
    let patch = json!({ "external_refs": [{ "system": "lei", "value": LEI }] });
    let problem =
        assert_problem(app.patch_supplier(t, second_id, "\"1\"", &patch).await, 409).await;
    assert_eq!(
        problem.existing_id.map(|u| u.to_string()),
        Some(first_id.clone())
    );

    // Lookups, indexed, combined with the other filters.
    let found = app
        .get_json(t, &format!("/v1/suppliers?external_ref=lei:{LEI}"))
        .await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));
    let found = app
        .get_json(
            t,
            "/v1/suppliers?external_ref=duns:12-345-6789&external_ref=lei:HWUPKR0MPOU8FGXBT394",
        )
        .await;
    assert_eq!(
        found["data"][0]["id"],
        first_id.as_str(),
        "written as on write, any of"
    );
    let found = app
        .get_json(t, "/v1/suppliers?tax_id=eba-010203-ab1&country=MX")
        .await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));
    let none = app
        .get_json(
            t,
            "/v1/suppliers?tax_id=EBA010203AB1&country=MX&capability=fab",
        )
        .await;
    assert_eq!(none["data"], json!([]));
    let facets = app
        .get_json(t, &format!("/v1/suppliers/facets?external_ref=lei:{LEI}"))
        .await;
    assert_eq!(facets["country"], json!([{ "value": "MX", "count": 1 }]));
    let export = app
        .authed(
            Method::GET,
            "/v1/suppliers/export?format=ndjson&tax_id=EBA010203AB1&country=MX",
            t,
        )
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    assert_eq!(export.lines().count(), 1);
    for (query, field) in [
        ("tax_id=EBA010203AB1", "country"),
        ("external_ref=lei", "external_ref"),
        (&format!("external_ref=lei:{}", "X") as &str, "external_ref"),
        ("tax_id=12&country=MX", "tax_id"),
    ] {
        let resp = app
            .authed(Method::GET, &format!("/v1/suppliers?{query}"), t)
            .send()
            .await
            .expect("request");
        assert_eq!(
            assert_problem(resp, 400).await.errors[0].field,
            field,
            "{query}"
        );
    }

    // Archiving frees the reference; the archived supplier is still found when asked for.
    assert_eq!(
        app.archive_supplier(t, &first_id, "\"1\"")
            .await
            .status()
            .as_u16(),
        204
    );
    let resp = app.patch_supplier(t, second_id, "\"1\"", &patch).await;
    assert_eq!(resp.status().as_u16(), 200);
    let both = app
        .get_json(
            t,
            &format!("/v1/suppliers?external_ref=lei:{LEI}&status=archived,draft"),
        )
        .await;
    assert_eq!(both["data"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn match_scores_the_candidates_the_caller_may_see_and_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let supplier = app.user_with_role("supplier").await;
    let t = admin.token.as_str();
    let mut a = body("Ensambles del Bajío S.A. de C.V.", "EBA010203AB1");
    a["website"] = json!("https://www.enbajio.mx");
    a["city"] = json!("León");
    a["contacts"] =
        json!([{ "name": "Ana Pérez", "email": "ana@enbajio.mx", "phone": "+524771234567" }]);
    a["external_refs"] = json!([{ "system": "duns", "value": "123456789" }]);
    let a = verified(&app, t, &a).await;
    let a_id = a["id"].as_str().expect("id").to_owned();
    let draft = create(
        &app,
        t,
        &body("Servicios Industriales del Norte S.A.", "SIN010203AB1"),
    )
    .await;
    let draft_id = draft["id"].as_str().expect("id").to_owned();
    let events_before = app.get_json(t, "/v1/events?limit=100").await["data"]
        .as_array()
        .map(Vec::len);

    let app_ref = &app;
    let m = |b: Value| async move {
        json_of(post(app_ref, Some(t), "/v1/suppliers/match", &b).await, 200).await
    };
    let exact =
        m(json!({ "legal_name": "Nombre distinto", "country": "MX", "tax_id": "EBA-010203-AB1" }))
            .await;
    assert_eq!(names(&exact)[0], (a_id.clone(), "exact".into()));
    assert_eq!(exact["data"][0]["score"], 1.0);
    assert!(
        exact["data"][0]["reasons"]
            .as_array()
            .expect("reasons")
            .contains(&json!("tax_id"))
    );
    assert_eq!(
        exact["data"][0]["supplier"]["legal_name"],
        "Ensambles del Bajío S.A. de C.V."
    );
    let by_ref = m(json!({ "legal_name": "X", "external_refs": [{ "system": "duns", "value": "12-345-6789" }] })).await;
    assert_eq!(by_ref["data"][0]["reasons"], json!(["external_ref:duns"]));

    let strong = m(
        json!({ "legal_name": "ENSAMBLES DEL BAJIO, SA DE CV", "country": "MX",
                           "website": "http://enbajio.mx/contacto" }),
    )
    .await;
    let top = &strong["data"][0];
    assert_eq!(
        (top["supplier_id"].as_str(), top["match"].as_str()),
        (Some(a_id.as_str()), Some("strong"))
    );
    let reasons = top["reasons"].as_array().expect("reasons");
    assert!(
        reasons.contains(&json!("name")) && reasons.contains(&json!("website")),
        "{reasons:?}"
    );
    let score = top["score"].as_f64().expect("score");
    assert!((0.8..1.0).contains(&score), "{score}");

    let by_name = m(json!({ "legal_name": "Ensambles del Bajio" })).await;
    assert!(
        by_name["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|c| c["match"] == "possible"),
        "names alone: possible"
    );
    assert_eq!(by_name["data"][0]["supplier_id"], a_id.as_str());
    let none = m(json!({ "legal_name": "Zqxj Wvvk Plmn" })).await;
    assert_eq!(none["data"], json!([]));

    // Only suppliers the caller may see: a supplier user does not see another's draft.
    let asked = json!({ "legal_name": "Servicios Industriales del Norte SA", "country": "MX" });
    let by_admin = m(asked.clone()).await;
    assert!(names(&by_admin).iter().any(|(id, _)| *id == draft_id));
    let by_supplier = json_of(
        post(&app, Some(&supplier.token), "/v1/suppliers/match", &asked).await,
        200,
    )
    .await;
    assert!(!names(&by_supplier).iter().any(|(id, _)| *id == draft_id));
    assert!(
        by_supplier["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|c| c["supplier"].get("contacts").is_none())
    );
    assert_eq!(
        post(&app, None, "/v1/suppliers/match", &asked)
            .await
            .status()
            .as_u16(),
        401
    );

    let one = json_of(
        post(
            &app,
            Some(t),
            "/v1/suppliers/match?limit=1",
            &json!({ "legal_name": "Ensambles" }),
        )
        .await,
        200,
    )
    .await;
    assert!(one["data"].as_array().expect("data").len() <= 1);
    assert_eq!(
        assert_problem(
            post(&app, Some(t), "/v1/suppliers/match?limit=21", &asked).await,
            400
        )
        .await
        .errors[0]
            .field,
        "limit"
    );
    for (b, field) in [
        (json!({ "country": "MX" }), "legal_name"),
        (
            json!({ "legal_name": "X", "tax_id": "EBA010203AB1" }),
            "country",
        ),
        (
            json!({ "legal_name": "X", "country": "MX", "tax_id": "nope" }),
            "tax_id",
        ),
        (
            json!({ "legal_name": "X", "external_refs": [{ "system": "lei", "value": "1" }] }),
            "external_refs[0].value",
        ),
        (json!({ "legal_name": "X", "colour": "red" }), "colour"),
    ] {
        let problem =
            assert_problem(post(&app, Some(t), "/v1/suppliers/match", &b).await, 422).await;
        assert!(
            problem.errors.iter().any(|e| e.field == field),
            "{field}: {:?}",
            problem.errors
        );
    }
    let events_after = app.get_json(t, "/v1/events?limit=100").await["data"]
        .as_array()
        .map(Vec::len);
    assert_eq!(events_before, events_after, "nothing is written");

    // Duplicates of an existing supplier: itself left out; owners, agencies and admins only.
    let mut copy = body("Ensambles Del Bajio SA de CV", "EBA010203AB2");
    copy["website"] = json!("https://enbajio.mx");
    let copy = create(&app, t, &copy).await;
    let copy_id = copy["id"].as_str().expect("id");
    let dups = app
        .get_json(t, &format!("/v1/suppliers/{copy_id}/duplicates"))
        .await;
    let found = names(&dups);
    assert_eq!(found[0], (a_id.clone(), "strong".into()), "{dups:#}");
    assert!(!found.iter().any(|(id, _)| id == copy_id));
    let viewer = app.user_with_role("viewer").await;
    let resp = app
        .authed(
            Method::GET,
            &format!("/v1/suppliers/{copy_id}/duplicates"),
            &viewer.token,
        )
        .send()
        .await
        .expect("request");
    assert_problem(resp, 403).await;
    assert_problem(
        app.get(&format!("/v1/suppliers/{copy_id}/duplicates"))
            .await,
        401,
    )
    .await;
}

async fn merge(
    app: &TestApp,
    token: &str,
    id: &str,
    into: &str,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .authed(Method::POST, &format!("/v1/suppliers/{id}/merge"), token)
        .json(&json!({ "into": into }));
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn merge_archives_the_duplicate_and_gives_the_survivor_what_it_lacks() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let owner = app.user_with_role("supplier").await;
    let t = admin.token.as_str();
    let mut survivor = body("Ensambles del Bajío S.A. de C.V.", "EBA010203AB1");
    survivor["external_refs"] = json!([{ "system": "lei", "value": LEI }]);
    survivor["contacts"] = json!([{ "name": "Ana Pérez", "email": "ana@enbajio.mx" }]);
    let survivor = verified(&app, t, &survivor).await;
    let into = survivor["id"].as_str().expect("id").to_owned();
    let mut dup = body("Ensambles del Bajio SA de CV", "EBA010203AB2");
    dup["external_refs"] =
        json!([{ "system": "duns", "value": "123456789" }, { "system": "lei", "value": LEI }]);
    dup["contacts"] = json!([{ "name": "Luis Ramos", "phone": "+524771234567" }, { "name": "Ana Pérez", "email": "ana@enbajio.mx" }]);
    // The duplicate's `lei` is the survivor's: registered by its owner before the rule existed
    // is not possible now, so it holds only the duns number.
    dup["external_refs"] = json!([{ "system": "duns", "value": "123456789" }]);
    let dup = create(&app, &owner.token, &dup).await;
    let id = dup["id"].as_str().expect("id").to_owned();

    assert_problem(merge(&app, t, &id, &into, Some("\"7\"")).await, 412).await;
    assert_problem(merge(&app, t, &id, &id, None).await, 409).await;
    assert_problem(merge(&app, &owner.token, &id, &into, None).await, 403).await;
    let answer = json_of(merge(&app, t, &id, &into, Some("\"1\"")).await, 200).await;
    assert_eq!(answer["merged"]["status"], "archived");
    assert_eq!(answer["merged"]["merged_into"], into.as_str());
    assert_eq!(answer["into"]["merged_into"], json!(null));
    assert_eq!(
        answer["into"]["external_refs"],
        json!([{ "system": "lei", "value": LEI },
        { "system": "duns", "value": "123456789" }, { "system": "mx_rfc", "value": "EBA010203AB2" }])
    );
    let contacts: Vec<&str> = answer["into"]["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        contacts,
        ["Ana Pérez", "Luis Ramos"],
        "the contact it lacked, once"
    );
    assert_eq!(answer["into"]["status"], "verified");

    // The duplicate's owner now owns the survivor too (it sees its contacts).
    let as_owner = app
        .get_json(&owner.token, &format!("/v1/suppliers/{into}"))
        .await;
    assert!(as_owner.get("contacts").is_some());
    // Readable with `merged_into` by those who could read it; both audited; the feed has both.
    let merged = app.get_json(t, &format!("/v1/suppliers/{id}")).await;
    assert_eq!(merged["merged_into"], into.as_str());
    for (who, action) in [(&id, "merge"), (&into, "merge")] {
        let history = app
            .get_json(t, &format!("/v1/suppliers/{who}/history"))
            .await;
        assert!(
            history["data"]
                .as_array()
                .expect("data")
                .iter()
                .any(|e| e["action"] == action),
            "{who}"
        );
    }
    let events = app.get_json(t, "/v1/events?limit=100").await;
    let tail: Vec<(Value, Value)> = events["data"]
        .as_array()
        .expect("data")
        .iter()
        .rev()
        .take(2)
        .rev()
        .map(|e| (e["type"].clone(), e["supplier_id"].clone()))
        .collect();
    assert_eq!(
        tail,
        [
            (json!("supplier.merged"), json!(id)),
            (json!("supplier.updated"), json!(into))
        ]
    );
    let merged_event = events["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["type"] == "supplier.merged")
        .cloned()
        .expect("event");
    assert_eq!(merged_event["data"]["into"], into.as_str());
    // The duplicate's tax id now finds the survivor as a reference.
    let found = app
        .get_json(t, "/v1/suppliers?external_ref=mx_rfc:EBA010203AB2")
        .await;
    assert_eq!(found["data"][0]["id"], into.as_str());

    // Illegal merges: again, into a merged supplier, into an archived one.
    assert_problem(merge(&app, t, &id, &into, None).await, 409).await;
    let other = create(&app, t, &body("Tercera S.A.", "TER010203AB1")).await;
    let other_id = other["id"].as_str().expect("id");
    assert_problem(merge(&app, t, other_id, &id, None).await, 409).await;
    let archived = create(&app, t, &body("Cuarta S.A.", "CUA010203AB1")).await;
    let archived_id = archived["id"].as_str().expect("id");
    assert_eq!(
        app.archive_supplier(t, archived_id, "\"1\"")
            .await
            .status()
            .as_u16(),
        204
    );
    assert_problem(merge(&app, t, other_id, archived_id, None).await, 409).await;

    // A verified duplicate stays readable by anyone, with `merged_into`.
    let public = verified(&app, t, &body("Quinta S.A.", "QUI010203AB1")).await;
    let public_id = public["id"].as_str().expect("id");
    assert_eq!(
        merge(&app, t, public_id, &into, None)
            .await
            .status()
            .as_u16(),
        200
    );
    let anonymous = json_of(app.get(&format!("/v1/suppliers/{public_id}")).await, 200).await;
    assert_eq!(anonymous["merged_into"], into.as_str());
}

#[tokio::test]
async fn two_merges_of_one_pair_race_and_one_wins() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let t = admin.token.as_str();
    for round in 0..5 {
        let p = create(
            &app,
            t,
            &body(
                &format!("Par {round} S.A."),
                &format!("PAR0102{:02}AB1", round + 1),
            ),
        )
        .await;
        let q = create(
            &app,
            t,
            &body(
                &format!("Par {round} SA"),
                &format!("PAQ0102{:02}AB1", round + 1),
            ),
        )
        .await;
        let (p, q) = (p["id"].as_str().expect("id"), q["id"].as_str().expect("id"));
        let (one, two) = tokio::join!(merge(&app, t, p, q, None), merge(&app, t, q, p, None));
        let mut codes = [one.status().as_u16(), two.status().as_u16()];
        codes.sort_unstable();
        assert_eq!(codes, [200, 409], "round {round}");
        let (same_a, same_b) = tokio::join!(merge(&app, t, p, q, None), merge(&app, t, p, q, None));
        assert!(
            [same_a.status().as_u16(), same_b.status().as_u16()]
                .iter()
                .all(|c| *c == 409)
        );
    }
}

#[tokio::test]
async fn reconciliation_answers_openrefine_from_the_matcher() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let t = admin.token.as_str();
    let public = verified(
        &app,
        t,
        &body("Ensambles del Bajío S.A. de C.V.", "EBA010203AB1"),
    )
    .await;
    let draft = create(
        &app,
        t,
        &body("Maquinados Ensambles del Bajío S.A.", "MEB010203AB1"),
    )
    .await;
    let manifest = json_of(app.get("/v1/reconcile").await, 200).await;
    assert!(
        manifest["versions"]
            .as_array()
            .expect("versions")
            .contains(&json!("0.2"))
    );
    assert_eq!(
        manifest["defaultTypes"],
        json!([{ "id": "supplier", "name": "Supplier" }])
    );
    assert!(
        manifest["view"]["url"]
            .as_str()
            .expect("url")
            .ends_with("/v1/suppliers/{{id}}")
    );

    let batch = json!({
        "q0": { "query": "Ensambles del Bajio", "limit": 5 },
        "q1": { "query": "cualquier cosa", "type": ["supplier"], "properties": [
            { "pid": "tax_id", "v": "EBA-010203-AB1" }, { "pid": "country", "v": "MX" }] },
        "q2": { "query": "Zqxj Wvvk Plmn" },
        "q3": { "query": "Ensambles del Bajio", "properties": [{ "pid": "country", "v": "México" }] },
    });
    let form = app
        .client
        .post(app.url("/v1/reconcile"))
        .form(&[("queries", batch.to_string())])
        .send()
        .await
        .expect("request");
    let anonymous = json_of(form, 200).await;
    let ids = |q: &Value| -> Vec<String> {
        q["result"]
            .as_array()
            .expect("result")
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        ids(&anonymous["q0"]),
        [public["id"].as_str().expect("id")],
        "anonymous: verified only"
    );
    assert_eq!(anonymous["q0"]["result"][0]["match"], false);
    assert_eq!(
        anonymous["q0"]["result"][0]["type"],
        json!([{ "id": "supplier", "name": "Supplier" }])
    );
    assert_eq!(
        anonymous["q1"]["result"][0]["match"], true,
        "the same tax id is exact"
    );
    assert_eq!(anonymous["q2"]["result"], json!([]));
    // A country column that holds no code matches no supplier's country: an answer, no error.
    assert!(
        anonymous["q3"]["result"]
            .as_array()
            .expect("result")
            .iter()
            .all(|r| r["match"] == false)
    );
    let with_token = json_of(
        app.authed(Method::POST, "/v1/reconcile", t)
            .json(&batch)
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    assert!(ids(&with_token["q0"]).contains(&draft["id"].as_str().expect("id").to_owned()));

    for (body, field) in [
        ("queries=not json", "queries"),
        ("queries=%5B%5D", "queries"),
        ("queries=%7B%22q0%22%3A%7B%7D%7D", "queries.q0.query"),
        ("other=1", "queries"),
    ] {
        let resp = app
            .client
            .post(app.url("/v1/reconcile"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request");
        let problem = assert_problem(resp, 400).await;
        assert_eq!(problem.errors[0].field, field, "{body}");
    }
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/v1/reconcile"))
        .header("origin", "http://127.0.0.1:3333")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("request");
    assert!(preflight.status().is_success());
    assert!(
        preflight
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn an_import_lists_the_rows_that_may_duplicate_a_supplier() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let t = admin.token.as_str();
    let mut a = body("Ensambles del Bajío S.A. de C.V.", "EBA010203AB1");
    a["website"] = json!("https://www.enbajio.mx");
    a["external_refs"] = json!([{ "system": "lei", "value": LEI }]);
    let a = create(&app, t, &a).await;
    let lines = [
        json!({ "legal_name": "Ensambles del Bajio SA de CV", "tax_id": "EBA010203AB2", "country": "MX",
                "sector": "manufacturing", "employees": 12, "website": "http://enbajio.mx" }),
        json!({ "legal_name": "Fundición Norteña S.A.", "tax_id": "FNO010203AB1", "country": "MX",
                "sector": "manufacturing", "employees": 12 }),
        json!({ "legal_name": "Otra con LEI S.A.", "tax_id": "OCL010203AB1", "country": "MX",
                "sector": "manufacturing", "employees": 12, "external_refs": [{ "system": "lei", "value": LEI }] }),
    ];
    let ndjson: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let resp = app
        .authed(Method::POST, "/v1/imports", t)
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status().as_u16(), 202);
    let location = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let pool = db::build_pool(&app.config()).expect("pool");
    assert!(run_once(&pool).await.expect("run"), "an import was due");
    let report = app.get_json(t, &location).await;
    assert_eq!(report["counts"]["created"], 2, "{report:#}");
    assert_eq!(report["counts"]["failed"], 1);
    assert_eq!(report["errors"][0]["row"], 3);
    assert_eq!(report["errors"][0]["field"], "external_refs[0].value");
    let found = report["possible_duplicates"]
        .as_array()
        .expect("possible_duplicates");
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(
        (found[0]["row"].clone(), found[0]["supplier_id"].clone()),
        (json!(1), a["id"].clone())
    );
    assert!(found[0]["score"].as_f64().expect("score") >= 0.8);
}
