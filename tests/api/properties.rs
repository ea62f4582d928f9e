//! Property: any supplier document the API accepts reads back exactly as written (names in any
//! script kept to the code point; tax ids are generated in their normalised form).

use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, TestRunner},
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn text(max: usize) -> impl Strategy<Value = String> {
    // Letters of several scripts, digits, punctuation and inner spaces; never blank.
    proptest::string::string_regex(&format!(
        "[A-Za-zÁÉÍÓÚáéíóúÑñÜüçÇ&.,'()\\-ß漢字ÀÂ0-9][A-Za-zÁÉÍÓÚáéíóúÑñÜüçÇ&.,'()\\- ß漢字ÀÂ0-9]{{0,{}}}[A-Za-zñ0-9.]",
        max.saturating_sub(2)
    ))
    .expect("regex")
}

fn optional<T: Strategy>(s: T) -> impl Strategy<Value = Option<T::Value>> {
    proptest::option::of(s)
}

fn document() -> impl Strategy<Value = Value> {
    let codes = prop::sample::subsequence(
        vec![
            "atp",
            "atp.asm.wb",
            "des.ic.rf",
            "fab.mems",
            "log.cus",
            "tal.trn",
            "svc.cal",
        ],
        0..4,
    );
    let schemes = prop::collection::vec(
        (
            prop::sample::select(vec!["iso_9001", "iatf_16949", "as9100", "c_tpat"]),
            optional(text(20)),
            2000i32..2025,
            1u64..4000,
        ),
        0..3,
    );
    let contacts = prop::collection::vec(
        (
            text(40),
            optional(text(30)),
            optional("[a-z]{1,10}@[a-z]{1,10}\\.mx"),
            optional("\\+52[1-9][0-9]{9}"),
        ),
        0..3,
    );
    let place = prop::sample::select(vec![
        ("MX", Some("MX-JAL")),
        ("MX", None),
        ("CR", Some("CR-H")),
        ("PA", Some("PA-8")),
        ("US", Some("US-TX")),
        ("GT", None),
        ("CA", Some("CA-QC")),
    ]);
    (
        (text(120), optional(text(60)), place, optional(text(60)), optional((-89.0f64..89.0, -179.0f64..179.0))),
        (prop::sample::select(vec!["manufacturing", "commerce", "services"]), 0i64..5000, optional((0u64..900_000_000_000, prop::sample::select(vec!["MXN", "USD", "CRC", "PAB"])))),
        (codes, schemes, contacts, optional(1900i32..2026)),
    )
        .prop_map(|((legal_name, trade_name, (country, subdivision), city, location), (sector, employees, sales), (codes, certs, contacts, founded))| {
            let mut doc = json!({
                "legal_name": legal_name, "trade_name": trade_name, "country": country, "subdivision": subdivision,
                "city": city, "sector": sector, "employees": employees, "founded_year": founded,
                "location": location.map(|(lat, lon)| json!({ "lat": lat, "lon": lon })),
                "annual_sales": sales.map(|(cents, cur)| json!({ "amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": cur })),
                "capabilities": codes.iter().map(|c| json!({ "code": c, "details": null, "parameters": null })).collect::<Vec<_>>(),
                "certifications": certs.iter().map(|(scheme, number, year, days)| {
                    let issued = chrono::NaiveDate::from_ymd_opt(*year, 1, 1).unwrap();
                    json!({ "scheme": scheme, "number": number, "issuer": null, "issued_on": issued, "expires_on": issued + chrono::Days::new(*days) })
                }).collect::<Vec<_>>(),
                "contacts": contacts.iter().map(|(name, role, email, phone)| json!({ "name": name, "role": role, "email": email, "phone": phone })).collect::<Vec<_>>(),
                "external_refs": [],
                "address": null, "website": null,
            });
            doc["tax_id"] = json!(null);
            doc
        })
}

#[tokio::test]
async fn any_accepted_document_reads_back_as_written() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let mut runner = TestRunner::new(Config {
        cases: 32,
        ..Config::default()
    });
    let strategy = document();

    for case in 0..32u32 {
        let mut doc = strategy.new_tree(&mut runner).expect("value").current();
        let tax_id = match doc["country"].as_str().unwrap() {
            "MX" => {
                let day = chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap()
                    + chrono::Days::new(case.into());
                format!("ABC{}X{:02}", day.format("%y%m%d"), case)
            }
            "CR" => format!("3101{:06}", 100000 + case),
            "PA" => format!("{}22015", 155596700 + case),
            "US" => format!("12{:07}", 1000000 + case),
            _ => format!("T{case:06}"),
        };
        doc["tax_id"] = json!(tax_id);

        let resp = app.post_supplier(&admin.token, &doc).await;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, 201, "accepted: {doc:#} → {body:#}");
        let read: Value = app
            .authed(
                Method::GET,
                &format!("/v1/suppliers/{}", body["id"].as_str().unwrap()),
                &admin.token,
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();

        for (field, written) in doc.as_object().unwrap() {
            let mut back = read[field].clone();
            if field == "certifications" {
                for cert in back.as_array_mut().unwrap() {
                    cert.as_object_mut().unwrap().remove("status");
                }
            }
            assert_eq!(&back, written, "field {field} of {doc:#}");
        }
    }
}
