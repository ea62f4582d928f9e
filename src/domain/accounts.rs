//! Rules for accounts (users and API clients): e-mail, password, name and countries.

use validator::ValidateEmail;

use super::{FieldError, text};

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 1024;
pub const NAME_MAX_CHARS: usize = 200;

/// A checked e-mail address (trimmed; its case kept, compared without case).
pub fn check_email(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    let email = raw.trim().to_owned();
    if email.len() > 254 || !email.validate_email() {
        errors.push(FieldError::new(
            field,
            "email",
            "is not a valid e-mail address",
        ));
    }
    email
}

pub fn check_password(field: &str, password: &str, errors: &mut Vec<FieldError>) {
    let chars = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&chars) {
        errors.push(FieldError::new(
            field,
            "length",
            format!("must be {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters long"),
        ));
    }
}

/// A display name: 1 to 200 characters once trimmed; its Unicode kept as sent.
pub fn check_name(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim().to_owned();
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "length",
            format!("must be 1 to {NAME_MAX_CHARS} characters, without control characters"),
        ));
    } else {
        errors.extend(text::check_name(field, &name));
    }
    name
}

/// Whether `country` lies outside an agency's `countries` (an empty list is every country).
pub fn outside_countries(countries: &[String], country: &str) -> bool {
    !countries.is_empty() && !countries.iter().any(|c| c == country)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_names_and_passwords_are_checked() {
        let mut errors = Vec::new();
        assert_eq!(check_email("email", " a@b.mx ", &mut errors), "a@b.mx");
        check_email("email", "not-an-email", &mut errors);
        check_password("password", "short", &mut errors);
        check_password("password", "long enough password", &mut errors);
        assert_eq!(check_name("name", " Nájera ", &mut errors), "Nájera");
        check_name("name", "   ", &mut errors);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "name"]);
    }
}
