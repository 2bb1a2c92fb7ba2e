//! Service management: what belongs to one service rather than to global
//! management. Today the service banner (the service's tab image); members, ticket fields
//! and tickets come here next.

pub mod handlers;
