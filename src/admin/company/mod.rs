//! Company info (the product's company-info menu): the entries a service's help center shows in its footer
//! (company, representative and copyright, terms of use, privacy policy). The menu is
//! shown to organizations with a counselling service; an entry a help center shows cannot
//! be deleted.

pub mod handlers;
pub mod model;
