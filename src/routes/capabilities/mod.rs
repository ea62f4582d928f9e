//! The capability taxonomy: a tree of lower-case dotted codes (`atp.asm.wb`, grammar in
//! `domain::capability`) with English and Spanish labels and industry codes (NAICS 2022, UNSPSC,
//! HS). Anyone reads it (here); admins add and edit codes (`admin`).

mod admin;
mod read;

pub use admin::{
    CreateCapabilityRequest, UpdateCapabilityRequest, create_capability, update_capability,
};

pub use read::{
    CapabilityNode, CapabilityTree, Labels, get_capability, language, list_capabilities,
};
