//! Contract service status, fees tab (요금 현황): monthly fees per month range and scope,
//! with a server-rendered chart; computed by `contracts::billing`.

pub mod handlers;
