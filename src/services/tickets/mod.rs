//! Tickets of a service: per-service numbers, the system fields and the service's custom
//! fields, assignment to members who accept assignments, and the product's statuses
//! (미할당 unassigned → 처리중 in progress → 해결 solved → 완료 closed).

pub mod handlers;
pub mod model;
