//! Service management: what belongs to one service rather than to global management: the
//! service banner (the service's tab image) and its members; ticket fields and tickets
//! come here next.

pub mod handlers;
pub mod members;
