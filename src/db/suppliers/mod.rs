//! Suppliers in the database: [`SupplierRecord`] and its lookups (`record`), the supplier's own
//! rows (`columns`), the one write path that every change goes through (`write`), and the audit
//! history, change feed and certificate lookups that read back what it wrote (`log`), and the
//! development-ladder steps it records (`steps`).

mod columns;
mod log;
mod record;
mod steps;

pub use steps::QUALITY_SCHEMES;
mod write;

pub use columns::SupplierColumns;
pub use log::{
    AuditRow, CertificateChange, EventRow, events_after, history_page, refresh_certificates_of,
    suppliers_with_due_certificates,
};
pub use record::{
    DOCUMENT_SELECT, Parts, SupplierRecord, find_by_tax_id, find_record, find_records,
    find_records_for_update, holders_of_refs, read_record,
};
pub use write::{
    Actor, Author, RowWrite, StatusColumns, SupplierChange, ThenError, WriteError, record,
    record_all, record_then,
};
