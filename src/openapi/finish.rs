//! Passes over the whole document, as JSON, for what the annotations cannot express.

use serde_json::{Value, json};

/// Passes over the whole document that the annotations cannot express:
/// - each `Page<T>` is named `TPage` and refers to `T` instead of repeating it inline, so that
///   generated clients get one `SupplierDocument`, one `Event`, … type;
/// - the closed sets, codes and text rules (`closed`), the same on `SupplierPatch` as on
///   `SupplierInput`, the identity operations' formats (`identity`), and the parameter formats
///   (`parameters`);
/// - an operation open to everyone without credentials (`security(())`, or none given) says
///   `security: []` (an empty requirement alone would read as "secured" to generators), and
///   every request body is required.
pub(super) fn finish(api: &utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(api).unwrap_or_default();
    name_pages(&mut doc);
    super::closed::constrain(&mut doc);
    super::identity::constrain(&mut doc);
    // After the constraints, so that the patch has the same ones as the input.
    derive_patch(&mut doc);
    super::parameters::constrain_parameters(&mut doc);
    open_operations(&mut doc);
    doc
}

/// `SupplierPatch` is `SupplierInput` with nothing required, and `null` accepted by every field
/// that is not required at creation (it clears the field; a list becomes empty).
fn derive_patch(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let Some(input) = schemas.get("SupplierInput").cloned() else {
        return;
    };
    let required: Vec<Value> = input["required"].as_array().cloned().unwrap_or_default();
    let mut properties = input["properties"].as_object().cloned().unwrap_or_default();
    for (name, prop) in properties.iter_mut() {
        if required.contains(&json!(name)) {
            continue;
        }
        if let Some(Value::String(t)) = prop.get("type").cloned() {
            prop["type"] = json!([t, "null"]);
        }
    }
    let description = schemas
        .get("SupplierPatch")
        .and_then(|p| p.get("description"))
        .cloned()
        .unwrap_or(Value::Null);
    schemas.insert(
        "SupplierPatch".to_owned(),
        json!({
            "type": "object",
            "description": description,
            "properties": properties,
            "additionalProperties": false,
            "minProperties": 0,
        }),
    );
}

fn name_pages(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let pages: Vec<String> = schemas
        .keys()
        .filter(|k| k.starts_with("Page_"))
        .cloned()
        .collect();
    let mut renamed = Vec::new();
    for old in pages {
        let item = old.trim_start_matches("Page_").to_owned();
        if !schemas.contains_key(&item) {
            continue;
        }
        let Some(mut page) = schemas.remove(&old) else {
            continue;
        };
        if let Some(items) = page.pointer_mut("/properties/data/items") {
            *items = json!({ "$ref": format!("#/components/schemas/{item}") });
        }
        page["description"] = json!(format!("A page of `{item}`s."));
        let new = format!("{item}Page");
        schemas.insert(new.clone(), page);
        renamed.push((
            format!("#/components/schemas/{old}"),
            format!("#/components/schemas/{new}"),
        ));
    }
    rename_refs(doc, &renamed);
}

fn rename_refs(value: &mut Value, renamed: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(target) if key == "$ref" => {
                        if let Some((_, new)) = renamed.iter().find(|(old, _)| old == target) {
                            *target = new.clone();
                        }
                    }
                    _ => rename_refs(v, renamed),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// `security: []` on open operations; `required: true` on every request body.
fn open_operations(doc: &mut Value) {
    for section in ["paths", "webhooks"] {
        let Some(paths) = doc.get_mut(section).and_then(Value::as_object_mut) else {
            continue;
        };
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for (method, op) in item.iter_mut() {
                if !HTTP_METHODS.contains(&method.as_str()) {
                    continue;
                }
                let open = match op.get("security") {
                    None => true,
                    Some(Value::Array(reqs)) => reqs
                        .iter()
                        .all(|r| r.as_object().is_some_and(|o| o.is_empty())),
                    Some(_) => false,
                };
                if open {
                    op["security"] = json!([]);
                }
                // Every request body the service takes is required.
                if let Some(body) = op.get_mut("requestBody").and_then(Value::as_object_mut) {
                    body.insert("required".into(), Value::Bool(true));
                }
            }
        }
    }
}

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];
