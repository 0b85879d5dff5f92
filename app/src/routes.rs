pub mod auth;
pub mod customers;
pub mod invoice;
pub mod invoices;
pub mod nav;
pub mod not_found;
pub mod stores;
pub mod team;
