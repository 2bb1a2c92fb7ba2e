//! Service members (service management → agents): org members with a role in one service
//! (admin or agent) and channel permissions (phone, chat), which CTI, My performance and
//! ticket assignment read.

pub mod handlers;
pub mod model;
