//! The console realm (base host): sign-up, login, logout, password reset and change for
//! console members.

pub mod handlers;
pub mod model;
pub mod orgs;
pub mod views;
