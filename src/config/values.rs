//! Reading one environment variable: a typed value in a range, a flag, a duration, and the
//! error that names the variable.

use std::{fmt, time::Duration};

/// A configuration error; its message always names the variable.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}

pub fn flag(get: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<bool, ConfigError> {
    match get(var).as_deref().map(str::trim) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(err(
            var,
            format!("expected `true` or `false`, got `{other}`"),
        )),
    }
}

pub fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

pub fn parsed<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: Option<T>,
) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match get(var) {
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| err(var, format!("`{}`: {e}", raw.trim()))),
        None => default.ok_or_else(|| err(var, "is required")),
    }
}

/// A number of seconds in `min..=max` (`default` when unset).
pub fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<Duration, ConfigError> {
    ranged(get, var, default, min, max).map(Duration::from_secs)
}

/// A number of milliseconds in `min..=max` (`default` when unset).
pub fn millis(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<Duration, ConfigError> {
    ranged(get, var, default, min, max).map(Duration::from_millis)
}

pub fn ranged<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    T::Err: fmt::Display,
{
    let value = parsed(get, var, Some(default))?;
    if value < min || value > max {
        return Err(err(
            var,
            format!("{value} is out of range ({min} to {max})"),
        ));
    }
    Ok(value)
}

/// `true` or `false`, `default` when unset.
pub fn flag_or(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(_) => flag(get, var),
    }
}
