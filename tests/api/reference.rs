//! Reference data: the capability taxonomy (tree, labels by language, admin edits), certification
//! schemes and countries with subdivisions and size rules.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn the_taxonomy_is_a_tree_with_labels_in_the_callers_language() {
    let app = spawn_app().await;

    let en: Value = app.get("/v1/capabilities").await.json().await.unwrap();
    let es: Value = app
        .client
        .get(app.url("/v1/capabilities"))
        .header("accept-language", "es-MX,es;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let node = app
        .client
        .get(app.url("/v1/capabilities/atp.asm.wb"))
        .header("accept-language", "fr, es;q=0.3")
        .send()
        .await
        .unwrap();

    let roots: Vec<&str> = en["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        roots,
        [
            "atp", "des", "eqp", "fab", "fac", "log", "mat", "svc", "tal"
        ]
    );
    let count = |nodes: &Value| -> usize {
        fn walk(n: &Value) -> usize {
            1 + n["children"]
                .as_array()
                .unwrap()
                .iter()
                .map(walk)
                .sum::<usize>()
        }
        nodes["data"].as_array().unwrap().iter().map(walk).sum()
    };
    assert_eq!(count(&en), 77);
    let atp = &en["data"][0];
    assert_eq!(
        (atp["label"].as_str(), atp["level"].as_i64(), &atp["parent"]),
        (
            Some("Assembly, test & packaging (OSAT)"),
            Some(1),
            &Value::Null
        )
    );
    assert_eq!(es["data"][0]["label"], "Ensamble, prueba y empaque (OSAT)");
    assert_eq!(node.status().as_u16(), 200);
    assert!(node.headers().get("etag").is_some());
    let node: Value = node.json().await.unwrap();
    assert_eq!(
        node["label"],
        "Fijación de dado y microsoldadura (wire bonding)"
    );
    assert_eq!(
        (node["parent"].as_str(), node["level"].as_i64()),
        (Some("atp.asm"), Some(3))
    );
    assert_eq!(node["naics"], json!(["334413"]));
    assert_eq!(node["children"], json!([]));
    let eqp_met = &en["data"][2]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "eqp.met")
        .unwrap()
        .clone();
    assert_eq!(eqp_met["hs"], json!(["9031.41"]));
    assert_problem(app.get("/v1/capabilities/nope.nothing").await, 404).await;
}

#[tokio::test]
async fn admins_add_and_edit_capability_codes() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let agency = app.user_with_role("agency").await;
    let new = json!({ "code": "atp.tst.sys", "labels": { "en": "System-level test", "es": "Prueba a nivel sistema" }, "naics": ["541380"] });

    let denied = app
        .authed(Method::POST, "/v1/capabilities", &agency.token)
        .json(&new)
        .send()
        .await
        .unwrap();
    let added = app
        .authed(Method::POST, "/v1/capabilities", &admin.token)
        .json(&new)
        .send()
        .await
        .unwrap();
    let again = app
        .authed(Method::POST, "/v1/capabilities", &admin.token)
        .json(&new)
        .send()
        .await
        .unwrap();
    let orphan = app
        .authed(Method::POST, "/v1/capabilities", &admin.token)
        .json(&json!({ "code": "zzz.tst", "labels": { "en": "x", "es": "y" }, "naics": ["12"] }))
        .send()
        .await
        .unwrap();

    assert_problem(denied, 403).await;
    assert_eq!(added.status().as_u16(), 201);
    assert_eq!(added.headers()["location"], "/v1/capabilities/atp.tst.sys");
    let node: Value = added.json().await.unwrap();
    assert_eq!(
        (node["level"].as_i64(), node["parent"].as_str()),
        (Some(3), Some("atp.tst"))
    );
    assert_problem(again, 409).await;
    let problem = assert_problem(orphan, 422).await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["naics[0]", "code"]);

    let stale = app
        .authed(Method::PATCH, "/v1/capabilities/atp.tst.sys", &admin.token)
        .header("if-match", "\"5\"")
        .json(&json!({ "hs": ["9030.82"] }))
        .send()
        .await
        .unwrap();
    let edited = app.authed(Method::PATCH, "/v1/capabilities/atp.tst.sys", &admin.token).header("if-match", "\"1\"").json(&json!({ "hs": ["9030.82"], "labels": { "en": "System test", "es": "Prueba de sistema" } })).send().await.unwrap();
    assert_problem(stale, 412).await;
    assert_eq!(edited.headers()["etag"], "\"2\"");
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(
        (
            edited["hs"].clone(),
            edited["naics"].clone(),
            edited["label"].clone()
        ),
        (json!(["9030.82"]), json!(["541380"]), json!("System test"))
    );
    let tree: Value = app.get("/v1/capabilities").await.json().await.unwrap();
    assert!(tree.to_string().contains("atp.tst.sys"));
}

#[tokio::test]
async fn schemes_and_countries_with_subdivisions_and_size_rules() {
    let app = spawn_app().await;

    let schemes: Value = app
        .get("/v1/certification-schemes")
        .await
        .json()
        .await
        .unwrap();
    let countries: Value = app.get("/v1/countries").await.json().await.unwrap();

    let codes: Vec<&str> = schemes["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    for required in [
        "iso_9001",
        "iatf_16949",
        "iso_14001",
        "iso_45001",
        "as9100",
        "iso_13485",
        "iso_iec_17025",
        "iso_14644",
        "ipc_a_610",
        "ipc_j_std_001",
        "ansi_esd_s20_20",
        "c_tpat",
        "oea_mx",
        "immex",
    ] {
        assert!(codes.contains(&required), "{required}");
    }
    let country = |code: &str| {
        countries["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()
            .clone()
    };
    let americas = [
        "AR", "BO", "BR", "CA", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "HT", "JM", "MX",
        "NI", "PA", "PE", "PY", "SV", "TT", "US", "UY", "VE",
    ];
    for code in americas {
        assert!(
            !country(code)["subdivisions"].as_array().unwrap().is_empty(),
            "{code} has subdivisions"
        );
    }
    let mx = country("MX");
    assert_eq!(mx["subdivisions"].as_array().unwrap().len(), 32);
    assert!(
        mx["subdivisions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "MX-CMX")
    );
    assert_eq!(mx["size_rule"]["id"], "MX-DOF-2009-06-30");
    assert_eq!(country("PA")["size_rule"]["id"], "PA-LEY-33-2000");
    assert_eq!(country("CR")["size_rule"]["verified"], false);
    assert_eq!(
        country("US")["size_rule"]["id"],
        "FALLBACK-EMPLOYEES-10-50-250"
    );
}
