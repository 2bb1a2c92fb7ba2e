//! Org admins: the OWNER and the members with the org-admin right; add the right
//! to a member found by name, login ID or email; remove it (never the OWNER's). Every change
//! writes a permission-change log row in its transaction. The right is read from the
//! database on every request, so a removal takes effect on the member's next request.
//! Invitations bring new people in as org members by mail.

pub mod handlers;
pub mod invitations;
pub mod model;
