//! Ticket fields (service management → ticket → fields): the system fields every ticket
//! has and the service's custom fields. The OWNER, org admins and that service's admins.

pub mod handlers;
pub mod model;
