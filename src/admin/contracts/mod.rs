//! Contract service status, contracts tab: services (basic info, banner), contract details
//! with the estimated cost from the price book, suspend/resume/terminate; billing as a pure
//! function; demo data.

pub mod billing;
pub mod demo;
pub mod handlers;
pub mod model;
pub mod rules;
pub mod views;
