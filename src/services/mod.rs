//! Service management: what belongs to one service rather than to global management: its
//! page (the service tab), the banner (the tab image), its members and its help-center
//! configuration, its ticket fields and its tickets.

pub mod handlers;
pub mod help_center;
pub mod members;
pub mod ticket_fields;
pub mod tickets;
