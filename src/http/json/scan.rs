//! One pass over a JSON body before it is read as a type: exactly one value (no trailing data),
//! no key twice in one object, and no control character in any string or key.

use std::{collections::HashSet, fmt};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::{
    domain::text,
    error::{ApiError, FieldError},
};

/// Checks that `bytes` are one JSON value with unique keys and clean text: 400 for bad syntax,
/// trailing data or a duplicated key (named), 422 naming every string or key with a control.
pub fn one_value(bytes: &[u8]) -> Result<(), ApiError> {
    let mut found = Found::default();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let scanned = Scan {
        path: String::new(),
        found: &mut found,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    if let Some(key) = found.duplicate {
        return Err(ApiError::bad_request(
            &key,
            "duplicate_key",
            "appears twice in one object",
        ));
    }
    if let Err(e) = scanned {
        let code = if e.is_syntax() && found.complete {
            "trailing_data"
        } else {
            "json_syntax"
        };
        return Err(ApiError::bad_request(
            "body",
            code,
            format!("is not one valid JSON value ({e})"),
        ));
    }
    if found.controls.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unprocessable(found.controls))
    }
}

#[derive(Default)]
struct Found {
    duplicate: Option<String>,
    controls: Vec<FieldError>,
    /// The first value was read whole (so an error after it is trailing data).
    complete: bool,
}

struct Scan<'a> {
    path: String,
    found: &'a mut Found,
}

impl Scan<'_> {
    fn inner(&mut self, path: String) -> Scan<'_> {
        Scan {
            path,
            found: self.found,
        }
    }

    fn text(&mut self, s: &str) {
        if text::has_control(s) {
            let field = if self.path.is_empty() {
                "body".to_owned()
            } else {
                self.path.clone()
            };
            self.found.controls.push(text::control_error(field));
        }
    }

    fn done<E>(self) -> Result<(), E> {
        if self.path.is_empty() {
            self.found.complete = true;
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.done()
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.done()
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.done()
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.done()
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.done()
    }
    fn visit_str<E>(mut self, s: &str) -> Result<(), E> {
        self.text(s);
        self.done()
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq
            .next_element_seed(self.inner(format!("{}[{i}]", self.path)))?
            .is_some()
        {
            i += 1;
        }
        self.done()
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = text::join(&self.path, &key);
            if text::has_control(&key) {
                self.found.controls.push(text::control_error(path.clone()));
            }
            if !seen.insert(key) {
                self.found.duplicate = Some(path);
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value_seed(self.inner(path))?;
        }
        self.done()
    }
}
