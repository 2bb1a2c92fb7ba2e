//! Contract service status, fees tab: monthly fees per month range and scope,
//! with a server-rendered chart; computed by `contracts::billing`.

pub mod handlers;
