//! One module per screen.

pub mod invoices;
pub mod not_found;
