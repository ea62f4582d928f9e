//! Pure types and rules: no actix, no diesel, no I/O. Request DTOs become these through `parse`
//! functions that report every broken rule at once, each naming its field.

pub mod accounts;
pub mod capability;
pub mod codes;
pub mod event;
pub mod field_error;
pub mod identifier;
pub mod import;
pub mod matching;
pub mod size;
pub mod status;
pub mod supplier;
pub mod tax_id;
pub mod text;
pub mod webhook;

pub use field_error::FieldError;
