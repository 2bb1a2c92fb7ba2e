//! Organizations in the console: payment methods, organizations, enabling Online Contact
//! (org name and domain), registering org members and the OWNER. Also the tenant lookup
//! that every workspace request starts with.

pub mod handlers;
pub mod model;
pub mod rules;
pub mod views;
