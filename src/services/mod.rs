//! Service management: what belongs to one service rather than to global management: its
//! page (the service tab), the banner (the tab image), its members and its help-center
//! configuration; ticket fields and tickets come here next.

pub mod handlers;
pub mod help_center;
pub mod members;
