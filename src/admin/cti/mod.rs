//! CTI management (the product's CTI menu): per-service CTI settings for services whose contract includes
//! phone CTI, CTI logins of agents, and the events a CTI reports (`events`), which the
//! phone widget, the CTI log download and "My performance" read.

pub mod demo;
pub mod events;
pub mod handlers;
pub mod model;
