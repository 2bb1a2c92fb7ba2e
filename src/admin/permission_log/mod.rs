//! The permission-change log: one row for every change of an org-admin
//! right, of the OWNER, of a service role or channel permission, of an invitation or a
//! removal, written by the code that makes the change, in its transaction. Rows are never
//! updated or deleted: no route but the changes themselves writes them. The search page
//! and its CSV/xlsx exports are for the OWNER and org admins.

pub mod handlers;
pub mod model;
