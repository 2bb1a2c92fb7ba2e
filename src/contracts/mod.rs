//! Contract service status (global management, first tab group): services, contracts
//! with estimated cost from the price book, monthly fees with a chart, org info and org
//! key, and the Open API v1 authenticated by the org key.

pub mod api;
pub mod billing;
pub mod demo;
pub mod handlers;
pub mod languages;
pub mod model;
pub mod pricing;
pub mod rules;
pub mod views;
