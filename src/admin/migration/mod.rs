//! Data migration (the product's data-migration menu): a service's ticket-field template as Excel, uploads checked
//! cell by cell when they arrive, reserved for 01:00 of the next day in the service's time
//! zone and imported as tickets by the jobs runner, all or nothing.

pub mod handlers;
pub mod model;
pub mod sheet;
