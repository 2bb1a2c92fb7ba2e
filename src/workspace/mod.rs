//! The workspace realm (`{domain}.{base host}`): org members' login, find password,
//! personal settings and password change, the app shell and the global-management gate.

pub mod cti;
pub mod handlers;
pub mod invite;
pub mod views;
