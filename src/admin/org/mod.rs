//! Contract service status, organization info tab: cloud and OC organization,
//! the Online Contact URL, the org key (rotated, shown once) and the org time zone.

pub mod handlers;
