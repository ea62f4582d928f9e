//! Bulk-import files read as supplier rows, with no I/O: the CSV columns and their header check,
//! CSV and NDJSON rows as the supplier fields each sets, and the `(country, tax_id)` key that an
//! import upserts on. `workers::imports` stores the rows; `routes::imports` takes the upload.

use serde_json::{Map, Value, json};

use super::{FieldError, tax_id, text};

/// CSV columns: the supplier document's fields, flattened.
pub const CSV_COLUMNS: &[&str] = &[
    "legal_name",
    "trade_name",
    "tax_id",
    "country",
    "subdivision",
    "city",
    "address",
    "lat",
    "lon",
    "website",
    "founded_year",
    "sector",
    "employees",
    "annual_sales_amount",
    "annual_sales_currency",
    "capabilities",
    "certifications",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
];
pub const REQUIRED: [&str; 5] = ["legal_name", "tax_id", "country", "sector", "employees"];

/// The header row of a CSV upload: every unknown and every missing required column, named.
pub fn check_header(text: &str) -> Result<(), Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| vec![FieldError::new("body", "csv", "the header row is not CSV")])?;
    let mut errors = Vec::new();
    for name in headers {
        if !CSV_COLUMNS.contains(&name.trim()) {
            errors.push(FieldError::new(
                name,
                "unknown_column",
                "is not an import column",
            ));
        }
    }
    for name in REQUIRED {
        if !headers.iter().any(|h| h.trim() == name) {
            errors.push(FieldError::new(name, "required", "is a required column"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A row as the supplier fields it sets, or why it could not be read.
pub type Row = Result<Map<String, Value>, FieldError>;

/// The rows of a file, read as they are asked for (a batch at a time: the file is held once, its
/// rows never all at once).
pub fn rows<'a>(format: &str, body: &'a [u8]) -> Box<dyn Iterator<Item = Row> + Send + 'a> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let rows = match format {
        "csv" => csv_rows(body),
        _ => Box::new(
            body.split(|b| *b == b'\n')
                .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
                .map(|line| match serde_json::from_slice::<Value>(line) {
                    Ok(Value::Object(map)) => Ok(map),
                    Ok(_) => Err(FieldError::new("row", "object", "must be a JSON object")),
                    Err(e) => Err(FieldError::new("row", "json", format!("is not JSON: {e}"))),
                }),
        ),
    };
    Box::new(rows.map(|row| row.and_then(clean)))
}

/// A row whose text holds no control character; otherwise the first field that does, named.
fn clean(row: Map<String, Value>) -> Row {
    let mut errors = Vec::new();
    for (key, value) in &row {
        if text::has_control(key) {
            errors.push(text::control_error(text::join("", key)));
        } else {
            text::check_value(key, value, &mut errors);
        }
    }
    match errors.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(row),
    }
}

fn csv_rows<'a>(body: &'a [u8]) -> Box<dyn Iterator<Item = Row> + Send + 'a> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_owned()).collect(),
        Err(_) => return Box::new(std::iter::empty()),
    };
    Box::new(reader.into_records().map(move |record| {
        let record = record.map_err(|e| {
            FieldError::new(
                "row",
                "csv",
                format!("is not a CSV row like the header: {e}"),
            )
        })?;
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map(str::trim)
        };
        Ok(csv_object(&headers, &cell))
    }))
}

/// One CSV row as the supplier fields it sets (every column of the file; an empty cell is null).
fn csv_object<'a>(
    headers: &[String],
    cell: &impl Fn(&str) -> Option<&'a str>,
) -> Map<String, Value> {
    let text = |name: &str| match cell(name) {
        Some(v) if !v.is_empty() => Value::String(text::from_csv_cell(v).to_owned()),
        _ => Value::Null,
    };
    // A number when it is one; otherwise the text, for the type check to name the field.
    let number = |name: &str| match cell(name) {
        Some(v) if !v.is_empty() => v
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| v.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(v.to_owned())),
        _ => Value::Null,
    };
    let has = |name: &str| headers.iter().any(|h| h == name);
    let list = |name: &str| {
        cell(name)
            .unwrap_or_default()
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut map = Map::new();
    for name in [
        "legal_name",
        "trade_name",
        "tax_id",
        "country",
        "subdivision",
        "city",
        "address",
        "website",
        "sector",
    ] {
        if has(name) {
            map.insert(name.into(), text(name));
        }
    }
    for name in ["founded_year", "employees"] {
        if has(name) {
            map.insert(name.into(), number(name));
        }
    }
    if has("lat") || has("lon") {
        let (lat, lon) = (number("lat"), number("lon"));
        let location = if lat.is_null() && lon.is_null() {
            Value::Null
        } else {
            json!({ "lat": lat, "lon": lon })
        };
        map.insert("location".into(), location);
    }
    if has("annual_sales_amount") || has("annual_sales_currency") {
        let (amount, currency) = (text("annual_sales_amount"), text("annual_sales_currency"));
        let sales = if amount.is_null() && currency.is_null() {
            Value::Null
        } else {
            json!({ "amount": amount, "currency": currency })
        };
        map.insert("annual_sales".into(), sales);
    }
    if has("capabilities") {
        let codes: Vec<Value> = list("capabilities")
            .into_iter()
            .map(|code| json!({ "code": code }))
            .collect();
        map.insert("capabilities".into(), Value::Array(codes));
    }
    if has("certifications") {
        let certs: Vec<Value> = list("certifications")
            .into_iter()
            .map(|entry| match entry.split_once('@') {
                Some((scheme, expires)) => {
                    json!({ "scheme": scheme.trim(), "expires_on": expires.trim() })
                }
                None => json!({ "scheme": entry }),
            })
            .collect();
        map.insert("certifications".into(), Value::Array(certs));
    }
    if [
        "contact_name",
        "contact_role",
        "contact_email",
        "contact_phone",
    ]
    .iter()
    .any(|c| has(c))
    {
        let contact: Map<String, Value> = [
            ("name", text("contact_name")),
            ("role", text("contact_role")),
            ("email", text("contact_email")),
            ("phone", text("contact_phone")),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let contacts = if contact.is_empty() {
            json!([])
        } else {
            json!([contact])
        };
        map.insert("contacts".into(), contacts);
    }
    map
}

/// `(country, tax_id)`, as stored.
pub type Key = (String, String);

/// A row's key, when it names a country and a tax id.
pub fn key_of(map: &Map<String, Value>) -> Option<Key> {
    match (map.get("country"), map.get("tax_id")) {
        (Some(Value::String(c)), Some(Value::String(t))) => {
            Some((c.trim().to_owned(), tax_id::normalise(t)))
        }
        _ => None,
    }
}
