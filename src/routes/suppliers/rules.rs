//! What a supplier write checks against the database: the reference data its rules need (which
//! of its capability codes and certification schemes exist), and one supplier per
//! `(country, tax_id)`, told apart from other failures by type ([`TxError`]).

use std::collections::HashSet;

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    db::{
        reference,
        suppliers::{self as store, WriteError},
    },
    domain::supplier::{Refused, SupplierInput, ValidSupplier},
    error::ApiError,
};

/// The capability codes and certification schemes of `input` that exist.
pub struct Reference {
    pub capabilities: HashSet<String>,
    pub schemes: HashSet<String>,
}

impl Reference {
    pub async fn of(conn: &mut AsyncPgConnection, input: &SupplierInput) -> Result<Self, ApiError> {
        let codes: Vec<String> = input.capabilities.iter().map(|c| c.code.clone()).collect();
        let schemes: Vec<String> = input
            .certifications
            .iter()
            .map(|c| c.scheme.clone())
            .collect();
        Ok(Self {
            capabilities: reference::existing_capabilities(conn, &codes).await?,
            schemes: reference::existing_schemes(conn, &schemes).await?,
        })
    }

    /// What the rules know, today.
    pub fn known(&self) -> crate::domain::supplier::Known<'_> {
        crate::domain::supplier::Known {
            capabilities: &self.capabilities,
            schemes: &self.schemes,
            today: Utc::now().date_naive(),
        }
    }
}

/// 409: another supplier holds this `(country, tax_id)` (its id when known).
pub fn duplicate(existing_id: Option<Uuid>) -> ApiError {
    ApiError::Conflict {
        detail: "A supplier with this tax id is already registered in this country.".into(),
        existing_id,
    }
}

/// How a write transaction failed. A `(country, tax_id)` that a concurrent request committed
/// first is told apart, so that the holder's id can be read once the transaction has ended.
pub enum TxError {
    Api(ApiError),
    TaxIdTaken {
        country: String,
        tax_id: String,
    },
    RefTaken {
        refs: Vec<(String, String)>,
        this: Option<Uuid>,
    },
}

impl TxError {
    /// The write path's error, for a change that stores `valid`.
    pub fn write(e: WriteError, valid: &ValidSupplier) -> Self {
        match e {
            WriteError::DuplicateTaxId => Self::TaxIdTaken {
                country: valid.input.country.clone(),
                tax_id: valid.tax_id.as_str().to_owned(),
            },
            WriteError::DuplicateRef => Self::RefTaken {
                refs: refs_of(valid)
                    .into_iter()
                    .map(|(s, v)| (s.to_owned(), v.to_owned()))
                    .collect(),
                this: None,
            },
            WriteError::Database(e) => Self::Api(e.into()),
        }
    }

    /// The same, for a change of the supplier `this` (its own references are no conflict).
    pub fn write_of(e: WriteError, valid: &ValidSupplier, this: Uuid) -> Self {
        match Self::write(e, valid) {
            Self::RefTaken { refs, .. } => Self::RefTaken {
                refs,
                this: Some(this),
            },
            other => other,
        }
    }

    /// The answer, read after the failed transaction has rolled back.
    pub async fn answer(self, conn: &mut AsyncPgConnection) -> ApiError {
        match self {
            Self::Api(e) => e,
            Self::TaxIdTaken { country, tax_id } => {
                match store::find_by_tax_id(conn, &country, &tax_id).await {
                    Ok(holder) => duplicate(holder),
                    Err(e) => e.into(),
                }
            }
            Self::RefTaken { refs, this } => {
                let refs: Vec<(&str, &str)> =
                    refs.iter().map(|(s, v)| (s.as_str(), v.as_str())).collect();
                match store::holders_of_refs(conn, &refs).await {
                    Ok(holders) => ref_taken(holders.into_iter().find(|h| Some(h.2) != this)),
                    Err(e) => e.into(),
                }
            }
        }
    }
}

/// The `(system, value)` external references of `valid`.
pub fn refs_of(valid: &ValidSupplier) -> Vec<(&str, &str)> {
    valid
        .input
        .external_refs
        .iter()
        .map(|r| (r.system.as_str(), r.value.as_str()))
        .collect()
}

/// 409: another supplier that is not archived holds an external reference (its id when known).
fn ref_taken(holder: Option<(String, String, Uuid)>) -> ApiError {
    let (detail, existing_id) = match holder {
        Some((system, value, id)) => (
            format!("The external reference `{system}:{value}` belongs to another supplier."),
            Some(id),
        ),
        None => (
            "An external reference belongs to another supplier.".to_owned(),
            None,
        ),
    };
    ApiError::Conflict {
        detail,
        existing_id,
    }
}

/// No supplier but `this` that is not archived holds an external reference of `valid`.
pub async fn check_refs_free(
    conn: &mut AsyncPgConnection,
    valid: &ValidSupplier,
    this: Option<Uuid>,
) -> Result<(), ApiError> {
    let holders = store::holders_of_refs(conn, &refs_of(valid)).await?;
    match holders.into_iter().find(|h| Some(h.2) != this) {
        Some(holder) => Err(ref_taken(Some(holder))),
        None => Ok(()),
    }
}

/// The answer to a failed write that changes no tax id (so meets no duplicate but by accident).
pub fn write_failed(e: WriteError) -> ApiError {
    match e {
        WriteError::Database(e) => e.into(),
        WriteError::DuplicateTaxId => duplicate(None),
        WriteError::DuplicateRef => ref_taken(None),
    }
}

impl From<ApiError> for TxError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Api(e.into())
    }
}

/// No other supplier than `this` holds the `(country, tax_id)` of `valid`.
pub async fn check_tax_id_free(
    conn: &mut AsyncPgConnection,
    valid: &ValidSupplier,
    this: Option<Uuid>,
) -> Result<(), ApiError> {
    match store::find_by_tax_id(conn, &valid.input.country, valid.tax_id.as_str()).await? {
        Some(other) if Some(other) != this => Err(duplicate(Some(other))),
        _ => Ok(()),
    }
}

/// A body the rules refuse: 422 naming every field; but a missing size rule is the server's
/// fault (its reference data lack the fallback rule), so 500.
pub fn refused(refusal: Refused) -> ApiError {
    match refusal {
        Refused::Invalid(errors) => ApiError::unprocessable(errors),
        Refused::NoSizeRule => ApiError::Internal(anyhow::anyhow!(
            "no size rule applies (the fallback rule is missing)"
        )),
    }
}
