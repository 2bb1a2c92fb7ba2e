//! The permission-change log: one row for every change of an org-admin
//! right, of the OWNER, of a service role or channel permission, of an invitation or a
//! removal, written by the code that makes the change, in its transaction. Rows are never
//! updated or deleted. The search page and exports come with the people issue's log menu.

pub mod model;
