//! Bulk imports: good, bad and repeated rows in CSV and NDJSON, re-runs that change nothing,
//! updates with their audit entries and events, and refused uploads.

use reqwest::Method;
use serde_json::{Value, json};
use supplier_registry::{db, workers::imports::run_once};

use crate::helpers::{TestApp, TestUser, assert_problem, spawn_app, spawn_app_with};

async fn upload(
    app: &TestApp,
    user: &TestUser,
    content_type: &str,
    body: &str,
) -> reqwest::Response {
    app.authed(Method::POST, "/v1/imports", &user.token)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// Uploads a file, runs the worker once, and returns the import's report.
async fn import(app: &TestApp, user: &TestUser, content_type: &str, body: &str) -> Value {
    let resp = upload(app, user, content_type, body).await;
    assert_eq!(resp.status().as_u16(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = resp.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/imports/{}", accepted["id"].as_str().unwrap())
    );
    let queued = app.get_json(&user.token, &location).await;
    assert_eq!(queued["status"], "queued");
    let pool = db::build_pool(&app.config()).unwrap();
    assert!(run_once(&pool).await.unwrap(), "an import was due");
    let report = app.get_json(&user.token, &location).await;
    assert_eq!(report["status"], "completed", "{report:#}");
    report
}

fn counts(report: &Value) -> [i64; 4] {
    let c = &report["counts"];
    ["created", "updated", "unchanged", "failed"].map(|k| c[k].as_i64().unwrap())
}

fn errors(report: &Value) -> Vec<(i64, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn events(app: &TestApp, user: &TestUser) -> Vec<Value> {
    app.get_json(&user.token, "/v1/events?limit=100").await["data"]
        .as_array()
        .unwrap()
        .clone()
}

const CSV: &str = "\
legal_name,tax_id,country,subdivision,city,sector,employees,capabilities,certifications,contact_name,contact_email
Ensambles del Bajío,EBA0102035A1,MX,MX-GUA,León,manufacturing,42,atp.asm;atp.tst,iso_9001@2031-01-01,Ana Pérez,ana@bajio.mx
Diseños Peñasco,DPE0203046B2,MX,MX-JAL,Zapopan,services,8,des,,,
Logística Nájera,LNA0304057C3,MX,,,services,many,,,,
Chips Sin Nombre,CSN0405068D4,MX,,,manufacturing,10,atp.nope,,,
,SIN0506079E5,MX,,,services,3,,,,
Ensambles otra vez,EBA0102035A1,MX,,,manufacturing,42,,,,
Fila corta,SHORT
Canal Panamá Logistics,1557-0001-000123,PA,,,services,120,,,,
";

#[tokio::test]
async fn csv_rows_are_created_refused_and_upserted_and_reruns_change_nothing() {
    let app = spawn_app().await;
    let agency = app.user_with_role("agency").await;
    // With the byte-order mark spreadsheet programs write.
    let report = import(&app, &agency, "text/csv", &format!("\u{feff}{CSV}")).await;
    assert_eq!(counts(&report), [3, 0, 0, 5], "{report:#}");
    assert_eq!(
        (
            report["rows_total"].as_i64(),
            report["rows_processed"].as_i64()
        ),
        (Some(8), Some(8))
    );
    assert_eq!(
        errors(&report),
        [
            (3, "employees".to_owned()),
            (4, "capabilities[0].code".to_owned()),
            (5, "legal_name".to_owned()),
            (6, "tax_id".to_owned()),
            (7, "row".to_owned()),
        ]
    );
    let messages = report["errors"].to_string();
    assert!(
        messages.contains("repeats the country and tax id of row 1"),
        "{messages}"
    );

    // What was created reads back as an API-created draft, with its audit entry and event.
    let created = events(&app, &agency).await;
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|e| e["type"] == "supplier.created"));
    let id = created[0]["supplier_id"].as_str().unwrap();
    let doc = app
        .get_json(&agency.token, &format!("/v1/suppliers/{id}"))
        .await;
    assert_eq!(doc["legal_name"], "Ensambles del Bajío");
    assert_eq!(doc["status"], "draft");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["subdivision"], "MX-GUA");
    let codes: Vec<&Value> = doc["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["code"])
        .collect();
    assert_eq!(codes, [&json!("atp.asm"), &json!("atp.tst")]);
    assert_eq!(doc["certifications"][0]["scheme"], "iso_9001");
    assert_eq!(doc["certifications"][0]["expires_on"], "2031-01-01");
    assert_eq!(doc["contacts"][0]["email"], "ana@bajio.mx");
    let history = app
        .get_json(&agency.token, &format!("/v1/suppliers/{id}/history"))
        .await;
    assert_eq!(history["data"][0]["action"], "create");
    assert_eq!(history["data"][0]["actor"]["id"], json!(agency.id));

    // The same file again: nothing changes — no versions, no events.
    let again = import(&app, &agency, "text/csv", CSV).await;
    assert_eq!(counts(&again), [0, 0, 3, 5], "{again:#}");
    assert_eq!(events(&app, &agency).await.len(), 3);
    assert_eq!(
        app.get_json(&agency.token, &format!("/v1/suppliers/{id}"))
            .await["version"],
        1
    );

    // A changed row updates its supplier (version, audit entry, event); its columns are set,
    // other fields kept.
    let changed = "legal_name,tax_id,country,sector,employees\n\
                   Ensambles del Bajío,EBA0102035A1,MX,manufacturing,60\n\
                   Diseños Peñasco,DPE0203046B2,MX,services,8\n";
    let report = import(&app, &agency, "text/csv", changed).await;
    assert_eq!(counts(&report), [0, 1, 1, 0], "{report:#}");
    let doc = app
        .get_json(&agency.token, &format!("/v1/suppliers/{id}"))
        .await;
    assert_eq!(
        (doc["employees"].as_i64(), doc["version"].as_i64()),
        (Some(60), Some(2))
    );
    assert_eq!(doc["city"], "León", "a column not in the file is kept");
    let all = events(&app, &agency).await;
    assert_eq!(all.len(), 4);
    assert_eq!(all[3]["type"], "supplier.updated");
    assert_eq!(all[3]["data"]["version"], 2);
    assert!(
        all[3]["data"]["changed"]
            .as_array()
            .unwrap()
            .contains(&json!("employees"))
    );
    let history = app
        .get_json(&agency.token, &format!("/v1/suppliers/{id}/history"))
        .await;
    assert_eq!(history["data"][1]["changes"]["employees"], json!([42, 60]));
}

#[tokio::test]
async fn ndjson_rows_are_documents_and_patches() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let first = [
        json!({ "legal_name": "Óptica Fina", "tax_id": "OFI0102035A1", "country": "MX", "sector": "manufacturing", "employees": 12, "location": { "lat": 20.67, "lon": -103.35 } }).to_string(),
        "{ not json".to_owned(),
        "[1, 2]".to_owned(),
        json!({ "legal_name": "Sin sector", "tax_id": "SSE0102035A1", "country": "MX", "employees": 1 }).to_string(),
        json!({ "legal_name": "Campo Raro", "tax_id": "CRA0102035A1", "country": "MX", "sector": "services", "employees": 2, "status": "verified" }).to_string(),
    ]
    .join("\n");
    let report = import(&app, &admin, "application/x-ndjson; charset=utf-8", &first).await;
    assert_eq!(counts(&report), [1, 0, 0, 4], "{report:#}");
    assert_eq!(
        errors(&report),
        [
            (2, "row".to_owned()),
            (3, "row".to_owned()),
            (4, "sector".to_owned()),
            (5, "status".to_owned())
        ]
    );
    // A later line is a merge patch of the fields it names: `null` clears.
    let patch = json!({ "tax_id": "OFI0102035A1", "country": "MX", "trade_name": "OptiFina", "location": null }).to_string();
    let report = import(&app, &admin, "application/x-ndjson", &patch).await;
    assert_eq!(counts(&report), [0, 1, 0, 0], "{report:#}");
    let id = events(&app, &admin).await[0]["supplier_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = app
        .get_json(&admin.token, &format!("/v1/suppliers/{id}"))
        .await;
    assert_eq!(doc["trade_name"], "OptiFina");
    assert_eq!(doc["location"], Value::Null);
    assert_eq!(doc["employees"], 12);
}

#[tokio::test]
async fn uploads_are_checked_before_they_are_queued() {
    let app = spawn_app_with(|_, env| {
        env.insert("IMPORT_MAX_BYTES".into(), "200".into());
    })
    .await;
    let agency = app.user_with_role("agency").await;
    assert_problem(upload(&app, &agency, "application/json", "{}").await, 415).await;
    let problem = assert_problem(upload(&app, &agency, "text/csv", "  \n").await, 422).await;
    assert_eq!(problem.errors[0].field, "body");
    let problem = assert_problem(
        upload(&app, &agency, "text/csv", "legal_name,tax_id,colour\n").await,
        422,
    )
    .await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["colour", "country", "sector", "employees"]);
    let big = format!(
        "legal_name,tax_id,country,sector,employees\n{}",
        "x,y,MX,services,1\n".repeat(20)
    );
    assert_problem(upload(&app, &agency, "text/csv", &big).await, 413).await;
    let viewer = app.user_with_role("viewer").await;
    assert_problem(upload(&app, &viewer, "text/csv", "legal_name\n").await, 403).await;

    // One's own imports only (admins see all).
    let resp = upload(
        &app,
        &agency,
        "text/csv",
        "legal_name,tax_id,country,sector,employees\n",
    )
    .await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let rival = app.user_with_role("agency").await;
    assert_problem(
        app.authed(Method::GET, &location, &rival.token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let admin = app.user_with_role("admin").await;
    assert_eq!(
        app.get_json(&admin.token, &location).await["status"],
        "queued"
    );
}

#[tokio::test]
async fn an_import_left_by_a_dead_worker_resumes_with_the_batches_not_committed() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    // Two batches: a full one and one row.
    let full = supplier_registry::workers::imports::BATCH_ROWS;
    let mut csv = String::from("legal_name,tax_id,country,sector,employees\n");
    for i in 0..=full {
        csv.push_str(&format!("Fila {i},GT{i:06},GT,services,3\n"));
    }
    let resp = upload(&app, &admin, "text/csv", &csv).await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    // A worker claimed it, committed batch 0 and died; its lease has not run out yet.
    crate::helpers::exec(
        &app.db,
        &format!(
            "UPDATE imports SET status = 'running', batches_done = '{{0}}', rows_done = {full}, \
         created = {full}, lease_until = now() + interval '1 minute'"
        ),
    )
    .await;
    let pool = db::build_pool(&app.config()).unwrap();
    assert!(!run_once(&pool).await.unwrap(), "leased to another worker");
    crate::helpers::exec(
        &app.db,
        "UPDATE imports SET lease_until = now() - interval '1 second'",
    )
    .await;
    assert!(run_once(&pool).await.unwrap());
    let report = app.get_json(&admin.token, &location).await;
    assert_eq!(report["status"], "completed");
    assert_eq!(counts(&report), [full as i64 + 1, 0, 0, 0]);
    assert_eq!(report["rows_processed"], full + 1);
    assert_eq!(report["rows_total"], full + 1);
    let created = events(&app, &admin).await;
    assert_eq!(
        created.len(),
        1,
        "the last row only: batch 0 was the dead worker's"
    );
}

#[tokio::test]
async fn rows_committed_alone_are_not_redone_and_a_failing_import_is_given_up() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let csv = "legal_name,tax_id,country,sector,employees\n\
               Uno,GT000001,GT,services,1\n\
               Dos,GT000002,GT,services,2\n\
               Tres,GT000003,GT,services,3\n";
    let resp = upload(&app, &admin, "text/csv", csv).await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    // A worker went row by row through the batch, committed row 2 alone, and died.
    crate::helpers::exec(
        &app.db,
        "UPDATE imports SET status = 'running', rows_alone = '{2}', created = 1, \
         lease_until = now() - interval '1 second'",
    )
    .await;
    let pool = db::build_pool(&app.config()).unwrap();
    assert!(run_once(&pool).await.unwrap());
    let report = app.get_json(&admin.token, &location).await;
    assert_eq!(counts(&report), [3, 0, 0, 0], "{report:#}");
    assert_eq!(events(&app, &admin).await.len(), 2, "rows 1 and 3 only");

    // An import whose workers keep dying is given up after five claims.
    let resp = upload(&app, &admin, "text/csv", csv).await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    crate::helpers::exec(
        &app.db,
        "UPDATE imports SET status = 'running', attempts = 5, \
         lease_until = now() - interval '1 second' WHERE status = 'queued'",
    )
    .await;
    assert!(run_once(&pool).await.unwrap());
    assert_eq!(
        app.get_json(&admin.token, &location).await["status"],
        "failed"
    );
}

#[tokio::test]
async fn the_worker_of_the_process_that_queued_an_import_starts_at_once() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    // An idle worker that would otherwise look again only in a minute.
    supplier_registry::workers::imports::spawn(
        db::build_pool(&app.config()).unwrap(),
        std::time::Duration::from_secs(60),
        app.state.import_queued.clone(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let csv = "legal_name,tax_id,country,sector,employees\nUno,GT000009,GT,services,1\n";
    let resp = upload(&app, &admin, "text/csv", csv).await;
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    loop {
        if app.get_json(&admin.token, &location).await["status"] == "completed" {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "not started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
