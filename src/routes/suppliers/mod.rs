//! Suppliers over HTTP. `view` is what a caller sees (the document and who sees what);
//! `create`, `read` and `update` (with archive) are the document's own operations; `workflow`
//! the verification transitions; `owners`, `history`; `search` lists, counts and exports. Every
//! change goes through `db::suppliers::record`, and every body through `domain::supplier`.

pub mod create;
pub mod history;
pub mod matching;
pub mod merge;
pub mod owners;
pub mod read;
mod rules;
pub mod search;
pub mod update;
pub mod view;
pub mod workflow;

pub use create::create_supplier;
pub use read::get_supplier;
pub use update::{archive_supplier, update_supplier};
pub use view::{SupplierDocument, View, document, view_of};
