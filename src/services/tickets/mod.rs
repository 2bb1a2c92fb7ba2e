//! Tickets of a service: per-service numbers, the system fields and the service's custom
//! fields, assignment to members who accept assignments, and the product's statuses
//! (unassigned → in progress → solved → closed; their product terms are in the locales).

pub mod handlers;
pub mod model;
