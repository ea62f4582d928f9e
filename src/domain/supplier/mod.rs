//! A supplier as a client writes it: [`SupplierInput`] (the client-owned fields of the supplier
//! document) and its parts. `fields` reads a body into it in one pass, naming every unknown,
//! server-owned, missing and mistyped field; `rules` checks every rule it must meet; `change`
//! turns a new body or a merge patch into the record to store (diff, size class, status).

mod change;
mod fields;
mod input;
mod rules;

pub use change::{
    Current, Edit, Refused, Size, created_audit, edit, merged, new_supplier, size_of,
};
pub use fields::{Parsed, SERVER_OWNED, check_fields, parse};
pub use rules::{check_contacts, is_e164};

pub use input::{
    CapabilityInput, CertificationInput, CertificationView, Contact, ExternalRef, Known, Location,
    Money, SupplierInput, SupplierPatch, ValidSupplier, certificate_status, with_ancestors,
};
